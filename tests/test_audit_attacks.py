"""The three attacks on the record (issue 16), each on a real SQLite file, each named by
`flask --app kiosk audit verify`; and a case action kept with its audit entry, or neither.

Before the keyed, sealing, checkpointed log, each attack below was answered "The audit
log is intact" (measured on the earlier code: 133, 152 and 151 entries checked)."""
import json
import sqlite3

import pytest

from helpers import a_report, csrf_from, rows, tamper
from kiosk import audit
from kiosk.db import get_db

ENTRIES = 150  # enough entries that "the newest 19", "#60" and "#120" all exist


def post(client, path, **form):
    """A form post as the page makes it, with the page's CSRF token."""
    token = csrf_from(client.get("/staff/account"))
    return client.post(path, data=dict(form, csrf_token=token))


@pytest.fixture
def record(app, client, staff_client, clock):
    """Ten reports from a kiosk, each acknowledged and noted by the DSL through the pages,
    then audited views until the log holds ENTRIES entries; returns the report ids."""
    for n in range(10):
        assert client.post("/api/reports", json=dict(
            a_report(), words=f"my words number {n}")).status_code == 201
    ids = [row["id"] for row in rows(app, "SELECT id FROM reports ORDER BY id")]
    for report_id in ids:
        assert post(staff_client, f"/staff/reports/{report_id}/acknowledge").status_code == 302
        assert post(staff_client, f"/staff/reports/{report_id}/notes",
                    text=f"Spoke to the pupil about report {report_id}").status_code == 302
    while newest(app) < ENTRIES:
        assert staff_client.get(f"/staff/reports/{ids[0]}").status_code == 200
    return ids


def newest(app):
    return rows(app, "SELECT max(id) AS id FROM audit")[0]["id"] or 0


def verify(runner, *args):
    result = runner.invoke(args=["audit", "verify", *args])
    return result.exit_code, result.output


def checkpoint(runner):
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    return result.output.strip().splitlines()[-1]


# --- (a) the newest entries removed ---------------------------------------------------

def test_a_removed_tail_is_named_against_the_last_checkpoint(app, record, runner):
    line = checkpoint(runner)
    signed = int(line.split()[1])
    last = newest(app)
    assert last == signed + 1  # the checkpoint's own audit entry follows it
    tamper(app, ("DROP TRIGGER audit_no_delete",),
           ("DELETE FROM audit WHERE id > ?", [last - 19]))
    code, output = verify(runner)
    assert code == 1
    assert f"entry #{last - 18} to #{signed} are missing: the log ends at #{last - 19}" in output
    assert "the newest entries were removed" in output


def test_a_removed_tail_and_its_checkpoints_are_named_by_the_printed_line(app, record, runner):
    """The database's checkpoints and the instance file go too; the printed line remains."""
    line = checkpoint(runner)
    signed = int(line.split()[1])
    tamper(app, ("DROP TRIGGER audit_no_delete",), ("DROP TRIGGER audit_checkpoints_no_delete",),
           ("DELETE FROM audit WHERE id > ?", [signed - 19]),
           ("DELETE FROM audit_checkpoints",))
    (app.instance_path and __import__("pathlib").Path(app.instance_path, "audit_checkpoints.txt")
     ).unlink()
    assert verify(runner)[0] == 0  # with nothing to compare, a shortened log looks whole
    code, output = verify(runner, "--checkpoint", line)
    assert code == 1 and f"to #{signed} are missing" in output


def test_a_forged_checkpoint_line_is_refused(app, record, runner):
    line = checkpoint(runner).split()
    line[-1] = "0" * 64
    code, output = verify(runner, "--checkpoint", " ".join(line))
    assert code == 1 and "a forged checkpoint" in output


# --- (b) a report's words and a case note changed, their triggers dropped ---------------

