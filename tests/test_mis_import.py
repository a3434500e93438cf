"""The school's pupil list from its MIS: SIMS and Arbor headings, a BOM, run again without
duplicates, changes recorded, every bad row named by its line and nothing half-written."""
import html
import io
import sqlite3

import pytest

from helpers import DSL_PASSWORD, csrf_from, log_in, rows
from kiosk import audit
from kiosk.accounts.users import create_user
from kiosk.db import get_db
from kiosk.safeguarding import mis_import, pupils

SIMS = ("\ufeffUPN,Legal Surname,Forename,Preferred Forename,DOB,Year,SEN Status,In Care,CP\r\n"
        "A123456789012,Pupil,Amelia,Amy,06/05/2014,7,K,No,No\r\n"
        "B123456789012,Other,Benjamin,,2013-01-02,Year 8,N,Yes,\r\n"
        "C12345678901A,Núñez,Zoë,,30/09/2015,R,E,N,Y\r\n")
ARBOR = ("First Name,Preferred First Name,Last Name,Date of Birth,Year Group,UPN,SEND,"
         "Looked After,Child Protection Plan\n"
         "Amelia,Amy,Pupil,2014-05-06,Year 7,A123456789012,SEN support (K),false,false\n")


def load(app, text, encoding="utf-8"):
    with app.app_context():
        return mis_import.bring_in(get_db(), text.encode(encoding), app.config["CLOCK"](),
                                   actor="tests")


def everyone(app):
    with app.app_context():
        return {p["upn"]: p for p in pupils.everyone(get_db())}


def test_a_sims_export_with_a_bom_is_brought_in(app):
    outcome = load(app, SIMS)
    assert outcome.summary() == "3 new, 0 updated, 0 unchanged"
    found = everyone(app)
    amy = found["A123456789012"]
    assert (amy["name"], amy["legal_first_name"], amy["date_of_birth"], amy["year_group"],
            amy["send"]) == ("Amy Pupil", "Amelia", "2014-05-06", "Year 7", "SEN support (K)")
    assert found["B123456789012"]["looked_after"] and not found["B123456789012"]["cp_plan"]
    zoe = found["C12345678901A"]
    assert zoe["name"] == "Zoë Núñez" and zoe["cp_plan"] and zoe["send"] == "EHC plan (E)"
    assert zoe["flags"] == ["SEND", "Child protection plan"]


def test_the_same_export_again_changes_nothing(app):
    load(app, SIMS)
    again = load(app, SIMS)
    assert again.summary() == "0 new, 0 updated, 3 unchanged"
    assert rows(app, "SELECT count(*) AS n FROM pupils")[0]["n"] == 3


def test_a_changed_field_is_updated_and_recorded_as_a_change(app, clock):
    load(app, SIMS)
    before = len(rows(app, "SELECT * FROM pupil_changes"))
    next_year = SIMS.replace("06/05/2014,7,K,No,No", "06/05/2014,8,K,Yes,No")
    outcome = load(app, next_year)
    assert outcome.summary() == "0 new, 1 updated, 2 unchanged"
    amy = everyone(app)["A123456789012"]
    assert amy["year_group"] == "Year 8" and amy["looked_after"]
    changed = rows(app, "SELECT field, old, new FROM pupil_changes ORDER BY id")[before:]
    assert changed == [{"field": "year_group", "old": "Year 7", "new": "Year 8"},
                       {"field": "looked_after", "old": "0", "new": "1"}]
    # The history cannot be rewritten, and the pupil's sealed first record still fits.
    conn = sqlite3.connect(app.config["DATABASE"])
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM pupil_changes")
    conn.close()
    with app.app_context():
        assert audit.verify(get_db()).ok


def test_arbor_headings_match_the_same_pupils(app):
    load(app, SIMS)
    outcome = load(app, ARBOR)
    assert outcome.summary() == "0 new, 0 updated, 1 unchanged"


def test_a_pupil_added_by_hand_is_completed_not_duplicated(app):
    with app.app_context():
        db = get_db()
        from kiosk.db import writing
        with writing(db):
            hand = pupils.create(db, None, app.config["CLOCK"](), "amy  pupil", "Y7")
    outcome = load(app, SIMS)
    assert outcome.matched_by_name == [hand] and len(outcome.created) == 2
    assert everyone(app)["A123456789012"]["id"] == hand


@pytest.mark.parametrize("text, problem", [
    ("UPN,Surname\n", "Line 1: the heading row has no column for forename"),
    ("Name,Year\nAmy,7\n", "Line 1: the heading row has no column for UPN, surname, forename"),
    ("", "Line 1: the file is empty"),
    ("UPN,Surname,Forename\n", "Line 2: the file has a heading row but no pupils"),
    ("UPN,Surname,Forename\n,Pupil,Amy\n", "Line 2: no UPN"),
    ("UPN,Surname,Forename\nA12,Pupil,Amy\n", "Line 2: UPN \"A12\" is not a UPN"),
    ("UPN,Surname,Forename\nA123456789012,,Amy\n", "Line 2: a forename and a surname are needed"),
    ("UPN,Surname,Forename,DOB\nA123456789012,Pupil,Amy,31/02/2014\n",
     "Line 2: date of birth \"31/02/2014\" is not a date"),
    ("UPN,Surname,Forename,DOB\nA123456789012,Pupil,Amy,01/01/2099\n",
     "Line 2: date of birth 01/01/2099 cannot be right"),
    ("UPN,Surname,Forename,CP\nA123456789012,Pupil,Amy,maybe\n",
     "Line 2: CP is \"maybe\": use Yes or No"),
    ("UPN,Surname,Forename\nA123456789012,Pupil,Amy\nA123456789012,Pupil,Amy\n",
     "Line 3: UPN A123456789012 is also on line 2"),
])
def test_a_bad_file_is_refused_with_the_line_at_fault(app, text, problem):
    with pytest.raises(mis_import.ImportRefused) as refused:
        load(app, text)
    assert problem in str(refused.value)


