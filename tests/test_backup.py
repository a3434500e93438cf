"""Backups: encrypted, rotated, and a restore that checks the copy before replacing anything."""
import hashlib
import sqlite3
import subprocess
import sys
import threading
import uuid
from datetime import timedelta
from pathlib import Path

from bench._server import ROOT, instance_env, flask_command, running_server, stop
from helpers import a_report, rows
from kiosk import backup, jobs

ANSWERS = {"safe": ["yes"], "what": ["unkind"], "when": ["today"]}


def send(client, count=1):
    for _ in range(count):
        assert client.post("/api/reports", json=a_report()).status_code == 201


def report_count(app):
    return rows(app, "SELECT count(*) AS n FROM reports")[0]["n"]


def file_hash(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_a_backup_holds_no_secret_in_clear_and_restores_what_it_held(app, runner, client,
                                                                      dsl, tmp_path):
    send(client, 3)
    target = tmp_path / "copy.backup"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "Made a new backup key" in result.output and "Copy it somewhere safe" in result.output
    sealed = target.read_bytes()
    secret = rows(app, "SELECT totp_secret FROM users")[0]["totp_secret"]
    assert secret.encode() not in sealed and b"SQLite format 3" not in sealed
    assert target.stat().st_mode & 0o777 == 0o600
    assert Path(app.config["BACKUP_KEY_FILE"]).stat().st_mode & 0o777 == 0o600

    send(client, 2)  # after the backup: gone once it is restored
    assert report_count(app) == 5
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output and "3 reports" in result.output
    assert report_count(app) == 3
    actions = [r["action"] for r in rows(app, "SELECT action FROM audit ORDER BY id")]
    assert actions[-1] == "database.restored"
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    # The database it replaced is kept, encrypted, and restores too.
    kept = list(Path(app.config["BACKUP_DIR"]).glob("before-restore-*.backup"))
    assert len(kept) == 1
    assert runner.invoke(args=["restore", str(kept[0]), "--yes"]).exit_code == 0
    assert report_count(app) == 5


def refused_and_untouched(app, runner, args, why):
    """Restore is refused with `why` and the database and backup folder stay as they were."""
    before = file_hash(app.config["DATABASE"]), report_count(app)
    folder = Path(app.config["BACKUP_DIR"])
    listed = sorted(folder.iterdir()) if folder.exists() else []
    result = runner.invoke(args=["restore", *args, "--yes"])
    assert result.exit_code == 1
    assert why in result.output and "not restored" in result.output
    assert (file_hash(app.config["DATABASE"]), report_count(app)) == before
    assert (sorted(folder.iterdir()) if folder.exists() else []) == listed
    return result.output


def test_a_tampered_backup_is_refused_and_nothing_is_replaced(app, runner, client, tmp_path):
    send(client, 2)
    target = tmp_path / "copy.backup"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    send(client)
    changed = bytearray(target.read_bytes())
    changed[len(changed) // 2] ^= 0x01  # one bit in the middle of the copy
    tampered = tmp_path / "tampered.backup"
    tampered.write_bytes(bytes(changed))
    refused_and_untouched(app, runner, [str(tampered)], "changed or damaged")
    cut = tmp_path / "cut.backup"
    cut.write_bytes(target.read_bytes()[:-100])  # cut short
    refused_and_untouched(app, runner, [str(cut)], "changed or damaged")
    plain = tmp_path / "plain.sqlite3"
    plain.write_bytes(backup.snapshot(app.config["DATABASE"]))  # an unencrypted copy
    refused_and_untouched(app, runner, [str(plain)], "not an encrypted kiosk backup")


def test_a_backup_restored_with_the_wrong_key_is_refused(app, runner, client, tmp_path):
    send(client)
    target = tmp_path / "copy.backup"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    other = tmp_path / "other.key"
    backup.ensure_key(other)
    output = refused_and_untouched(app, runner, [str(target), "--key", str(other)],
                                   "made with another key")
    assert backup.key_id(backup.load_key(app.config["BACKUP_KEY_FILE"])).hex() in output


def test_a_copy_whose_audit_log_was_changed_is_refused(app, runner, client, tmp_path):
    """A copy sealed with the right key, but an audit entry rewritten inside it first."""
    send(client, 2)
    plain = backup.snapshot(app.config["DATABASE"])
    copy = backup.opened(plain)
    copy.execute("DROP TRIGGER audit_no_update")
    entry_id = copy.execute("SELECT max(id) FROM audit").fetchone()[0]
    copy.execute("UPDATE audit SET actor = 'someone else' WHERE id = ?", [entry_id])
    copy.commit()
    forged = tmp_path / "forged.backup"
    key = backup.ensure_key(app.config["BACKUP_KEY_FILE"])
    backup.write_new(forged, backup.seal(copy.serialize(), key))
    copy.close()
    output = refused_and_untouched(app, runner, [str(forged)], "audit log")
    assert f"#{entry_id}" in output


def test_backups_on_a_schedule_are_rotated_7_daily_and_4_weekly(app, db, clock):
    """Forty days of a job looking every six hours, on a clock the test moves."""
    job, start = jobs.backup_job(app), clock.now
    for step in range(40 * 4):
        clock.now = start + timedelta(hours=6 * step)
        job(db)
    taken = [at for at, _ in backup.scheduled(app.config["BACKUP_DIR"])]
    days = sorted({at.date() for at in taken}, reverse=True)
    assert len(days) == len(taken)  # one a day at most
    newest = taken[0].date()
    assert days[:7] == [newest - timedelta(days=n) for n in range(7)]
    weeks = [at.isocalendar()[:2] for at in taken]
    assert len(set(weeks)) == 4  # the last four weeks, each still holding one
    # Seven days cover parts of two weeks: two more weeks keep their newest backup.
    assert 7 < len(taken) <= 7 + 3
    last = rows(app, "SELECT value FROM settings WHERE key = 'last_backup'")
    assert taken and str(taken[0].year) in last[0]["value"]
    assert rows(app, "SELECT count(*) AS n FROM audit WHERE action = 'database.backed_up'"
                )[0]["n"] == 40


def test_rotation_never_touches_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / "before-restore-2026-01-01-000000.backup").write_bytes(b"x")
    assert backup.rotate(tmp_path, 0, 0) == []
    assert len(list(tmp_path.iterdir())) == 2


def test_backup_without_a_file_goes_to_the_backup_folder(app, runner):
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    assert len(backup.scheduled(app.config["BACKUP_DIR"])) == 1


def _post_until(session, base_url, stop_event, acked):
    """Send reports as a kiosk until told to stop; keep each acknowledged client id."""
    while not stop_event.is_set():
        client_id = str(uuid.uuid4())
        answer = session.post(base_url + "/api/reports", timeout=10,
                              json={"client_id": client_id, "answers": ANSWERS})
        if answer.status_code in (200, 201):
            acked.append(client_id)


def _restore(instance_path, path):
    return subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", "restore",
                           str(path), "--yes"], cwd=ROOT, env=instance_env(instance_path),
                          capture_output=True, text=True, timeout=60)