def test_a_changed_report_and_note_are_named(app, record, runner):
    report_id = record[3]
    note = rows(app, "SELECT id FROM report_events WHERE kind = 'note' AND report_id = ?",
                [record[4]])[0]["id"]
    tamper(app, ("DROP TRIGGER reports_record_fixed",),
           ("UPDATE reports SET words = 'nothing happened' WHERE id = ?", [report_id]),
           ("DROP TRIGGER report_events_no_update",),
           ("UPDATE report_events SET detail = ? WHERE id = ?",
            [json.dumps({"text": "All fine, nothing to do"}), note]))
    code, output = verify(runner)
    assert code == 1
    assert f"sealed report #{report_id}, which has been changed since it was stored" in output
    assert f"sealed case entry #{note}, which has been changed since it was stored" in output


def test_a_changed_report_before_a_checkpoint_is_named_by_the_full_check(app, record, runner):
    """The quick check starts at the checkpoint (made after a full check); --full reads all."""
    checkpoint(runner)
    tamper(app, ("DROP TRIGGER reports_record_fixed",),
           ("UPDATE reports SET words = 'nothing happened' WHERE id = ?", [record[0]]))
    code, output = verify(runner, "--full")
    assert code == 1 and f"sealed report #{record[0]}, which has been changed" in output


def test_a_deleted_report_is_named(app, record, runner):
    tamper(app, ("DROP TRIGGER reports_no_delete",), ("PRAGMA foreign_keys = OFF",),
           ("DELETE FROM reports WHERE id = ?", [record[5]]))
    code, output = verify(runner)
    assert code == 1 and f"sealed report #{record[5]}, which has been deleted" in output


def test_a_report_stored_while_nobody_acts_is_sealed_by_the_background_job(app, client, clock):
    from kiosk.safeguarding import checkpoint_mail
    assert client.post("/api/reports", json=a_report()).status_code == 201
    with app.app_context():
        db = get_db()
        checkpoint_mail.run(db, clock.now, app.config, app.instance_path)
        sealed = rows(app, "SELECT row_id FROM audit_seals WHERE table_name = 'reports'")
        assert [row["row_id"] for row in sealed] == [1]


# --- (c) an entry deleted, another edited, every hash recomputed without the key ---------

def test_a_recomputed_chain_is_named(app, record, runner):
    conn = sqlite3.connect(app.config["DATABASE"])
    conn.row_factory = sqlite3.Row
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("DELETE FROM audit WHERE id = 120")
    conn.execute("UPDATE audit SET actor = 'nobody' WHERE id = 60")
    prev = audit.GENESIS  # renumbered and rehashed, so the plain SHA-256 chain fits again
    for new_id, row in enumerate(list(conn.execute("SELECT * FROM audit ORDER BY id")), 1):
        digest = audit._digest(prev, dict(row))
        conn.execute("UPDATE audit SET id = ?, prev_hash = ?, hash = ? WHERE id = ?",
                     [new_id, prev, digest, row["id"]])
        prev = digest
    conn.commit()
    conn.close()
    code, output = verify(runner)
    assert code == 1
    named = [line.split()[1] for line in output.splitlines()
             if "does not fit its signature" in line and line.startswith("  entry")]
    assert named == ["#60", "#120"]  # the edited entry, and the one after the removed one
    assert "it was changed, or an entry just before it removed" in output


# --- one transaction for a case action and its audit entry ------------------------------

def test_a_case_note_is_kept_with_its_audit_entry_or_not_at_all(app, client, staff_client,
                                                                  monkeypatch):
    """A failure injected after the note is written and before its audit entry leaves
    neither; the next note is kept with its entry."""
    from kiosk.staff import case_views
    assert client.post("/api/reports", json=a_report()).status_code == 201
    assert post(staff_client, "/staff/reports/1/acknowledge").status_code == 302
    real_log = case_views.log

    def crash(*args, **kwargs):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(case_views, "log", crash)
    assert post(staff_client, "/staff/reports/1/notes", text="Never audited").status_code == 500
    assert rows(app, "SELECT * FROM report_events WHERE kind = 'note'") == []
    monkeypatch.setattr(case_views, "log", real_log)
    assert post(staff_client, "/staff/reports/1/notes", text="Audited").status_code == 302
    note = rows(app, "SELECT id FROM report_events WHERE kind = 'note'")
    audited = rows(app, "SELECT detail FROM audit WHERE action = 'case.note'")
    assert [json.loads(a["detail"])["entry"] for a in audited] == [n["id"] for n in note]