def test_one_bad_row_and_nothing_is_kept(app):
    text = SIMS + "D123456789012,Fourth,Dan,,not a date,7,,,\r\n"
    with pytest.raises(mis_import.ImportRefused) as refused:
        load(app, text)
    assert str(refused.value).startswith("Line 5: date of birth")
    assert rows(app, "SELECT count(*) AS n FROM pupils")[0]["n"] == 0
    assert rows(app, "SELECT count(*) AS n FROM pupil_details")[0]["n"] == 0


def test_every_bad_row_is_listed(app):
    text = "UPN,Surname,Forename\nA123456789012,Pupil,Amy\nbad,Two,Tom\n,Three,Tia\n"
    with pytest.raises(mis_import.ImportRefused) as refused:
        load(app, text)
    assert [line for line, _ in refused.value.problems] == [3, 4]


def test_a_row_the_csv_reader_cannot_read_is_refused(app):
    with pytest.raises(mis_import.ImportRefused, match="Line 3: this is not a readable CSV"):
        load(app, "UPN,Surname,Forename\nA123456789012,Pupil,Amy\nB123456789012,Other,"
             + "x" * 200_000 + "\n")


def test_a_file_not_in_utf8_is_refused_with_its_line(app):
    with pytest.raises(mis_import.ImportRefused, match="Line 3: this is not UTF-8"):
        load(app, "UPN,Surname,Forename\nA123456789012,Pupil,Amy\nB123456789012,Núñez,Zoë\n",
             encoding="cp1252")


# -- the command and the upload -------------------------------------------------------------

def test_the_command_brings_in_a_file_and_is_audited(app, runner, tmp_path):
    export = tmp_path / "pupils.csv"
    export.write_text(SIMS, encoding="utf-8")
    done = runner.invoke(args=["pupils", "import", str(export)])
    assert done.exit_code == 0, done.output
    assert "3 new, 0 updated, 0 unchanged" in done.output
    again = runner.invoke(args=["pupils", "import", str(export)])
    assert "0 new, 0 updated, 3 unchanged" in again.output
    logged = rows(app, "SELECT actor, detail FROM audit WHERE action = 'pupils.imported'")
    assert len(logged) == 2 and '"created": 3' in logged[0]["detail"]
    assert "Amy" not in logged[0]["detail"]  # counts, not names


def test_the_command_refuses_a_bad_file_naming_each_line(app, runner, tmp_path):
    export = tmp_path / "pupils.csv"
    export.write_text("UPN,Surname,Forename\nA1,Pupil,Amy\n", encoding="utf-8")
    done = runner.invoke(args=["pupils", "import", str(export)])
    assert done.exit_code == 1
    assert "nothing was changed" in done.output and "Line 2: UPN" in done.output
    assert rows(app, "SELECT count(*) AS n FROM pupils")[0]["n"] == 0


def upload(client, text, name="pupils.csv"):
    token = csrf_from(client.get("/staff/pupils"))
    return client.post("/staff/pupils/import", data={
        "csrf_token": token, "file": (io.BytesIO(text.encode("utf-8")), name)},
        content_type="multipart/form-data")


def test_the_dsl_uploads_the_list_on_the_pupils_page(app, staff_client):
    assert "Bring in the pupil list from the MIS" in staff_client.get(
        "/staff/pupils").get_data(as_text=True)
    done = upload(staff_client, SIMS)
    assert done.status_code == 200
    assert "3 new, 0 updated, 0 unchanged" in done.get_data(as_text=True)
    found = html.unescape(staff_client.get("/staff/pupils?q=zo").get_data(as_text=True))
    assert "Zoë Núñez" in found and "C12345678901A" in found
    assert "Child protection plan" in found
    assert rows(app, "SELECT count(*) AS n FROM audit WHERE action = 'pupils.imported'")[0]["n"]


def test_a_bad_upload_shows_each_line_and_keeps_nothing(app, staff_client):
    refused = upload(staff_client, SIMS.replace("06/05/2014", "6th May"))
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 400
    assert "was not brought in: nothing was changed" in text
    assert 'Line 2: date of birth "6th May" is not a date' in text
    assert rows(app, "SELECT count(*) AS n FROM pupils")[0]["n"] == 0


def test_only_the_dsl_and_head_may_upload(app, staff_client):
    with app.app_context():
        create_user(get_db(), "deputy@school.example", DSL_PASSWORD, "deputy")
    deputy = app.test_client()
    assert log_in(deputy, "deputy@school.example").status_code == 302
    assert "Bring in the pupil list" not in deputy.get("/staff/pupils").get_data(as_text=True)
    assert upload(deputy, SIMS).status_code == 403
    assert rows(app, "SELECT count(*) AS n FROM pupils")[0]["n"] == 0
