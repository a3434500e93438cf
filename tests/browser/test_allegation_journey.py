"""An urgent report about a member of staff, in Chromium: the case page warns of the
criteria for immediate referral; the DSL marks it as about the deputy, records the LADO's
advice and why it is not referred; the head signs that reason off by its entry; the case
closes; the deputy is refused the case."""
import os
import uuid
from pathlib import Path

from playwright.sync_api import expect

from conftest import staff_login

HEAD, DEPUTY = "head@browser.example", "deputy@browser.example"


def shoot(page, name):
    """Screenshots only when asked for: into the folder KIOSK_SCREENSHOTS names."""
    folder = os.environ.get("KIOSK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"allegation-{name}", full_page=True)


def test_a_case_about_the_deputy_needs_a_signed_reason_and_is_closed_to_them(
        browser, server, dashboard):
    server.add_user(HEAD, "head")
    server.add_user(DEPUTY, "deputy")
    sent = server.kiosk_session().post(server.base_url + "/api/reports", timeout=10, json={
        "client_id": str(uuid.uuid4()),
        "answers": {"safe": ["no"], "what": ["hurt"], "who": ["adult"]}})
    assert sent.status_code == 201

    dashboard.get_by_role("row").filter(has_text="Someone hurt").get_by_role("link").first.click()
    case_url = dashboard.url
    dashboard.get_by_role("button", name="Acknowledge").click()
    warning = dashboard.get_by_role("region", name="Met the criteria for immediate referral")
    expect(warning).to_contain_text("The incident involves an adult")
    expect(warning).to_contain_text("No referral recorded.")

    dashboard.get_by_label("Member of staff", exact=True).select_option(label=f"{DEPUTY} (Deputy DSL)")
    dashboard.get_by_label("Why this case is about them").fill("The pupil named the deputy.")
    dashboard.get_by_role("button", name="Mark as about this member of staff").click()
    expect(dashboard.get_by_role("region", name="About a member of staff")).to_contain_text(
        f"{DEPUTY} cannot see this case")

    dashboard.get_by_label("Decision", exact=True).select_option(label="LADO consulted: no referral")
    dashboard.get_by_label("Reason (for parents").fill("LADO advised: below the threshold.")
    dashboard.get_by_label("LADO officer consulted").fill("J. Officer")
    dashboard.get_by_role("button", name="Record decision").click()
    head = staff_login(browser, server, HEAD)
    head.goto(case_url)
    head.get_by_role("button", name="Sign off", exact=True).click()
    expect(head.locator("#sign-off-state")).to_have_text("Signed off")

    dashboard.goto(case_url)
    dashboard.get_by_label("Closing summary").fill("Handled with the LADO.")
    dashboard.get_by_role("button", name="Close case").click()
    expect(dashboard.get_by_role("alert")).to_contain_text("met the criteria for immediate referral")
    dashboard.get_by_label("Why this case is not referred").fill(
        "The LADO and police were consulted and advised no referral.")
    dashboard.get_by_role("button", name="Record reason for not referring").click()
    expect(dashboard.locator("#referral-state")).to_contain_text("waits for the head teacher")
    shoot(dashboard, "case-waiting.png")

    head.goto(case_url)
    head.get_by_role("button", name="Sign off entry").click()
    expect(head.locator("#referral-state")).to_contain_text("is signed off")
    head.goto("/staff/")
    expect(head.get_by_role("region", name="Concerns about staff")).to_contain_text("Case 1")
    head.context.close()

    dashboard.goto(case_url)
    dashboard.get_by_label("Closing summary").fill("Handled with the LADO; no referral.")
    dashboard.get_by_role("button", name="Close case").click()
    expect(dashboard.locator("#case-status")).to_have_text("Closed")
    shoot(dashboard, "case-closed.png")

    deputy = staff_login(browser, server, DEPUTY)
    deputy.get_by_role("status").filter(has_text="Live").wait_for()
    answer = deputy.goto(case_url)
    assert answer.status == 403
    expect(deputy.get_by_text("This case is not open to you")).to_be_visible()
    shoot(deputy, "deputy-refused.png")
    deputy.context.close()
