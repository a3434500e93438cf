"""Daily signed checkpoints: made by the background job, emailed content-free to the head
and the DSL through a real local SMTP server, printable on a staff page; the audit key
lives outside the database with its own permissions."""
import stat
from datetime import timedelta
from pathlib import Path

from helpers import a_report, rows
from kiosk.accounts.users import create_user
from kiosk.db import get_db
from kiosk.safeguarding import checkpoint_mail
from smtp_inbox import smtp

WORDS = "my uncle Zebedee hurts me"


def run_job(app, clock):
    with app.app_context():
        return checkpoint_mail.run(get_db(), clock.now, app.config, app.instance_path)


def test_the_audit_key_is_a_private_file_outside_the_database(app):
    key = Path(app.instance_path) / "audit_key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    secret = key.read_text().strip()
    assert secret.encode() not in Path(app.config["DATABASE"]).read_bytes()


def test_a_daily_checkpoint_is_emailed_to_the_head_and_dsl_without_content(
        app, client, dsl, clock, inbox):
    with app.app_context():
        create_user(get_db(), "head@school.example", "a long test password", "head")
        create_user(get_db(), "deputy@school.example", "a long test password", "deputy")
    app.config.update(SMTP=smtp(inbox.port))
    assert client.post("/api/reports", json=dict(a_report(), words=WORDS)).status_code == 201
    made = run_job(app, clock)
    assert made is not None and made.found == "intact"
    inbox.wait_for(2)
    assert sorted(inbox.recipients()) == ["dsl@school.example", "head@school.example"]
    body = inbox.messages[0][1].get_content()
    assert made.line in body and WORDS not in body and "Zebedee" not in body
    assert run_job(app, clock) is None  # not due again the same day, and not emailed twice
    assert len(inbox.messages) == 2
    clock.now += timedelta(hours=24)
    assert run_job(app, clock) is not None
    inbox.wait_for(4)


def test_without_email_a_checkpoint_is_still_made_and_shown_to_print(
        app, staff_client, clock):
    made = run_job(app, clock)
    assert made is not None
    page = staff_client.get("/staff/audit/checkpoints")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert made.line in html and "not emailed: email is not set up" in html
    text = staff_client.get("/staff/audit/checkpoints.txt")
    assert text.get_data(as_text=True).strip() == made.line
    assert made.line in (Path(app.instance_path) / "audit_checkpoints.txt").read_text()
    assert rows(app, "SELECT count(*) AS n FROM audit_checkpoints")[0]["n"] == 1


def test_the_checkpoints_page_is_for_the_dsl_and_head_only(app, clock):
    from helpers import log_in
    with app.app_context():
        create_user(get_db(), "it@school.example", "a long test password", "it")
    client = app.test_client()
    log_in(client, "it@school.example", "a long test password")
    assert client.get("/staff/audit/checkpoints").status_code in (302, 403)
