"""Attachments on a case: only PDF, PNG, JPEG and plain text, judged by their bytes,
size-limited, stored by hash outside the database, shown only to readers (audited), a
picture only once confirmed not an indecent image of a child, and kept in backups."""
import hashlib
import html
import io
import json
import shutil
from pathlib import Path

import pytest

from kiosk import backup
from kiosk.accounts.users import create_user
from kiosk.db import get_db
from kiosk.safeguarding import cases

from helpers import DSL_PASSWORD, a_report, csrf_from, log_in, rows

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 40 + b"\xff\xd9"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
TEXT = "Messages copied from the group chat, 17 Nov:\n\"you're dead tomorrow\"\n".encode()
FAKE_JPEG = b"<!DOCTYPE html><html><script>alert(1)</script></html>"


@pytest.fixture
def case(client):
    assert client.post("/api/reports", json=a_report()).status_code == 201
    return 1


def attach(staff, name, data, confirmed=False, report_id=1):
    page = staff.get(f"/staff/reports/{report_id}")
    form = {"csrf_token": csrf_from(page), "file": (io.BytesIO(data), name)}
    if confirmed:
        form["not_indecent"] = "yes"
    return staff.post(f"/staff/reports/{report_id}/attachments", data=form,
                      content_type="multipart/form-data")


def stored_files(app):
    folder = Path(app.instance_path) / "attachments"
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def nothing_stored(app):
    assert stored_files(app) == []
    assert rows(app, "SELECT count(*) AS n FROM attachments")[0]["n"] == 0
    assert rows(app, "SELECT count(*) AS n FROM report_events WHERE kind = 'attachment_added'"
                )[0]["n"] == 0


def text_of(response):
    return html.unescape(response.get_data(as_text=True))


def test_a_confirmed_screenshot_is_stored_by_hash_and_listed(app, case, staff_client):
    response = attach(staff_client, "chat screenshot.png", PNG, confirmed=True)
    assert response.status_code == 302
    digest = hashlib.sha256(PNG).hexdigest()
    assert stored_files(app) == [digest]
    assert (Path(app.instance_path) / "attachments" / digest[:2] / digest).read_bytes() == PNG
    row = rows(app, "SELECT * FROM attachments")[0]
    assert (row["sha256"], row["name"], row["type"], row["size"]) == (
        digest, "chat screenshot.png", "image/png", len(PNG))
    assert PNG not in Path(app.config["DATABASE"]).read_bytes()  # the file is not in the db
    page = text_of(staff_client.get("/staff/reports/1"))
    assert "Attachment added: chat screenshot.png" in page
    assert "not an indecent image of a child" in page and digest in page


@pytest.mark.parametrize("name, data, kind, disposition", [
    ("shot.png", PNG, "image/png", "inline"),
    ("photo.jpeg", JPEG, "image/jpeg", "inline"),
    ("letter.pdf", PDF, "application/pdf", "inline"),
    ("chat.txt", TEXT, "text/plain", "attachment"),
])
def test_each_view_is_sent_as_what_it_is_with_safe_headers_and_audited(
        app, case, staff_client, name, data, kind, disposition):
    assert attach(staff_client, name, data, confirmed=True).status_code == 302
    response = staff_client.get("/staff/reports/1/attachments/1")
    assert response.status_code == 200 and response.data == data
    assert response.mimetype == kind
    assert response.headers["Content-Disposition"].startswith(disposition)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src" in response.headers["Content-Security-Policy"]
    assert "no-store" in response.headers["Cache-Control"]
    viewed = rows(app, "SELECT * FROM audit WHERE action = 'attachment.viewed'")
    assert len(viewed) == 1 and viewed[0]["target"] == "report:1"
    assert json.loads(viewed[0]["detail"])["attachment"] == 1


@pytest.mark.parametrize("name, data, confirmed, status, message", [
    ("photo.jpg", FAKE_JPEG, True, 415, "this file is none of them"),
    ("photo.jpg", TEXT, True, 415, "is really a Plain text file"),
    ("notes.txt", PNG, True, 415, "is really a PNG picture file"),
    ("page.txt", b"<html><body>hi</body></html>", True, 415, "none of them"),
    ("program.exe", b"MZ\x90\x00\x03\x00\x00\x00", True, 415, "none of them"),
    ("empty.txt", b"", True, 400, "was empty"),
    ("shot.png", PNG, False, 400, "Protection of Children Act 1978"),
    ("photo.jpg", JPEG, False, 400, "Confirm that the picture is not an indecent image"),
])
def test_a_bad_upload_is_refused_clearly_and_nothing_is_written(
        app, case, staff_client, name, data, confirmed, status, message):
    response = attach(staff_client, name, data, confirmed)
    assert response.status_code == status
    assert message in text_of(response)
    nothing_stored(app)


