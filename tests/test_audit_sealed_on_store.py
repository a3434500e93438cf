"""A report is sealed into the audit chain in the same commit that stores it, so a change
made straight after is named by `flask --app kiosk audit verify` without waiting for the
sealing job (the test app runs no background jobs). Before, a report changed within the
job's 60 s, its trigger dropped, was sealed as changed and the log read as intact."""

from helpers import a_report, rows, tamper
from kiosk.safeguarding import reports


def test_a_report_changed_as_soon_as_it_is_stored_is_named(app, client, runner):
    assert client.post("/api/reports", json=a_report()).status_code == 201
    assert [r["row_id"] for r in rows(
        app, "SELECT row_id FROM audit_seals WHERE table_name = 'reports'")] == [1]
    tamper(app, ("DROP TRIGGER reports_record_fixed",),
           ("UPDATE reports SET words = 'nothing happened' WHERE id = 1",))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "sealed report #1, which has been changed since it was stored" in result.output


def test_a_report_is_kept_with_its_seal_or_not_at_all(app, client, monkeypatch):
    """A failure injected after the seal and before the commit leaves neither; the kiosk
    is told the send failed, and the next send is stored and sealed."""
    real_record = reports.notify.record

    def crash(*args, **kwargs):
        raise RuntimeError("the process died here")

    monkeypatch.setattr(reports.notify, "record", crash)
    assert client.post("/api/reports", json=a_report()).status_code == 500
    assert rows(app, "SELECT id FROM reports") == []
    assert rows(app, "SELECT row_id FROM audit_seals WHERE table_name = 'reports'") == []
    monkeypatch.setattr(reports.notify, "record", real_record)
    assert client.post("/api/reports", json=a_report()).status_code == 201
    stored = [r["id"] for r in rows(app, "SELECT id FROM reports")]
    sealed = [r["row_id"] for r in rows(
        app, "SELECT row_id FROM audit_seals WHERE table_name = 'reports'")]
    assert sealed == stored and len(stored) == 1