def test_a_backup_taken_while_reports_flow_restores_every_acknowledged_report(tmp_path):
    """A real server storing reports from a thread while the backup command runs; restore
    is refused while it runs, then the server stops and the copy is restored. About 20 s
    on a busy machine: a server start and four commands, each a process of its own."""
    with running_server(with_dsl=False) as server:
        acked, stopping = [], threading.Event()
        sender = threading.Thread(target=_post_until, args=(
            server.kiosk_session(), server.base_url, stopping, acked))
        sender.start()
        try:
            while len(acked) < 20:  # reports are flowing
                stopping.wait(0.01)
            before = set(acked)
            target = tmp_path / "during.backup"
            flask_command(server.instance_path, "backup", str(target))
            while len(acked) < len(before) + 20:  # and went on flowing after it
                stopping.wait(0.01)
        finally:
            stopping.set()
            sender.join()
        refused = _restore(server.instance_path, target)
        assert refused.returncode == 1 and "the server is running" in refused.stderr
        stop(server.process)
        restored = _restore(server.instance_path, target)
        assert restored.returncode == 0, restored.stderr
        conn = sqlite3.connect(Path(server.instance_path) / "kiosk.sqlite3")
        stored = {row[0] for row in conn.execute("SELECT client_id FROM reports")}
        conn.close()
        assert before <= stored <= set(acked)
        assert len(stored) < len(acked)  # the copy is from the middle of the flow
