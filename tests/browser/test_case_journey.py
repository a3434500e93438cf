"""From a live alert to a closed case, in Chromium: the DSL logs in with an authenticator
code, acknowledges, decides not to refer; the head signs off; the case closes; the PDF opens."""
import io
import uuid

from playwright.sync_api import expect
from pypdf import PdfReader

from conftest import staff_login

HEAD = "head@browser.example"
SHOTS = "case-journey"


def test_a_decision_not_to_refer_is_signed_off_by_the_head_and_the_case_closes(
        browser, server, dashboard, tmp_path_factory):
    shots = tmp_path_factory.mktemp(SHOTS)
    server.add_user(HEAD, "head")
    kiosk = server.kiosk_session()
    sent = kiosk.post(server.base_url + "/api/reports", timeout=10, json={
        "client_id": str(uuid.uuid4()), "answers": {"safe": ["yes"], "what": ["unkind"]},
        "words": "Some girls in my class said mean things about me."})
    assert sent.status_code == 201

    # The alert arrives on the open dashboard without a reload.
    row = dashboard.get_by_role("row").filter(has_text="Someone was unkind")
    expect(row).to_be_visible()
    dashboard.screenshot(path=shots / "dashboard.png")
    row.get_by_role("link").first.click()
    case_url = dashboard.url
    dashboard.get_by_role("button", name="Acknowledge").click()
    expect(dashboard.locator("#case-status")).to_have_text("Acknowledged")

    dashboard.get_by_label("Decision", exact=True).select_option(
        label="Decided not to refer to police or children's social care")
    dashboard.get_by_label("Reason (for parents").fill(
        "Unkind words between classmates; the class teacher will support them.")
    dashboard.get_by_role("button", name="Record decision").click()
    expect(dashboard.locator("#sign-off-state")).to_contain_text("Needed")
    dashboard.get_by_label("Closing summary").fill("Handled in school.")
    dashboard.get_by_role("button", name="Close case").click()
    expect(dashboard.get_by_role("alert")).to_contain_text("head teacher must sign off")
    expect(dashboard.locator("#case-status")).to_have_text("Acknowledged")
    dashboard.screenshot(path=shots / "case-waiting.png", full_page=True)

    head = staff_login(browser, server, HEAD)
    head.goto(case_url)
    head.get_by_label("Comment (optional)").fill("Agreed: proportionate.")
    head.get_by_role("button", name="Sign off").click()
    expect(head.locator("#sign-off-state")).to_have_text("Signed off")
    head.context.close()

    dashboard.goto(case_url)
    dashboard.get_by_label("Closing summary").fill("Handled in school; pupil and parents spoken to.")
    dashboard.get_by_role("button", name="Close case").click()
    expect(dashboard.locator("#case-status")).to_have_text("Closed")
    expect(dashboard.get_by_role("button", name="Record decision")).to_have_count(0)
    dashboard.screenshot(path=shots / "case-closed.png", full_page=True)

    pdf_link = dashboard.get_by_role("link", name="PDF")
    response = dashboard.request.get(pdf_link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.body())).pages)
    for expected in ("Case 1 chronology", "Decided not to refer",
                     "Head teacher signed off the decision not to refer", "Case closed",
                     "Some girls in my class said mean things about me."):
        assert expected in text.replace("\n", " "), expected

    # The printable page opens from the case too.
    dashboard.get_by_role("link", name="Printable chronology").click()
    expect(dashboard.get_by_role("heading", name="Case 1 chronology")).to_be_visible()
    dashboard.screenshot(path=shots / "chronology.png", full_page=True)
