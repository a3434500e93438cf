"""Pupils from the school's MIS to a case, in Chromium: the DSL brings in the pupil list
on the pupils page; a report about pictures arrives; the DSL finds the child with SEND
and adds them as the child at risk (the case warns, and the due time comes forward);
the alleged perpetrator, typed as a new pupil, is found to be on record already and is
added from the warning; the child's chronology shows the case and their role."""
import os
import re
import uuid
from pathlib import Path

from playwright.sync_api import expect

MIS_EXPORT = ("\ufeffUPN,Legal Surname,Forename,DOB,Year,SEN Status,In Care,CP\r\n"
              "A123456789012,Pupil,Amy,06/05/2012,9,K,No,No\r\n"
              "B123456789012,Other,Ben,02/01/2012,9,N,No,No\r\n")


def shoot(page, name):
    """Screenshots only when asked for: into the folder KIOSK_SCREENSHOTS names."""
    folder = os.environ.get("KIOSK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"pupils-{name}.png", full_page=True)


def test_pupils_from_the_mis_are_added_to_a_case_in_their_roles(server, dashboard, tmp_path):
    export = tmp_path / "pupils.csv"
    export.write_text(MIS_EXPORT, encoding="utf-8")
    dashboard.get_by_role("link", name="Pupils").click()
    dashboard.get_by_label("Pupil list (CSV)").set_input_files(export)
    dashboard.get_by_role("button", name="Bring in pupils").click()
    expect(dashboard.get_by_role("status")).to_contain_text("2 new, 0 updated, 0 unchanged")
    shoot(dashboard, "imported")

    sent = server.kiosk_session().post(server.base_url + "/api/reports", timeout=10, json={
        "client_id": str(uuid.uuid4()), "answers": {"safe": ["yes"], "what": ["pictures"]}})
    assert sent.status_code == 201
    dashboard.goto("/staff/")
    # The row's link once the dashboard has filled it in (its template starts as "#"),
    # followed by its address: a click as the page settles can land beside it.
    link = dashboard.get_by_role("row").filter(has_text="pictures").get_by_role("link").first
    expect(link).to_have_attribute("href", re.compile(r"/staff/reports/\d+$"))
    dashboard.goto(link.get_attribute("href"))

    dashboard.get_by_label("Find a pupil on record (name or UPN)").fill("amy")
    dashboard.get_by_role("button", name="Find pupil").click()
    dashboard.get_by_role("button", name="Add Amy Pupil").click()
    warning = dashboard.get_by_role("note", name="Vulnerable pupil: Amy Pupil")
    expect(warning).to_contain_text("children with SEND are more likely")
    expect(dashboard.locator("#due-brought-forward")).to_be_visible()
    expect(dashboard.locator("#case-pupil-list")).to_contain_text("SEN support (K)")

    dashboard.get_by_label("New pupil's full name").fill("ben  other")
    dashboard.get_by_label("Role on this case").select_option(label="Alleged perpetrator")
    dashboard.get_by_role("button", name="Add new pupil").click()
    duplicates = dashboard.locator("#duplicate-pupils")
    expect(duplicates).to_contain_text("Is this a pupil already on record?")
    expect(duplicates).to_contain_text("UPN B123456789012")
    shoot(dashboard, "duplicate")
    duplicates.get_by_role("button", name="Add Ben Other").click()
    pupils_on_case = dashboard.locator("#case-pupil-list")
    expect(pupils_on_case.get_by_role("row").filter(has_text="Ben Other")).to_contain_text(
        "Alleged perpetrator")
    expect(pupils_on_case.get_by_role("row").filter(has_text="Amy Pupil")).to_contain_text(
        "Child at risk")
    expect(dashboard.get_by_text("Inform parents and guardians of both perpetrator")
           ).to_be_visible()
    shoot(dashboard, "case")

    pupils_on_case.get_by_role("link", name="Amy Pupil").click()
    expect(dashboard.get_by_role("heading", name="Chronology for Amy Pupil")).to_be_visible()
    expect(dashboard.get_by_role("heading", name="Case 1 (child at risk)")).to_be_visible()
    shoot(dashboard, "chronology")
