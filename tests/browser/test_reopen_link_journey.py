"""Reopening a closed case and linking a related one, through the case page's real forms
in Chromium: the closing entry stays, the case is open again, and both cases show the
link (neither is merged)."""
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

from playwright.sync_api import expect


def send(server, what):
    kiosk = server.kiosk_session()
    sent = kiosk.post(server.base_url + "/api/reports", timeout=10, json={
        "client_id": str(uuid.uuid4()), "answers": {"safe": ["yes"], "what": [what]}})
    assert sent.status_code == 201
    path = Path(server.instance_path) / "kiosk.sqlite3"
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT id FROM reports WHERE client_id = ?",
                          [sent.json()["reference"]]).fetchone()[0]


def test_a_closed_case_is_reopened_with_a_reason_and_linked_to_a_related_one(server, dashboard):
    first, second = send(server, "online"), send(server, "pictures")
    page = dashboard
    page.goto(f"/staff/reports/{first}")
    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_label("Decision", exact=True).select_option("mash")  # no sign-off needed
    page.locator("#reason").fill("Referred: the pupil's family agreed to early help.")
    page.get_by_role("button", name="Record decision").click()
    page.get_by_label("Closing summary").fill("Resolved.")
    page.get_by_role("button", name="Close case").click()
    expect(page.locator("#case-status")).to_have_text("Closed")

    page.get_by_label("Why the case is reopened").fill("The pupil has told us it happened again.")
    page.get_by_role("button", name="Reopen case").click()
    expect(page.locator("#case-status")).to_have_text("Acknowledged")
    record = page.locator(".events")
    expect(record).to_contain_text("Case closed")  # the closing entry is kept
    expect(record).to_contain_text("The pupil has told us it happened again.")

    page.get_by_label("Related case number").fill(str(second))
    page.get_by_label("How they are related").fill("The same group chat.")
    page.get_by_role("button", name="Link case").click()
    links = page.locator("#case-links")
    expect(links.get_by_role("link", name=f"Case {second}")).to_be_visible()
    page.goto(f"/staff/reports/{second}")
    expect(page.locator("#case-links").get_by_role("link", name=f"Case {first}")).to_be_visible()
    expect(page.locator("#case-status")).to_have_text("New")  # linked, not merged
