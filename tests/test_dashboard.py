"""The dashboard to act from, and the alert screen it becomes when its login ends.

Real SQLite, the real Socket.IO test client sharing each browser's cookies, the app clock
moved to let a login go idle. What a screen that is not logged in receives is checked
for report content by looking for the pupil's words, choices and reasons in it."""
import json
from datetime import timedelta

import pytest

from helpers import (DSL_PASSWORD, a_report, csrf_from, dashboard_page, log_in, post_concern,
                     rows)
from kiosk.safeguarding import cases, escalation
from kiosk import notify
from kiosk.db import get_db, writing
from kiosk.extensions import socketio
from kiosk.notify import screens
from kiosk.safeguarding.reports import Sender, acknowledge, parse_submission, store_report
from kiosk.services import services
from kiosk.staff.live import sweep
from kiosk.accounts.users import create_user, set_active, set_role

WORDS = "the man at the park said keep it secret"
HEAD = "head@school.example"


def report_with_words(**answers):
    return a_report(**(answers or {"safe": ["no"], "what": ["hurt"]})) | {"words": WORDS}


def store_many(app, count, answers=None, kiosk_name="Test kiosk"):
    """`count` reports stored by the project's own store function in one transaction:
    the same rows and notifications a kiosk's sends make, without 1,000 HTTP requests."""
    with app.app_context():
        db, svc = get_db(), services()
        kiosk = next(db.query("SELECT * FROM kiosks WHERE name = ?", [kiosk_name]))
        now = app.config["CLOCK"]()
        with writing(db):
            for _ in range(count):
                submission = parse_submission(a_report(**(answers or {})), svc.content)
                store_report(db, svc.reporting, submission, now, Sender(kiosk=kiosk))


def connect(app, client):
    return socketio.test_client(app, namespace="/staff", flask_test_client=client)


def events(sock, name):
    return [e["args"][0] for e in sock.get_received("/staff") if e["name"] == name]


def idle_out(app, clock, minutes=31):
    """Nobody touches the dashboard for half an hour; the server's timer notices."""
    clock.now += timedelta(minutes=minutes)
    with app.app_context():
        sweep(get_db())


@pytest.fixture
def dashboard_browser(staff_client):
    """A DSL's browser that has opened the dashboard, so it holds an alert-screen cookie."""
    assert staff_client.get("/staff/").status_code == 200
    return staff_client


@pytest.fixture
def alert_screen(app, clock, dashboard_browser):
    """That browser after its login went idle: a socket with only the alert cookie."""
    idle_out(app, clock)
    sock = connect(app, dashboard_browser)
    assert sock.is_connected("/staff")
    sock.get_received("/staff")
    yield sock
    if sock.is_connected("/staff"):
        sock.disconnect(namespace="/staff")


def assert_no_content(thing):
    text = json.dumps(thing)
    for secret in (WORDS, "Someone hurt me", "pupil says they are not safe right now",
                   "reasons", "what"):
        assert secret not in text, f"{secret!r} reached a screen nobody is logged in to"


# --- the alert-screen cookie ---------------------------------------------------------

