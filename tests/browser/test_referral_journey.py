"""An urgent case that met the criteria for immediate referral, through the real forms in
Chromium: closing without a referral is refused, the DSL records why not (quoting the
criteria), the head signs off that entry, then it closes; the PDF shows each step."""
import io
import uuid

from playwright.sync_api import expect
from pypdf import PdfReader

from conftest import staff_login

HEAD = "head@referral.example"


def test_a_case_that_met_the_criteria_closes_only_after_the_heads_sign_off_of_why_not(
        browser, server, dashboard):
    server.add_user(HEAD, "head")
    kiosk = server.kiosk_session()
    sent = kiosk.post(server.base_url + "/api/reports", timeout=10, json={
        "client_id": str(uuid.uuid4()), "answers": {"safe": ["no"]}})
    assert sent.status_code == 201
    row = dashboard.get_by_role("row").filter(has_text="not safe right now").first
    row.get_by_role("link").first.click()
    case_url = dashboard.url
    dashboard.get_by_role("button", name="Acknowledge").click()
    warning = dashboard.get_by_role("region", name="Met the criteria for immediate referral")
    expect(warning).to_contain_text("immediate risk of harm")

    dashboard.get_by_label("Decision", exact=True).select_option("internal_support")
    dashboard.locator("#reason").fill("The pupil was safe by the time we spoke; plan agreed.")
    dashboard.get_by_role("button", name="Record decision").click()
    dashboard.get_by_label("Closing summary").fill("Supported in school.")
    dashboard.get_by_role("button", name="Close case").click()
    expect(dashboard.locator(".flash")).to_be_visible()  # refused: nothing signed off yet
    expect(dashboard.locator("#case-status")).not_to_have_text("Closed")

    dashboard.get_by_label("Why this case is not referred").fill(
        "Police attended at home last night and children's social care lead informed.")
    dashboard.get_by_role("button", name="Record reason for not referring").click()
    expect(dashboard.locator(".events")).to_contain_text(
        "Not referring despite the criteria for immediate referral")

    head = staff_login(browser, server, HEAD)
    head.goto(case_url)
    head.get_by_role("button", name="Sign off entry").click()
    expect(head.locator(".events")).to_contain_text("Signed off entry")
    head.context.close()

    dashboard.reload()
    dashboard.get_by_label("Closing summary").fill("Supported in school; police involved.")
    dashboard.get_by_role("button", name="Close case").click()
    expect(dashboard.locator("#case-status")).to_have_text("Closed")
    pdf = dashboard.context.request.get(case_url + "/chronology.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    text = " ".join(text.split())
    assert "Not referring despite the criteria for immediate referral" in text
    assert "Signed off entry" in text
