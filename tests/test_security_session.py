"""Staff sessions: never on a kiosk, Secure under HTTPS, an absolute lifetime, and
nothing with report content kept by a browser or proxy (Cache-Control: no-store).

Before issue 16: a DSL's login on an enrolled kiosk's browser stayed (a case page was
still readable there), the cookie had no Secure flag under --https, its lifetime renewed
on every request without limit, and case, chronology, pupil, dashboard, audit and CSV
answers carried no Cache-Control at all.
"""
import io
from datetime import timedelta

import pytest

from helpers import (DSL_EMAIL, DSL_PASSWORD, a_report, authenticator_code, csrf_from,
                     enrol_device, log_in, rows)
from kiosk.accounts.users import get_user
from kiosk.db import get_db
from kiosk.devices import kiosks
from kiosk.extensions import socketio
from kiosk.safeguarding import case_pupils
from kiosk.staff.identity import KIOSK_REFUSED


def new_code(app, name="Hall iPad"):
    with app.app_context():
        return kiosks.create_kiosk(get_db(), name, "Hall", app.config["CLOCK"](), "tests")[1]


def test_staff_login_is_refused_on_a_kiosk_with_a_plain_message(app, client, dsl):
    page = client.get("/staff/login")
    assert page.status_code == 403 and KIOSK_REFUSED in page.get_data(as_text=True)
    assert 'name="password"' not in page.get_data(as_text=True)
    response = log_in(client)  # the form posted anyway, with the right password
    assert response.status_code == 403 and KIOSK_REFUSED in response.get_data(as_text=True)
    assert rows(app, "SELECT * FROM staff_sessions") == []
    assert client.get("/staff/").status_code == 302
    refused = rows(app, "SELECT * FROM audit WHERE action = 'refused'")
    assert [r["detail"] for r in refused] == ['{"method": "POST", "why": "staff login on a kiosk"}']


def test_a_staff_page_on_a_browser_that_became_a_kiosk_ends_the_login(app, dsl):
    """The attack from the issue: a DSL logged in on a browser, the browser enrolled as a
    kiosk, and the case page was still readable from it."""
    browser = app.test_client()
    assert log_in(browser).status_code == 302
    kiosk_side = app.test_client()
    enrol_device(kiosk_side, new_code(app))
    kiosk_side.post("/api/reports", json=a_report())
    dashboard = socketio.test_client(app, namespace="/staff", flask_test_client=browser)
    assert dashboard.is_connected("/staff")
    browser.set_cookie(kiosks.DEVICE_COOKIE, kiosk_side.get_cookie(kiosks.DEVICE_COOKIE).value)
    response = browser.get("/staff/reports/1")
    assert response.status_code == 302 and "/staff/login" in response.location
    [ended] = rows(app, "SELECT * FROM staff_sessions")
    assert ended["ended_why"] == "staff page opened on a kiosk"
    assert not dashboard.is_connected("/staff")  # its open dashboard was closed too
    # Taking the kiosk cookie away again does not bring the login back.
    browser.delete_cookie(kiosks.DEVICE_COOKIE)
    assert browser.get("/staff/reports/1").status_code == 302


def test_a_revoked_kiosk_is_no_longer_a_kiosk(app, dsl, runner):
    browser = app.test_client()
    enrol_device(browser, new_code(app))
    assert runner.invoke(args=["revoke-kiosk", "Hall iPad"]).exit_code == 0
    assert log_in(browser).status_code == 302


def test_the_session_cookie_is_secure_under_https(app, dsl):
    plain = app.test_client()
    assert "Secure" not in log_in(plain).headers["Set-Cookie"]
    secure, https = app.test_client(), "https://localhost/"
    token = csrf_from(secure.get("/staff/login", base_url=https))
    secure.post("/staff/login", base_url=https, data={
        "email": DSL_EMAIL, "password": DSL_PASSWORD, "csrf_token": token})
    form = secure.get("/staff/login/code", base_url=https)
    response = secure.post("/staff/login/code", base_url=https, data={
        "code": authenticator_code(app, DSL_EMAIL), "csrf_token": csrf_from(form)})
    assert response.status_code == 302 and response.location.endswith("/staff/")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_login_ends_twelve_hours_after_it_began_however_active(app, staff_client, clock):
    for _ in range(12 * 3):  # a page every 20 minutes, all day and into the night
        assert staff_client.get("/staff/").status_code == 200
        clock.now += timedelta(minutes=20)
    response = staff_client.get("/staff/")
    assert response.status_code == 302
    page = staff_client.get(response.location).get_data(as_text=True)
    assert "it is 12 hours since you logged in" in page
    [ended] = rows(app, "SELECT * FROM staff_sessions")
    assert ended["ended_why"] == "too long since login"


@pytest.fixture
def a_case(app, client, staff_client):
    """A report linked to a pupil: every page and export that shows it exists."""
    client.post("/api/reports", json=a_report())
    with app.app_context():
        db = get_db()
        user = get_user(db, 1)
        case_pupils.link(db, 1, user, app.config["CLOCK"](), name="Sam Jones",
                         year_group="Year 5")
    return 1


REPORT_CONTENT = ["/staff/", "/staff/reports/1", "/staff/reports/1/chronology",
                  "/staff/reports/1/chronology.pdf", "/staff/pupils", "/staff/pupils/1",
                  "/staff/pupils/1/chronology.pdf", "/staff/audit", "/staff/exports",
                  "/staff/exports/counts.csv", "/staff/api/notifications",
                  "/staff/api/board", "/staff/api/reports", "/staff/account",
                  "/staff/api/reports/1/categories"]


@pytest.mark.parametrize("path", REPORT_CONTENT)
def test_pages_and_exports_with_report_content_are_never_stored(a_case, staff_client, path):
    response = staff_client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert response.headers["Cache-Control"] == "no-store"


def test_an_attachment_and_a_pupils_words_read_back_are_never_stored(a_case, client,
                                                                      staff_client):
    token = csrf_from(staff_client.get("/staff/reports/1"))
    assert staff_client.post("/staff/reports/1/attachments", data={
        "csrf_token": token, "file": (io.BytesIO(b"Notes from the meeting.\n"), "notes.txt"),
    }).status_code == 302
    attachment = staff_client.get("/staff/reports/1/attachments/1")
    assert attachment.status_code == 200
    assert "no-store" in attachment.headers["Cache-Control"]
    spoken = client.post("/api/read-back", json={"text": "Someone keeps taking my things."})
    assert spoken.status_code == 200 and spoken.mimetype == "audio/wav"
    assert spoken.headers["Cache-Control"] == "no-store"


def test_code_and_symbols_may_be_cached(client):
    for path in ("/kiosk-static/kiosk.js", "/staff/static/staff.css",
                 "/symbols/default/online.svg"):
        assert "no-store" not in client.get(path).headers.get("Cache-Control", "")