def test_opening_the_dashboard_gives_the_browser_an_httponly_strict_alert_cookie(
        app, staff_client):
    response = staff_client.get("/staff/")
    cookie = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith(f"{screens.COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    token = cookie.split("=", 1)[1].split(";", 1)[0]
    stored = rows(app, "SELECT * FROM alert_screens")
    assert len(stored) == 1 and stored[0]["token_hash"] != token and token not in str(stored)
    # Opening it again keeps the same screen rather than making one per page view.
    staff_client.get("/staff/")
    assert len(rows(app, "SELECT * FROM alert_screens")) == 1


def test_a_reader_logging_in_on_a_browser_someone_else_used_gets_a_screen_of_their_own(
        app, db, dashboard_browser):
    create_user(db, "deputy@school.example", DSL_PASSWORD, "deputy")
    dashboard_browser.post("/staff/logout", data={
        "csrf_token": csrf_from(dashboard_browser.get("/staff/account"))})
    assert log_in(dashboard_browser, "deputy@school.example").status_code == 302
    dashboard_browser.get("/staff/")
    found = rows(app, "SELECT user_id, ended_why FROM alert_screens ORDER BY id")
    assert [row["ended_why"] for row in found] == ["replaced", ""]


# --- the alerts room: where and when, never what -------------------------------------

def test_an_alert_screen_hears_an_urgent_report_without_its_content(client, alert_screen):
    assert client.post("/api/reports", json=report_with_words()).status_code == 201
    received = alert_screen.get_received("/staff")
    assert [e["name"] for e in received] == ["alert"]
    alert = received[0]["args"][0]
    # 11:01: the login went idle at 10:30 and half an hour on.
    assert alert["text"] == "URGENT report from Test kiosk at 11:01: log in to read"
    assert alert["level"] == "urgent" and alert["sound"] is True
    assert alert["subject"] == "report:1"
    assert_no_content(alert)


def test_a_logged_in_dashboard_gets_the_notification_and_not_the_alert(client, staff_socket):
    staff_socket.get_received("/staff")
    client.post("/api/reports", json=report_with_words())
    assert [e["name"] for e in staff_socket.get_received("/staff")] == ["notification"]


def test_a_dashboard_that_idles_out_is_told_and_comes_back_as_an_alert_screen(
        app, clock, client, dashboard_browser):
    sock = connect(app, dashboard_browser)
    sock.get_received("/staff")
    idle_out(app, clock)
    assert not sock.is_connected("/staff")  # told "logged_out", then closed
    sock.connect(namespace="/staff")  # as dashboard.js does when the server closes it
    assert sock.is_connected("/staff")
    reply = sock.emit("catch_up", {"since": 0}, namespace="/staff", callback=True)
    assert set(reply) == {"alerts", "cursor"}
    client.post("/api/reports", json=report_with_words())
    [alert] = events(sock, "alert")
    assert alert["text"].startswith("URGENT report from Test kiosk")
    sock.disconnect(namespace="/staff")


def test_get_an_adult_reaches_an_alert_screen_with_kiosk_and_place(client, alert_screen):
    assert client.post("/api/help", json={}).status_code == 201
    [alert] = events(alert_screen, "alert")
    assert alert["text"] == "Get an adult pressed at Test kiosk (Test room) at 11:01"
    assert alert["level"] == "urgent"


def test_an_escalation_with_nobody_to_tell_is_a_loud_alert(app, clock, client, alert_screen):
    client.post("/api/reports", json=report_with_words())
    alert_screen.get_received("/staff")
    _escalate(app, clock)  # no deputy account exists
    alerts = [a for a in events(alert_screen, "alert") if a["kind"] == "report.escalated"]
    assert alerts and alerts[0]["level"] == "urgent"
    assert alerts[0]["text"].startswith("NOBODY TO TELL: the report from Test kiosk at 11:01 ")
    assert "nobody could be told (no active account has the role Deputy DSL)" in alerts[0]["text"]
    assert_no_content(alerts)


def test_an_alert_screen_catching_up_gets_what_still_calls_and_nothing_it_says(
        app, db, dsl, client, alert_screen):
    client.post("/api/reports", json=report_with_words())           # 1: waiting
    client.post("/api/reports", json=a_report())                     # 2: acknowledged below
    client.post("/api/help", json={})
    acknowledge(db, 2, dsl["id"], app.config["CLOCK"]())
    reply = alert_screen.emit("catch_up", {"since": 0}, namespace="/staff", callback=True)
    texts = [a["text"] for a in reply["alerts"]]
    assert texts == ["URGENT report from Test kiosk at 11:01: log in to read",
                     "Get an adult pressed at Test kiosk (Test room) at 11:01"]
    assert reply["cursor"] == notify.latest_id(db)
    assert_no_content(reply)


def test_the_alert_screen_page_shows_alerts_and_no_content(app, clock, client, dashboard_browser):
    client.post("/api/reports", json=report_with_words())
    idle_out(app, clock)
    assert dashboard_browser.get("/staff/").status_code == 302  # the dashboard needs a login
    page = dashboard_browser.get("/staff/alerts")
    assert page.status_code == 200
    data = dashboard_page(page)
    assert data["mode"] == "alerts" and "rows" not in data
    assert [a["text"] for a in data["alerts"]] == [
        "URGENT report from Test kiosk at 10:30: log in to read"]
    html = page.get_data(as_text=True)
    assert "Still alerting: log in to read" in html
    assert WORDS not in html and "pupil says they are not safe" not in html


# --- when an alert screen ends -------------------------------------------------------

def _screen_ends(app, clock, browser, sock, change):
    """Make the change; the open screen is closed and the cookie no longer connects."""
    with app.app_context():
        change(get_db())
        sweep(get_db())  # the server's timer; a change made on the web closes it at once
    assert not sock.is_connected("/staff")
    assert not connect(app, browser).is_connected("/staff")
    assert browser.get("/staff/alerts").status_code == 302


def test_switching_the_account_off_ends_its_alert_screens(
        app, clock, dsl, dashboard_browser, alert_screen):
    _screen_ends(app, clock, dashboard_browser, alert_screen,
                 lambda db: set_active(db, dsl["id"], False, clock()))
    assert rows(app, "SELECT ended_why FROM alert_screens") == [
        {"ended_why": "account switched off"}]


def test_leaving_the_readers_ends_its_alert_screens(
        app, clock, dsl, dashboard_browser, alert_screen):
    _screen_ends(app, clock, dashboard_browser, alert_screen,
                 lambda db: set_role(db, dsl["id"], "staff", clock()))


def test_log_out_everywhere_ends_alert_screens_at_once(app, clock, dsl, dashboard_browser):
    other = app.test_client()  # the same DSL on another computer
    assert log_in(other).status_code == 302
    sock = connect(app, dashboard_browser)
    response = other.post("/staff/account/logout-everywhere", data={
        "csrf_token": csrf_from(other.get("/staff/account"))})
    assert response.status_code == 302
    assert not sock.is_connected("/staff")
    assert not connect(app, dashboard_browser).is_connected("/staff")


def test_stop_alerts_on_this_browser(app, clock, dashboard_browser, alert_screen):
    idle_out(app, clock, minutes=0)
    page = dashboard_browser.get("/staff/alerts")
    response = dashboard_browser.post("/staff/alerts/stop",
                                      data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303 and response.location.startswith("/staff/login")
    assert rows(app, "SELECT ended_why FROM alert_screens") == [
        {"ended_why": "stopped on the screen"}]
    assert not connect(app, dashboard_browser).is_connected("/staff")


def test_a_made_up_alert_cookie_does_not_connect(app):
    browser = app.test_client()
    browser.set_cookie(screens.COOKIE, "not-a-real-token")
    assert not connect(app, browser).is_connected("/staff")
    assert browser.get("/staff/alerts").status_code == 302


# --- catch-up never misses -----------------------------------------------------------

def test_catch_up_pages_past_500_until_it_has_everything(app, client, staff_socket):
    store_many(app, 650)
    got, since, replies = [], 0, 0
    while True:
        reply = staff_socket.emit("catch_up", {"since": since}, namespace="/staff",
                                  callback=True)
        got += reply["notifications"]
        replies += 1
        if not reply["more"]:
            break
        since = reply["notifications"][-1]["id"]
    assert replies == 2 and len(got) == 650
    assert [n["id"] for n in got] == list(range(1, 651))


def test_catch_up_over_http_says_when_there_is_more(app, client, staff_client):
    store_many(app, 501)
    first = staff_client.get("/staff/api/notifications?since=0").json
    assert len(first["notifications"]) == 500 and first["more"] is True
    rest = staff_client.get("/staff/api/notifications?since=500").json
    assert [n["id"] for n in rest["notifications"]] == [501] and rest["more"] is False


# --- the first page: every open case, and a cursor that agrees with it ----------------

def test_the_first_page_has_every_open_case_not_200(app, db, dsl, client, staff_client):
    store_many(app, 230)
    store_many(app, 2, {"safe": ["no"]})
    for report_id in (1, 2):  # two closed cases leave the open list
        acknowledge(db, report_id, dsl["id"], app.config["CLOCK"]())
        cases.record_decision(db, report_id, dsl, app.config["CLOCK"](), "mash", "Referred.")
        cases.close(db, report_id, dsl, app.config["CLOCK"](), "Referred to MASH.")
    page = dashboard_page(staff_client.get("/staff/"))
    shown = [row["id"] for row in page["rows"]]
    assert len(shown) == 230 and 1 not in shown and 2 not in shown
    assert shown[:2] == [232, 231]  # urgent and unacknowledged first
    assert page["cursor"] == notify.latest_id(db)
    # Nothing the cursor has passed is missing from the rows, and the catch-up adds none.
    assert staff_client.get(f"/staff/api/notifications?since={page['cursor']}").json[
        "notifications"] == []


def test_rows_say_where_who_logged_it_and_who_owns_it(app, db, dsl, client, staff_client):
    client.post("/api/reports", json=a_report())
    staff = create_user(db, "teacher@school.example", DSL_PASSWORD, "staff", name="Jo Teacher")
    teacher = app.test_client()
    log_in(teacher, "teacher@school.example")
    assert post_concern(teacher, pupil="Sam", words="x", q1=["what:unkind"]).status_code == 302
    acknowledge(db, 1, dsl["id"], app.config["CLOCK"]())
    cases.assign(db, 1, dsl, app.config["CLOCK"](), dsl["id"])
    page = dashboard_page(staff_client.get("/staff/"))
    by_id = {row["id"]: row for row in page["rows"]}
    kiosk_row, concern = by_id[1], by_id[2]
    assert page["directory"]["kiosks"][str(kiosk_row["kiosk_id"])] == {
        "name": "Test kiosk", "place": "Test room"}
    assert kiosk_row["source"] == "kiosk" and kiosk_row["owner_id"] == dsl["id"]
    assert concern["source"] == "staff" and concern["reported_by"] == staff["id"]
    assert page["directory"]["people"][str(staff["id"])] == "Jo Teacher"


def _escalate(app, clock, watching=()):
    clock.now += timedelta(minutes=11)  # past the urgent report's due time
    with app.app_context():
        escalation.check(app, get_db(), watching)


def test_escalation_state_survives_a_reload(app, db, clock, client, staff_client):
    """The deputy has a dashboard open, so the ladder's first step reaches someone."""
    deputy = create_user(db, "deputy@school.example", DSL_PASSWORD, "deputy", name="Dee Puty")
    client.post("/api/reports", json=report_with_words())
    _escalate(app, clock, watching=[deputy])
    [row] = dashboard_page(staff_client.get("/staff/"))["rows"]
    step = row["escalation"]
    assert (step["role_name"], step["step"], step["nobody"]) == ("Deputy DSL", 1, False)
    assert step["told"] == ["Dee Puty"]


def test_nobody_to_tell_survives_a_reload(app, clock, client, staff_client):
    """No deputy and no head (the first-time set-up): the row says nobody was told."""
    client.post("/api/reports", json=report_with_words())
    _escalate(app, clock)
    [row] = dashboard_page(staff_client.get("/staff/"))["rows"]
    assert row["escalation"]["nobody"] is True


def test_get_an_adult_survives_a_reload(client, staff_client):
    client.post("/api/help", json={})
    [asked] = dashboard_page(staff_client.get("/staff/"))["help"]
    assert (asked["kiosk"], asked["place"], asked["status"]) == (
        "Test kiosk", "Test room", "waiting")


def test_email_failures_show_until_the_email_goes(app, db, staff_client):
    ids = {"about": "report", "report_id": 1, "purpose": "arrival", "step": 0}
    at = app.config["CLOCK"]().isoformat()
    with writing(db):
        notify.record(db, "email.failed", None, dict(ids, recipients=2, error="SMTP refused",
                                                     attempts=1, next_try_at=at), at)
    [warning] = dashboard_page(staff_client.get("/staff/"))["warnings"]
    assert warning["payload"]["error"] == "SMTP refused"
    with writing(db):
        notify.record(db, "email.sent", None, dict(ids, recipients=2), at)
    assert dashboard_page(staff_client.get("/staff/"))["warnings"] == []


def test_the_head_sees_the_cases_waiting_for_sign_off(app, db, dsl, client):
    client.post("/api/reports", json=a_report())
    client.post("/api/reports", json=a_report())
    now = app.config["CLOCK"]()
    for report_id, decision in ((1, "not_referred"), (2, "mash")):
        acknowledge(db, report_id, dsl["id"], now)
        cases.record_decision(db, report_id, dsl, now, decision, "Talked it through.")
    head_user = create_user(db, HEAD, DSL_PASSWORD, "head")
    head = app.test_client()
    log_in(head, HEAD)
    page = head.get("/staff/")
    assert dashboard_page(page)["sign_off"] == [1]
    assert "Waiting for your sign-off" in page.get_data(as_text=True)
    cases.sign_off(db, 1, head_user, now, "Agreed.")
    assert head.get("/staff/api/board").json["sign_off"] == []


# --- the Closed view -----------------------------------------------------------------

def test_the_closed_view_pages_and_searches(app, db, dsl, client, staff_client):
    store_many(app, 60)
    now = app.config["CLOCK"]()
    for report_id in range(1, 56):
        acknowledge(db, report_id, dsl["id"], now)
        cases.record_decision(db, report_id, dsl, now, "mash", "Referred.")
        cases.close(db, report_id, dsl, now + timedelta(seconds=report_id), "Referred.")
    cases.merge(db, 56, 57, dsl, now, "The same worry, sent twice.")
    first = staff_client.get("/staff/api/reports?page=1").json
    assert (first["total"], first["pages"], len(first["rows"])) == (56, 2, 50)
    assert first["rows"][0]["id"] == 55  # the most recently closed first
    second = staff_client.get("/staff/api/reports?page=2").json
    assert {row["id"] for row in second["rows"]} == {1, 2, 3, 4, 5, 56}
    assert {row["status"] for row in first["rows"] + second["rows"]} == {"closed", "merged"}
    found = staff_client.get("/staff/api/reports?q=7").json
    assert [row["id"] for row in found["rows"]] == [7]
    assert staff_client.get("/staff/api/reports?q=Test+kiosk").json["total"] == 56
    assert staff_client.get("/staff/api/reports?q=nothing+like+it").json["rows"] == []
    assert staff_client.get("/staff/api/reports?page=x").status_code == 400
    open_ids = [row["id"] for row in dashboard_page(staff_client.get("/staff/"))["rows"]]
    assert sorted(open_ids) == [57, 58, 59, 60]


def test_closed_view_search_takes_percent_and_underscore_literally(app, client, staff_client):
    store_many(app, 1)
    assert staff_client.get("/staff/api/reports?q=%25").json["total"] == 0
