"""A pupil's file from one install to another as a signed JSON transfer file, and back out
as CSV; a tampered file is refused with nothing written. Two real instances, each with its
own SQLite file and audit key."""
import csv
import io
import json

import pytest

from helpers import a_report, csrf_from, rows
from kiosk import create_app
from kiosk.db import get_db
from kiosk.safeguarding import transfer


def post(client, path, **form):
    token = csrf_from(client.get("/staff/account"))
    return client.post(path, data=dict(form, csrf_token=token))


@pytest.fixture
def pupil_file(app, client, staff_client):
    """Two cases for one pupil at the sending school: a note, a corrected note, a decision."""
    for words in ("he took my phone", "=HYPERLINK(\"http://x\")"):
        assert client.post("/api/reports", json=dict(a_report(), words=words)).status_code == 201
    for report_id in (1, 2):
        assert post(staff_client, f"/staff/reports/{report_id}/acknowledge").status_code == 302
        assert post(staff_client, f"/staff/reports/{report_id}/pupil",
                    **({"pupil_id": "1"} if report_id == 2 else
                       {"name": "Ada Lovelace", "year_group": "Year 5"})).status_code == 302
    assert post(staff_client, "/staff/reports/1/notes", text="Spoke to Ada").status_code == 302
    first = rows(app, "SELECT id FROM report_events WHERE kind = 'note'")[0]["id"]
    assert post(staff_client, "/staff/reports/1/notes", text="Spoke to Ada and her mum",
                corrects=str(first)).status_code == 302
    assert post(staff_client, "/staff/reports/1/decisions", decision="parents_informed",
                reason="Mum came in").status_code == 302
    return 1


@pytest.fixture
def receiving(tmp_path, monkeypatch, clock):
    """A second install: its own instance folder, database and audit key."""
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "other"))
    return create_app({"TESTING": True, "CLOCK": clock, "VOSK_MODEL": ""})


def exported(app, runner, tmp_path, pupil_id):
    out, csv_out = tmp_path / "ada.json", tmp_path / "ada.csv"
    result = runner.invoke(args=["transfer", "export", str(out), "--pupil", str(pupil_id),
                                 "--csv", str(csv_out)])
    assert result.exit_code == 0, result.output
    key = runner.invoke(args=["transfer", "key"]).output.split("Transfer key: ")[1].split()[0]
    return out, csv_out, key


def test_a_pupils_file_goes_to_another_install_with_its_chronology(
        app, runner, tmp_path, pupil_file, receiving):
    out, csv_out, key = exported(app, runner, tmp_path, pupil_file)
    document = json.loads(out.read_text())
    assert document["format"] == "worry-kiosk-transfer" and document["kind"] == "pupil"
    assert document["pupil"]["name"] == "Ada Lovelace" and len(document["cases"]) == 2
    assert document["signature"]["algorithm"] == "HMAC-SHA256"
    sent = [(e["kind"], e["text"]) for e in document["cases"][0]["entries"]]

    result = receiving.test_cli_runner().invoke(args=["transfer", "import", str(out),
                                                      "--key", key])
    assert result.exit_code == 0, result.output
    assert "Imported 2 case(s)" in result.output and "marked as transferred" in result.output
    arrived = rows(receiving, "SELECT * FROM reports ORDER BY id")
    assert [r["words"] for r in arrived] == ["he took my phone", "=HYPERLINK(\"http://x\")"]
    assert {r["source"] for r in arrived} == {"transfer"}
    assert {r["status"] for r in arrived} == {"acknowledged"}  # open there: worked on here
    pupil = rows(receiving, "SELECT * FROM pupils")
    assert [(p["name"], p["year_group"]) for p in pupil] == [("Ada Lovelace", "Year 5")]
    assert {r["pupil_id"] for r in arrived} == {pupil[0]["id"]}
    with receiving.app_context():
        from kiosk.safeguarding.chronology import present_entries
        shown = present_entries(get_db(), arrived[0]["id"])
    assert [(e["kind"], e["text"]) for e in shown[:-1]] == sent  # the same chronology
    assert shown[-1]["kind"] == "transferred_in"
    assert "their case 1" in shown[-1]["title"] + shown[-1]["text"]
    corrected = [e for e in shown if e["kind"] == "note"]
    assert corrected[0]["corrected_by"] == corrected[1]["id"]  # the correction still points
    assert "dsl@school.example" in json.dumps(shown[0]["detail"])  # who did it there
    assert receiving.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0

    table = list(csv.reader(io.StringIO(csv_out.read_text())))
    assert table[0] == ["case", "at", "kind", "title", "text", "by", "corrects"]
    assert ["2", "'=HYPERLINK(\"http://x\")"] in [[row[0], row[4]] for row in table]
    assert not any(cell.startswith("=") for row in table for cell in row)


@pytest.mark.parametrize("change", ["words", "entry", "signature", "key"])
def test_a_tampered_file_is_refused_and_nothing_is_written(
        app, runner, tmp_path, pupil_file, receiving, change):
    out, _, key = exported(app, runner, tmp_path, pupil_file)
    document = json.loads(out.read_text())
    if change == "words":
        document["cases"][0]["words"] = "nothing happened"
    elif change == "entry":
        del document["cases"][0]["entries"][-1]
    elif change == "signature":
        document["signature"]["value"] = "0" * 64
    out.write_text(json.dumps(document))
    given = "ab" * 32 if change == "key" else key
    before = {t: rows(receiving, f"SELECT count(*) AS n FROM {t}")[0]["n"]
              for t in ("reports", "report_events", "pupils", "audit")}
    result = receiving.test_cli_runner().invoke(args=["transfer", "import", str(out),
                                                      "--key", given])
    assert result.exit_code == 1
    assert "was not imported" in result.output
    assert ("signed with another key" if change == "key" else "does not fit") in result.output
    after = {t: rows(receiving, f"SELECT count(*) AS n FROM {t}")[0]["n"] for t in before}
    assert after == before


def test_the_transfer_key_is_not_the_audit_key(app):
    with app.app_context():
        from kiosk import audit
        audit_key = audit.current_key(get_db())
    assert transfer.transfer_key(audit_key) != audit_key
    assert audit_key.hex() not in (app.instance_path + transfer.transfer_key(audit_key).hex())
