"""Nudes shared between pupils, in Chromium: the DSL records the initial review meeting,
is refused a device not switched off, locks it away, signs a viewing record, gives a
deletion deadline, reports to the police with a crime reference and reviews that
decision; the PDF prints each step."""
import io
import os
import uuid
from datetime import datetime, timedelta
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from kiosk.safeguarding import imagery


def shoot(page, name):
    """A screenshot only when asked for: into the folder KIOSK_SCREENSHOTS names."""
    folder = os.environ.get("KIOSK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"imagery-{name}", full_page=True)


def answer_the_review(page):
    page.get_by_label("Who attended the meeting").fill("DSL, head teacher, head of year")
    for key, text in imagery.QUESTIONS + imagery.CRITERIA:
        choice = "Yes" if key == "shared_widely" else "No"
        group = page.get_by_role("group", name=text, exact=True)
        group.get_by_label(choice, exact=True).check()
    page.locator("#q-shared_widely-note").fill("A Snapchat group of six")
    page.get_by_role("button", name="Record the initial review meeting").click()


def lock_away(page, switched_off):
    page.get_by_label("Which device").fill("Black iPhone")
    page.get_by_label("Where it is locked away").fill("The head's safe")
    page.get_by_label("Who holds the key").fill("The head teacher")
    page.get_by_label("The device is switched off").set_checked(switched_off)
    page.get_by_label("It is under lock and key").check()
    page.get_by_role("button", name="Record device locked away").click()


def sign_viewing_record(page):
    page.get_by_label("Who else was present").fill("The head teacher")
    page.get_by_label("Why viewing was necessary").select_option("unavoidable")
    page.get_by_label("Why it was necessary, in your words").fill("She showed it to me.")
    page.get_by_label("What happened next").fill("Phone switched off and locked away.")
    for question in ("Discussed with the head teacher first", "Were you the same sex"):
        page.get_by_role("group", name=question).get_by_label("Yes", exact=True).check()
    page.get_by_label("I confirm I viewed the imagery").check()
    page.get_by_role("button", name="Sign the viewing record").click()



def school_day(day):
    """The day, or the Monday after when it falls at a weekend: dates given on the case
    become tasks, which fall due on school days only."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day

def test_the_dsl_records_each_imagery_step_and_the_pdf_prints_them(server, dashboard):
    sent = server.kiosk_session().post(server.base_url + "/api/reports", timeout=10, json={
        "client_id": str(uuid.uuid4()), "answers": {"safe": ["yes"], "what": ["unkind"]},
        "words": "A picture of me is going round the group chat."})
    assert sent.status_code == 201
    dashboard.get_by_role("row").filter(has_text="Someone was unkind").get_by_role(
        "link").first.click()
    dashboard.get_by_role("button", name="Acknowledge").click()
    record = dashboard.locator("ol.events")
    dashboard.locator("summary", has_text="Record an imagery step").click()

    answer_the_review(dashboard)
    expect(record).to_contain_text("Imagery: initial review meeting")
    expect(record).to_contain_text("(this may be unknown): Yes (A Snapchat group of six)")

    lock_away(dashboard, switched_off=False)
    expect(dashboard.get_by_role("alert")).to_contain_text("must be switched off")
    lock_away(dashboard, switched_off=True)
    expect(record).to_contain_text("Device switched off and locked away: Black iPhone")
    expect(dashboard.locator("#imagery-state")).to_contain_text("locked away at The head's safe")

    sign_viewing_record(dashboard)
    expect(record).to_contain_text("Imagery viewed: viewing record, signed and dated")

    deadline = school_day((datetime.now() + timedelta(days=3)).date())
    dashboard.get_by_label("Deadline given to the young people").fill(deadline.isoformat())
    dashboard.get_by_label("Young people given the deadline").fill("Pupils A and B")
    dashboard.get_by_label("They were reminded").check()
    dashboard.get_by_role("button", name="Record the deletion deadline").click()
    expect(dashboard.locator("#imagery-deadline")).to_contain_text(deadline.isoformat())

    dashboard.get_by_label("Decision", exact=True).select_option(label="Reported to police on 101")
    dashboard.get_by_label("Reason (for parents").fill("Shared without consent, with malice.")
    dashboard.get_by_label("Crime reference number (for “Reported to police on 101”").fill(
        "CR/5521/26")
    dashboard.get_by_role("button", name="Record decision").click()
    expect(record).to_contain_text("Crime reference number: CR/5521/26")

    dashboard.get_by_label("Who reviewed it").fill("DSL and head teacher")
    dashboard.get_by_label("Outcome", exact=True).select_option(label="The decision stands")
    dashboard.get_by_label("Why (when it changes").fill("Police are investigating.")
    dashboard.get_by_label("Next review by").fill(
        school_day(deadline + timedelta(days=4)).isoformat())
    dashboard.get_by_role("button", name="Record the review").click()
    expect(record).to_contain_text("Decision reviewed: Reported to police on 101")
    shoot(dashboard, "case.png")

    pdf = dashboard.request.get(dashboard.get_by_role("link", name="PDF").get_attribute("href"))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages
                             ).split())
    for expected in ("Imagery: initial review meeting", "Device switched off and locked away",
                     "Imagery viewed: viewing record, signed and dated",
                     "Imagery: deletion deadline", "Crime reference number: CR/5521/26",
                     "Decision reviewed: Reported to police on 101"):
        assert expected in text, expected
