"""The DSL side: login, CSRF, the dashboard, report pages, live events and catch-up."""
import pytest

from helpers import DSL_EMAIL, a_report, csrf_from, dashboard_page, log_in
from kiosk.db import get_db
from kiosk.extensions import socketio
from kiosk.accounts.users import create_user


@pytest.fixture
def browser(app):
    """A staff member's own browser: not a kiosk, where staff login is refused."""
    return app.test_client()


def test_login_needs_the_right_password(browser, dsl):
    response = log_in(browser, password="wrong password!!")
    assert response.status_code == 401
    assert "do not match an account" in response.get_data(as_text=True)
    assert browser.get("/staff/").status_code == 302


def test_unknown_email_is_refused_the_same_way(browser, dsl):
    assert log_in(browser, email="nobody@school.example").status_code == 401


def test_password_is_stored_hashed(db, dsl):
    stored = next(db.query("SELECT password_hash FROM users"))["password_hash"]
    assert stored.startswith("scrypt:") and "a long test password" not in stored


def test_login_without_csrf_token_is_refused(browser, dsl):
    response = browser.post("/staff/login", data={"email": DSL_EMAIL,
                                                 "password": "a long test password"})
    assert response.status_code == 400
    assert "did not come from this site" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_samesite(browser, dsl):
    response = log_in(browser)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("role", ["staff", "it"])
def test_roles_that_do_not_read_reports_are_kept_out(app, browser, role):
    with app.app_context():
        create_user(get_db(), f"{role}@school.example", "a long test password", role)
    log_in(browser, email=f"{role}@school.example")
    assert browser.get("/staff/").status_code == 302  # sent to their own start page
    assert browser.get("/staff/reports/1").status_code == 403
    assert browser.get("/staff/api/notifications").status_code == 403
    sock = socketio.test_client(app, namespace="/staff", flask_test_client=browser)
    assert not sock.is_connected("/staff")


def test_dashboard_lists_reports_with_urgency_and_due_time(client, staff_client):
    """The page carries each row's data; dashboard.js draws it (as tests/browser see)."""
    client.post("/api/reports", json=a_report(safe=["no"]))
    [row] = dashboard_page(staff_client.get("/staff/"))["rows"]
    assert row["urgency"] == "urgent"
    assert row["reasons"] == ["pupil says they are not safe right now"]
    assert row["due_at"] == "2026-11-18T10:40:00+00:00"


def test_report_page_shows_symbols_and_words_as_text(client, staff_client):
    client.post("/api/reports", json=a_report(what=["online"]) | {
        "words": "<script>alert('x')</script><b>bold</b>"})
    html = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>alert" not in html
    assert '<img src="/symbols/default/online.svg"' in html
    assert "Something online upset me" in html
    assert "Anonymous" in html


def test_acknowledge_needs_csrf_and_is_recorded(client, staff_client, db):
    client.post("/api/reports", json=a_report())
    assert staff_client.post("/staff/reports/1/acknowledge").status_code == 400
    token = csrf_from(staff_client.get("/staff/reports/1"))
    response = staff_client.post("/staff/reports/1/acknowledge", data={"csrf_token": token})
    assert response.status_code == 302
    assert next(db.query("SELECT status FROM reports"))["status"] == "acknowledged"
    html = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "<strong>Acknowledged</strong>" in html and f"by {DSL_EMAIL} (Designated" in html


def test_acknowledging_twice_records_once(client, staff_client, db):
    client.post("/api/reports", json=a_report())
    token = csrf_from(staff_client.get("/staff/reports/1"))
    for _ in range(2):
        staff_client.post("/staff/reports/1/acknowledge", data={"csrf_token": token})
    assert db["report_events"].count == 1


def test_acknowledge_unknown_report_is_404(staff_client):
    token = csrf_from(staff_client.get("/staff/"))
    assert staff_client.post("/staff/reports/99/acknowledge",
                             data={"csrf_token": token}).status_code == 404


def test_records_cannot_be_rewritten(client, db):
    client.post("/api/reports", json=a_report())
    with pytest.raises(Exception, match="append-only"):
        db.execute("UPDATE notifications SET kind = 'x'")
    with pytest.raises(Exception, match="append-only"):
        db.execute("DELETE FROM notifications")


def test_socket_refuses_without_login(app):
    sock = socketio.test_client(app, namespace="/staff")
    assert not sock.is_connected("/staff")


def test_new_report_is_pushed_live(client, staff_socket):
    staff_socket.get_received("/staff")
    client.post("/api/reports", json=a_report(safe=["no"]))
    received = staff_socket.get_received("/staff")
    assert [r["name"] for r in received] == ["notification"]
    note = received[0]["args"][0]
    assert note["kind"] == "report.new"
    assert note["report_id"] == note["payload"]["id"] == 1
    assert note["payload"]["urgency"] == "urgent"
    assert note["payload"]["reasons"] == ["pupil says they are not safe right now"]
    assert "words" not in note["payload"] and "name" not in note["payload"]


def test_acknowledge_reaches_every_dashboard(app, client, staff_client, staff_socket):
    other = socketio.test_client(app, namespace="/staff", flask_test_client=staff_client)
    client.post("/api/reports", json=a_report())
    token = csrf_from(staff_client.get("/staff/"))
    staff_socket.get_received("/staff"), other.get_received("/staff")
    staff_client.post("/staff/reports/1/acknowledge", data={"csrf_token": token},
                      headers={"Accept": "application/json"})
    for sock in (staff_socket, other):
        note = sock.get_received("/staff")[0]["args"][0]
        assert note["kind"] == "report.acknowledged"
        assert note["payload"]["status"] == "acknowledged"


def test_returning_dashboard_catches_up(client, staff_socket):
    client.post("/api/reports", json=a_report())
    client.post("/api/reports", json=a_report(safe=["no"]))
    reply = staff_socket.emit("catch_up", {"since": 1}, namespace="/staff", callback=True)
    assert [n["id"] for n in reply["notifications"]] == [2]
    assert reply["notifications"][0]["payload"]["urgency"] == "urgent"


@pytest.mark.parametrize("bad", [{"since": "yesterday"}, "nonsense", None])
def test_catch_up_with_bad_cursor_gets_a_clear_error(staff_socket, bad):
    reply = staff_socket.emit("catch_up", bad, namespace="/staff", callback=True)
    if bad is None:
        assert reply == {"notifications": [], "more": False}
    else:
        assert reply == {"error": "since must be a notification number"}


def test_catch_up_over_http(client, staff_client):
    client.post("/api/reports", json=a_report())
    reply = staff_client.get("/staff/api/notifications?since=0").json
    assert [n["kind"] for n in reply["notifications"]] == ["report.new"]
    assert staff_client.get("/staff/api/notifications?since=x").status_code == 400


def test_a_report_in_another_language_reaches_the_dsl_in_english_beside_the_pupils_words(
        client, staff_client):
    """Polish typed without its accents still matches the Polish urgency words."""
    client.post("/api/reports", json=a_report(what=["hurt"]) | {
        "language": "pl", "words": "Chce sie zabic"})
    html = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "their words suggest self-harm or suicide" in html       # the reason, in English
    assert "Someone hurt me or touched me" in html                  # the choice, in English
    assert 'lang="pl" dir="auto">Ktoś mnie skrzywdził albo dotykał</span>' in html
    assert 'lang="pl" dir="auto">Chce sie zabic</blockquote>' in html
    assert "Polish (<span lang=\"pl\" dir=\"ltr\">Polski</span>)" in html