def test_an_oversized_file_is_refused_and_nothing_is_written(app, case, staff_client):
    app.config["ATTACHMENT_MAX_BYTES"] = 1024
    response = attach(staff_client, "long.txt", b"a" * 1025)
    assert response.status_code == 413 and "at most 1 KB" in text_of(response)
    nothing_stored(app)
    assert attach(staff_client, "far too long.txt", b"a" * 200_000).status_code == 413
    nothing_stored(app)
    assert attach(staff_client, "fits.txt", b"a" * 1024).status_code == 302


def test_the_default_limit_takes_more_than_the_apps_body_limit(app, case, staff_client):
    big = PDF + b"%" * (app.config["MAX_CONTENT_LENGTH"] * 2)
    assert attach(staff_client, "scan.pdf", big).status_code == 302


def test_a_role_that_cannot_read_the_case_gets_nothing(app, case, staff_client):
    assert attach(staff_client, "chat.txt", TEXT).status_code == 302
    with app.app_context():
        create_user(get_db(), "teacher@school.example", DSL_PASSWORD, "staff")
        create_user(get_db(), "it@school.example", DSL_PASSWORD, "it")
    for email in ("teacher@school.example", "it@school.example"):
        other = app.test_client()
        assert log_in(other, email).status_code == 302
        assert other.get("/staff/reports/1/attachments/1").status_code == 403
        token = csrf_from(other.get("/staff/account"))
        assert other.post("/staff/reports/1/attachments", data={
            "csrf_token": token, "file": (io.BytesIO(TEXT), "more.txt")},
            content_type="multipart/form-data").status_code == 403
    assert rows(app, "SELECT count(*) AS n FROM attachments")[0]["n"] == 1
    assert len(rows(app, "SELECT * FROM audit WHERE action = 'attachment.viewed'")) == 0


def test_a_kiosk_is_never_sent_an_attachment(app, case, client, staff_client):
    from kiosk.devices.kiosks import DEVICE_COOKIE
    assert attach(staff_client, "chat.txt", TEXT).status_code == 302
    response = client.get("/staff/reports/1/attachments/1")  # the enrolled kiosk
    assert response.status_code in (302, 403) and TEXT not in response.data
    # A DSL's logged-in browser that is also a kiosk: the login ends, nothing is sent.
    staff_client.set_cookie(DEVICE_COOKIE, client.get_cookie(DEVICE_COOKIE).value)
    response = staff_client.get("/staff/reports/1/attachments/1")
    assert response.status_code in (302, 403) and TEXT not in response.data
    assert len(rows(app, "SELECT * FROM audit WHERE action = 'attachment.viewed'")) == 0
    anonymous = app.test_client().get("/staff/reports/1/attachments/1")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.location


def test_an_attachment_of_another_case_is_not_found(app, client, staff_client):
    for _ in range(2):
        client.post("/api/reports", json=a_report())
    assert attach(staff_client, "chat.txt", TEXT, report_id=1).status_code == 302
    assert staff_client.get("/staff/reports/2/attachments/1").status_code == 404


def test_a_closed_case_takes_no_attachment(app, case, db, dsl, staff_client, clock):
    from kiosk.safeguarding.reports import acknowledge
    acknowledge(db, 1, dsl["id"], clock())
    cases.record_decision(db, 1, dsl, clock(), "nfa", "Spoke to the pupil; resolved.")
    cases.sign_off(db, 1, create_user(db, "head@school.example", DSL_PASSWORD, "head"),
                   clock(), "Agreed.")
    cases.close(db, 1, dsl, clock(), "Resolved.")
    response = attach(staff_client, "late.txt", TEXT)
    assert response.status_code == 409 and "is closed" in text_of(response)
    nothing_stored(app)


def test_the_same_file_twice_is_stored_once_and_listed_twice(app, case, staff_client):
    assert attach(staff_client, "a.txt", TEXT).status_code == 302
    assert attach(staff_client, "b.txt", TEXT).status_code == 302
    assert len(stored_files(app)) == 1
    assert rows(app, "SELECT count(*) AS n FROM attachments")[0]["n"] == 2


def test_backups_carry_the_attachments_and_a_restore_puts_them_back(app, case, runner,
                                                                   staff_client, tmp_path):
    assert attach(staff_client, "chat.txt", TEXT).status_code == 302
    digest = hashlib.sha256(TEXT).hexdigest()
    target = tmp_path / "copy.backup"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    assert TEXT not in target.read_bytes()  # sealed, as the database is
    shutil.rmtree(Path(app.instance_path) / "attachments")
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert (Path(app.instance_path) / "attachments" / digest[:2] / digest).read_bytes() == TEXT
    assert staff_client.get("/staff/reports/1/attachments/1").data == TEXT


def test_a_backup_lacking_an_attachment_file_is_refused(app, case, runner, staff_client,
                                                        tmp_path):
    assert attach(staff_client, "chat.txt", TEXT).status_code == 302
    key = backup.ensure_key(app.config["BACKUP_KEY_FILE"])
    forged = tmp_path / "no-files.backup"
    backup.write_new(forged, backup.seal(backup.snapshot(app.config["DATABASE"]), key))
    result = runner.invoke(args=["restore", str(forged), "--yes"])
    assert result.exit_code == 1 and "lacks the file of attachment 1" in result.output
