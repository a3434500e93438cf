"""Hearing back through the real case page, in Chromium: a kiosk report comes with three
pictures; the DSL acknowledges and chooses what the pupil hears; any kiosk then says it."""
import os
import uuid

from playwright.sync_api import expect


def test_the_dsl_chooses_what_the_pupil_hears_and_a_kiosk_says_it(server, dashboard):
    kiosk = server.kiosk_session()
    sent = kiosk.post(server.base_url + "/api/reports", timeout=10, json={
        "client_id": str(uuid.uuid4()), "answers": {"safe": ["yes"], "what": ["unkind"]}})
    assert sent.status_code == 201
    code = sent.json()["hearing_code"]
    assert len(code) == 3

    def heard():
        answer = kiosk.post(server.base_url + "/api/hearing-back", json={"code": code},
                            timeout=10)
        return answer.json()["status"]

    assert heard() == "waiting"
    row = dashboard.get_by_role("row").filter(has_text="Someone was unkind")
    row.get_by_role("link").first.click()
    panel = dashboard.get_by_role("region", name="What the pupil hears at a kiosk")
    expect(panel).to_contain_text("nothing chosen yet")
    dashboard.get_by_role("button", name="Acknowledge").click()
    panel.get_by_label("An adult would like to talk to you").check()
    panel.get_by_role("button", name="Set what the pupil hears").click()
    expect(dashboard.locator("#hearing-back-now")).to_contain_text(
        "An adult would like to talk to you")
    expect(dashboard.locator(".entry").filter(has_text="Pupil will hear at a kiosk")
           ).to_have_count(1)
    assert heard() == "talk"


def test_a_pupil_is_given_pictures_and_hears_back_at_another_kiosk(
        kiosk, server, dashboard, browser, enrol_page):
    """By taps alone, as a pupil meets it: the thank-you shows and says three pictures;
    a wrong guess is told plainly; the right pictures at another kiosk say what the DSL
    chose, and nothing of the report."""
    for name in ("Start", "Yes", "Someone was unkind", "Send now", "Send"):
        kiosk.get_by_role("button", name=name, exact=True).click()
    code_box = kiosk.locator("#overlay-code")
    expect(code_box).to_be_visible()
    expect(code_box).to_contain_text("Remember your pictures")
    labels = code_box.locator(".code-picture span").all_inner_texts()
    assert len(labels) == 3
    shots = os.environ.get("KIOSK_SCREENSHOTS")
    if shots:
        kiosk.screenshot(path=os.path.join(shots, "thanks-with-pictures.png"))

    row = dashboard.get_by_role("row").filter(has_text="Someone was unkind").first
    row.get_by_role("link").first.click()
    dashboard.get_by_role("button", name="Acknowledge").click()
    panel = dashboard.get_by_role("region", name="What the pupil hears at a kiosk")
    panel.get_by_label("An adult has read it").check()
    panel.get_by_role("button", name="Set what the pupil hears").click()
    expect(dashboard.locator("#hearing-back-now")).to_contain_text("An adult has read it")

    context = browser.new_context(viewport=kiosk.viewport_size, has_touch=True,
                                  base_url=server.base_url)
    other = context.new_page()
    enrol_page(other)
    other.get_by_role("button", name="Did an adult read my worry?", exact=True).click()
    expect(other.get_by_role("heading", level=1)).to_have_text("Press your three pictures")
    if shots:
        other.locator("#main .tile").first.click()
        other.screenshot(path=os.path.join(shots, "hearing-back-pictures.png"))
        other.get_by_role("button", name="Back", exact=True).click()
        other.get_by_role("button", name="Did an adult read my worry?", exact=True).click()
    wrong = [name for name in ("Star", "Heart", "Sun", "Moon") if name not in labels][:1] * 3
    for name in wrong:
        other.locator("#main .tile").filter(has_text=name).click()
    expect(other.locator("#overlay-text")).to_have_text(
        "Those pictures are not right. Try again, or ask an adult.")
    other.get_by_role("button", name="Try again").click()
    for name in labels:
        other.locator("#main .tile").get_by_text(name, exact=True).click()
    expect(other.locator("#overlay-text")).to_have_text("An adult has read it.")
    expect(other.locator("#app")).not_to_contain_text("Someone was unkind")
    context.close()
