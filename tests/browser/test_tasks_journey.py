"""In Chromium, through the case page's own forms: the DSL adds a task (a weekend date is
refused), sets a review date, is refused closing while both are open, marks the task done
and cancels the review, and the case closes."""
import os
import uuid
from datetime import datetime, timedelta

from playwright.sync_api import expect

from kiosk import DEFAULT_SCHOOL_DAY
from kiosk.safeguarding.schoolday import SchoolDay


def shoot(page, tmp_path_factory, name):
    """Screenshots only when asked for (KIOSK_SCREENSHOTS set): they are for people to look at."""
    if os.environ.get("KIOSK_SCREENSHOTS"):
        folder = getattr(shoot, "folder", None) or tmp_path_factory.mktemp("tasks-journey")
        shoot.folder = folder
        page.screenshot(path=folder / name, full_page=True)


def school_dates():
    """The next school day and the next Saturday, as the running server's school sees them."""
    school = SchoolDay.from_config(DEFAULT_SCHOOL_DAY)
    today = datetime.now(school.timezone).date()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    return school.next_school_day(today), saturday


def test_a_task_and_a_review_date_are_worked_to_a_close(browser, server, dashboard,
                                                        tmp_path_factory):
    due, saturday = school_dates()
    sent = server.kiosk_session().post(server.base_url + "/api/reports", timeout=10, json={
        "client_id": str(uuid.uuid4()), "answers": {"safe": ["yes"], "what": ["unkind"]},
        "words": "Someone keeps taking my lunch money."})
    assert sent.status_code == 201
    row = dashboard.get_by_role("row").filter(has_text="Someone was unkind")
    row.get_by_role("link").first.click()
    dashboard.get_by_role("button", name="Acknowledge").click()
    expect(dashboard.locator("#case-status")).to_have_text("Acknowledged")

    dashboard.get_by_label("What is to be done").fill("Speak to the class teacher")
    dashboard.get_by_label("Due by (a school day)").fill(saturday.isoformat())
    dashboard.get_by_role("button", name="Add task").click()
    expect(dashboard.get_by_role("alert")).to_contain_text("is not a school day")
    dashboard.get_by_label("What is to be done").fill("Speak to the class teacher")
    dashboard.get_by_label("Due by (a school day)").fill(due.isoformat())
    dashboard.get_by_role("button", name="Add task").click()
    tasks = dashboard.locator("#task-list")
    expect(tasks).to_contain_text("Task: Speak to the class teacher")

    dashboard.get_by_label("Review date (a school day)").fill(due.isoformat())
    dashboard.get_by_role("button", name="Set review date").click()
    expect(tasks).to_contain_text("Review due")
    expect(dashboard.locator(".events")).to_contain_text("Review date set: Review the case")
    shoot(dashboard, tmp_path_factory, "case-tasks.png")

    dashboard.get_by_label("Decision", exact=True).select_option(
        label="Referred to children's social care (MASH)")
    dashboard.get_by_label("Reason (for parents").fill("Taking money: referred to MASH.")
    dashboard.get_by_role("button", name="Record decision").click()
    dashboard.get_by_label("Closing summary").fill("Referred.")
    dashboard.get_by_role("button", name="Close case").click()
    expect(dashboard.get_by_role("alert")).to_contain_text(
        'Task 1 "Speak to the class teacher"')
    expect(dashboard.locator("#case-status")).to_have_text("Acknowledged")

    dashboard.get_by_text("Work task 1").click()
    dashboard.get_by_label("Outcome of task 1").fill("Teacher will watch at lunchtimes.")
    dashboard.get_by_role("button", name="Mark task 1 done").click()
    dashboard.get_by_text("Work task 2").click()
    dashboard.get_by_label("Why task 2 is no longer needed").fill("MASH are leading.")
    dashboard.get_by_role("button", name="Cancel task 2").click()
    expect(dashboard.locator(".events")).to_contain_text("Review cancelled: Review the case")
    dashboard.get_by_label("Closing summary").fill("Referred; school support in place.")
    dashboard.get_by_role("button", name="Close case").click()
    expect(dashboard.locator("#case-status")).to_have_text("Closed")
    expect(tasks).to_contain_text("done")
    shoot(dashboard, tmp_path_factory, "case-closed-tasks.png")
