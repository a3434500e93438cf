"""Staff login security: authenticator codes, lockout, idle expiry, logout everywhere, roles.

Everything runs against the real app and a real SQLite file; time moves by setting the
test clock, never by sleeping.
"""
import base64
import html
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from helpers import DSL_EMAIL, DSL_PASSWORD, a_report, csrf_from, log_in, rows
from kiosk.accounts import totp
from kiosk.db import get_db
from kiosk.extensions import socketio
from kiosk.staff.live import sweep
from kiosk.accounts.users import create_user

PASSWORD = "another long password"
NEW_PASSWORD = "a brand new long password"


# --- helpers ---------------------------------------------------------------------------

def user_row(app, email):
    found = rows(app, "SELECT * FROM users WHERE email = ?", [email])
    return found[0] if found else None


def make_user(app, email, role, password=PASSWORD):
    with app.app_context():
        return create_user(get_db(), email, password, role)


def audit_rows(app, action=None):
    if action is None:
        return rows(app, "SELECT * FROM audit ORDER BY id")
    return rows(app, "SELECT * FROM audit WHERE action = ? ORDER BY id", [action])


def text(response):
    return response.get_data(as_text=True)


def followed(client, response):
    """The page a redirect leads to, as the browser would show it."""
    assert response.status_code in (302, 303), (response.status_code, text(response))
    return text(client.get(response.location))


def password_step(client, email=DSL_EMAIL, password=DSL_PASSWORD):
    token = csrf_from(client.get("/staff/login"))
    return client.post("/staff/login", data={"email": email, "password": password,
                                             "csrf_token": token})


def code_step(client, code):
    page = client.get("/staff/login/code")
    assert page.status_code == 200, page.location
    return client.post("/staff/login/code", data={"code": code, "csrf_token": csrf_from(page)})


def code_now(app, email=DSL_EMAIL, offset_steps=0):
    """The code the phone shows at the app clock's time (plus some periods)."""
    secret = user_row(app, email)["totp_secret"]
    return totp.code_for(secret, totp.step_at(app.config["CLOCK"]()) + offset_steps)


def wrong_code(app, email=DSL_EMAIL):
    """A well-formed code that is not valid now (nor one period either side)."""
    secret = user_row(app, email)["totp_secret"]
    now = app.config["CLOCK"]()
    for candidate in ("000000", "123456", "999999", "424242"):
        if totp.matching_step(secret, candidate, now) is None:
            return candidate
    raise AssertionError("no wrong code found")  # pragma: no cover


def logged_in(client):
    """True when the dashboard opens (or sends a non-reader to their own start page)."""
    response = client.get("/staff/")
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    return "/staff/login" not in response.location


def post_form(client, page_url, action_url, data):
    """Post a form the way the browser does: with the CSRF token from a page."""
    token = csrf_from(client.get(page_url))
    return client.post(action_url, data=dict(data, csrf_token=token))


def logged_in_client(app, email=DSL_EMAIL, password=DSL_PASSWORD):
    client = app.test_client()
    response = log_in(client, email=email, password=password)
    assert response.status_code == 302 and "/staff/login" not in response.location, text(response)
    return client


def advance(clock, **delta):
    clock.now = clock.now + timedelta(**delta)


# --- TOTP itself ---------------------------------------------------------------------

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [(59, "287082"), (1111111109, "081804"), (1111111111, "050471"),
               (1234567890, "005924"), (2000000000, "279037"), (20000000000, "353130")]


@pytest.mark.parametrize("seconds, code", RFC_VECTORS)
def test_codes_match_the_rfc_6238_test_vectors(seconds, code):
    moment = datetime.fromtimestamp(seconds, timezone.utc)
    assert RFC_SECRET == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp.code_for(RFC_SECRET, totp.step_at(moment)) == code
    assert totp.matching_step(RFC_SECRET, code, moment) == totp.step_at(moment)


def test_a_code_from_a_drifting_phone_is_accepted_within_30_seconds():
    now = datetime(2026, 11, 18, 10, 30, 10, tzinfo=timezone.utc)

    def code_at(seconds):
        return totp.code_for(RFC_SECRET, totp.step_at(now + timedelta(seconds=seconds)))

    assert totp.matching_step(RFC_SECRET, code_at(0), now) is not None
    assert totp.matching_step(RFC_SECRET, code_at(-30), now) is not None
    assert totp.matching_step(RFC_SECRET, code_at(30), now) is not None
    assert totp.matching_step(RFC_SECRET, code_at(-90), now) is None
    assert totp.matching_step(RFC_SECRET, code_at(90), now) is None
    # Typed with a space in the middle, as apps show it: still the same code.
    spaced = code_at(0)[:3] + " " + code_at(0)[3:]
    assert totp.matching_step(RFC_SECRET, spaced, now) is not None
    for junk in ("", None, "12345", "1234567", "abcdef"):
        assert totp.matching_step(RFC_SECRET, junk, now) is None


def test_new_secrets_are_random_160_bit_base32():
    first, second = totp.new_secret(), totp.new_secret()
    assert first != second
    assert len(base64.b32decode(first)) == 20


def test_provisioning_uri_parses_with_secret_issuer_digits_and_period():
    uri = totp.provisioning_uri(RFC_SECRET, "dsl@school.example", "Oak Hill School")
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert unquote(parsed.path) == "/Oak Hill School:dsl@school.example"
    query = parse_qs(parsed.query)
    assert query["secret"] == [RFC_SECRET]
    assert query["issuer"] == ["Oak Hill School"]
    assert query["digits"] == ["6"] and query["period"] == ["30"]
    assert query["algorithm"] == ["SHA1"]


# --- create-user on the command line ---------------------------------------------------

def _uri_in(output):
    found = re.findall(r"otpauth://totp/\S+", output)
    assert len(found) == 1, output
    return found[0]


def test_create_user_for_a_reader_prints_the_authenticator_link_and_qr(runner, app):
    result = runner.invoke(args=["create-user", "x@school.example", "--role", "dsl",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    stored = user_row(app, "x@school.example")
    assert stored["role"] == "dsl" and stored["totp_secret"]
    query = parse_qs(urlparse(_uri_in(result.output)).query)
    assert query["secret"] == [stored["totp_secret"]]
    assert query["digits"] == ["6"] and query["period"] == ["30"]
    assert f"Key: {stored['totp_secret']}" in result.output
    # A QR code drawn with block characters, many lines of it.
    drawing = [line for line in result.output.splitlines() if "█" in line or "▀" in line]
    assert len(drawing) > 10
    # And the person can now log in with that password and their app's code.
    client = app.test_client()
    assert password_step(client, "x@school.example", PASSWORD).location.startswith(
        "/staff/login/code")
    assert code_step(client, code_now(app, "x@school.example")).status_code == 302
    assert logged_in(client)


def test_create_user_for_staff_prints_no_authenticator_link(runner, app):
    result = runner.invoke(args=["create-user", "teacher@school.example", "--role", "staff",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "otpauth://" not in result.output and "Key:" not in result.output
    assert user_row(app, "teacher@school.example")["totp_secret"] == ""


@pytest.mark.parametrize("email, password, message", [
    ("not-an-email", PASSWORD, "is not an email address"),
    ("x@school.example", "short", "at least 12 characters"),
])
def test_create_user_refuses_bad_input_clearly_and_creates_nothing(runner, app, email,
                                                                    password, message):
    result = runner.invoke(args=["create-user", email, "--role", "dsl", "--password-stdin"],
                           input=password + "\n")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert rows(app, "SELECT * FROM users") == []
    assert audit_rows(app) == []


def test_create_user_refuses_a_duplicate(runner, app):
    args = ["create-user", "x@school.example", "--role", "dsl", "--password-stdin"]
    assert runner.invoke(args=args, input=PASSWORD + "\n").exit_code == 0
    secret = user_row(app, "x@school.example")["totp_secret"]
    result = runner.invoke(args=["create-user", "X@School.example", "--role", "staff",
                                 "--password-stdin"], input=NEW_PASSWORD + "\n")
    assert result.exit_code != 0
    assert "already exists" in result.output
    assert len(rows(app, "SELECT * FROM users")) == 1
    assert user_row(app, "x@school.example")["role"] == "dsl"
    assert user_row(app, "x@school.example")["totp_secret"] == secret
    assert [e["action"] for e in audit_rows(app)] == ["user.created"]


# --- the two login steps -------------------------------------------------------------

def test_password_alone_does_not_log_a_reader_in(app, dsl):
    client = app.test_client()
    response = password_step(client)
    assert response.status_code == 302
    assert response.location.startswith("/staff/login/code")
    dashboard = client.get("/staff/")
    assert dashboard.status_code == 302 and "/staff/login" in dashboard.location
    assert client.get("/staff/reports/1").status_code == 302
    assert "6-digit code" in text(client.get("/staff/login/code"))


def test_the_right_code_logs_in(app, dsl):
    client = app.test_client()
    password_step(client)
    response = code_step(client, code_now(app))
    assert response.status_code == 302 and response.location == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_a_wrong_code_is_refused_clearly_and_logged(app, dsl):
    client = app.test_client()
    password_step(client)
    response = code_step(client, wrong_code(app))
    assert response.status_code == 401
    assert "That code is not right" in text(response)
    assert not logged_in(client)
    failed = audit_rows(app, "login.failed")
    assert len(failed) == 1 and failed[0]["actor"] == DSL_EMAIL
    assert rows(app, "SELECT * FROM staff_sessions") == []
    assert user_row(app, DSL_EMAIL)["totp_last_step"] == 0
    assert user_row(app, DSL_EMAIL)["failed_logins"] == 1
    # The person can try again with the right code without retyping the password.
    assert code_step(client, code_now(app)).status_code == 302
    assert logged_in(client)


def test_a_code_cannot_be_used_twice(app, dsl):
    code = code_now(app)
    client = app.test_client()
    password_step(client)
    assert code_step(client, code).status_code == 302
    post_form(client, "/staff/account", "/staff/logout", {})
    assert not logged_in(client)
    password_step(client)
    response = code_step(client, code)  # the same code, the same moment
    assert response.status_code == 401
    assert "has been used" in text(response)
    assert not logged_in(client)
    # An older code (from the period before) is not accepted either once a newer one was.
    response = code_step(client, code_now(app, offset_steps=-1))
    assert response.status_code == 401 and not logged_in(client)


def test_a_code_from_two_minutes_ago_is_refused(app, dsl):
    client = app.test_client()
    password_step(client)
    response = code_step(client, code_now(app, offset_steps=-4))
    assert response.status_code == 401
    assert "That code is not right" in text(response)
    assert not logged_in(client)


def test_the_password_step_waits_five_minutes_for_the_code(app, dsl, clock):
    client = app.test_client()
    password_step(client)
    advance(clock, minutes=4, seconds=59)
    assert client.get("/staff/login/code").status_code == 200
    advance(clock, seconds=2)
    page = client.get("/staff/login/code")
    assert page.status_code == 302 and page.location == "/staff/login"
    assert "Please start again" in text(client.get(page.location))
    # Posting the right code now does not log in either.
    token = csrf_from(client.get("/staff/login"))
    response = client.post("/staff/login/code", data={"code": code_now(app),
                                                      "csrf_token": token})
    assert response.status_code == 302 and response.location == "/staff/login"
    assert not logged_in(client)


def test_a_staff_member_logs_in_with_a_password_only(app):
    make_user(app, "teacher@school.example", "staff")
    client = app.test_client()
    response = password_step(client, "teacher@school.example", PASSWORD)
    assert response.status_code == 302 and "/login/code" not in response.location
    assert logged_in(client)
    assert user_row(app, "teacher@school.example")["totp_secret"] == ""


def test_login_next_only_goes_to_staff_pages(app, dsl):
    client = app.test_client()
    token = csrf_from(client.get("/staff/login"))
    client.post("/staff/login?next=//evil.example/", data={
        "email": DSL_EMAIL, "password": DSL_PASSWORD, "csrf_token": token})
    response = code_step(client, code_now(app))
    assert response.location == "/staff/"


# --- slowing guesses (never a lock: tests/test_security_login.py has the attacks) -----

WAIT_1S = "Wait 1 second, then try again"


def test_after_five_wrong_passwords_each_try_from_there_waits_longer(app, dsl, clock):
    client = app.test_client()
    for _ in range(5):
        response = password_step(client, password="not the password!")
        assert response.status_code == 401
        assert "do not match an account" in text(response)
    response = password_step(client, password="not the password!")
    assert response.status_code == 429 and WAIT_1S in text(response)
    # Even the right password waits: the guess is not even checked.
    response = password_step(client)
    assert response.status_code == 429 and WAIT_1S in text(response)
    assert not logged_in(client)
    advance(clock, seconds=1)
    assert password_step(client, password="not the password!").status_code == 401
    response = password_step(client)
    assert response.status_code == 429 and "Wait 2 seconds" in text(response)
    advance(clock, seconds=2)
    assert log_in(client).status_code == 302
    assert logged_in(client)
    failures = audit_rows(app, "login.failed")
    assert len(failures) == 9
    assert all(f["actor"] == DSL_EMAIL and f["target"] == f"email:{DSL_EMAIL}"
               for f in failures)
    assert [f["detail"] for f in failures] == (['{"why": "wrong"}'] * 5 + ['{"why": "wait"}'] * 2
                                               + ['{"why": "wrong"}', '{"why": "wait"}'])


def test_wrong_codes_count_towards_the_delays(app, dsl):
    client = app.test_client()
    password_step(client)
    for _ in range(5):
        assert code_step(client, wrong_code(app)).status_code == 401
    response = code_step(client, wrong_code(app))
    assert response.status_code == 429
    assert WAIT_1S in text(response)
    response = password_step(client)
    assert response.status_code == 429
    assert not logged_in(client)
    failures = audit_rows(app, "login.failed")
    assert len(failures) == 7
    assert failures[0]["detail"] == '{"why": "code wrong"}'
    assert failures[5]["detail"] == '{"why": "code wait"}'


def test_a_reused_code_counts_and_says_so(app, dsl):
    code = code_now(app)
    client = app.test_client()
    password_step(client)
    assert code_step(client, code).status_code == 302
    post_form(client, "/staff/account", "/staff/logout", {})
    password_step(client)
    for _ in range(5):
        response = code_step(client, code)
        assert response.status_code == 401 and "has been used" in text(response)
    response = code_step(client, code)
    assert response.status_code == 429
    assert WAIT_1S in text(response)


def test_wrong_passwords_and_wrong_codes_add_up(app, dsl):
    client = app.test_client()
    for _ in range(3):
        assert password_step(client, password="not the password!").status_code == 401
    password_step(client)
    assert code_step(client, wrong_code(app)).status_code == 401
    assert code_step(client, wrong_code(app)).status_code == 401
    assert code_step(client, wrong_code(app)).status_code == 429


def test_a_successful_login_resets_the_count(app, dsl):
    client = app.test_client()
    for _ in range(4):
        assert password_step(client, password="not the password!").status_code == 401
    assert log_in(client).status_code == 302
    post_form(client, "/staff/account", "/staff/logout", {})
    for _ in range(5):
        assert password_step(client, password="not the password!").status_code == 401
    assert user_row(app, DSL_EMAIL)["failed_logins"] == 5


def test_an_unknown_email_gets_the_same_answers_and_the_same_work(app, dsl, monkeypatch):
    from kiosk.accounts import users
    checked = []
    real = users.check_password_hash
    monkeypatch.setattr(users, "check_password_hash",
                        lambda hashed, password: checked.append(hashed) or real(hashed, password))

    def answers(email):
        client = app.test_client()
        found = [password_step(client, email, "not the password!") for _ in range(7)]
        return [(r.status_code, text(r).replace(csrf_from(r), "")) for r in found]

    unknown = answers("nobody@school.example")
    # One real scrypt check per counted try, as for a known account with a wrong password.
    assert len(checked) == 5 and all(h.startswith("scrypt:") for h in checked)
    checked.clear()
    known = answers(DSL_EMAIL)
    assert len(checked) == 5
    assert known == unknown
    assert [status for status, _ in known] == [401] * 5 + [429] * 2
    assert "do not match an account" in known[0][1] and WAIT_1S in known[5][1]
    failures = audit_rows(app, "login.failed")
    assert len(failures) == 14
    assert all(f["actor"] == "not logged in" for f in failures[:7])
    assert failures[0]["target"] == "email:nobody@school.example"


def test_unlock_user_on_the_command_line(app, dsl, runner):
    client = app.test_client()
    for _ in range(5):
        password_step(client, password="not the password!")
    assert password_step(client).status_code == 429
    result = runner.invoke(args=["list-users"])
    assert f"{DSL_EMAIL}\tdsl\tactive, 5 failed logins" in result.output
    result = runner.invoke(args=["unlock-user", DSL_EMAIL])
    assert result.exit_code == 0 and "is unlocked" in result.output
    assert log_in(client).status_code == 302
    assert logged_in(client)
    assert len(audit_rows(app, "user.unlocked")) == 1
    result = runner.invoke(args=["unlock-user", "nobody@school.example"])
    assert result.exit_code != 0 and "there is no user" in result.output


# --- idle sessions -------------------------------------------------------------------

def test_an_idle_session_ends_after_thirty_minutes(app, staff_client, clock):
    assert staff_client.get("/staff/").status_code == 200
    advance(clock, minutes=31)
    response = staff_client.get("/staff/")
    assert response.status_code == 302
    assert response.location.startswith("/staff/login")
    assert "logged out after 30 minutes without activity" in followed(staff_client, response)
    assert not logged_in(staff_client)
    ended = rows(app, "SELECT * FROM staff_sessions")
    assert len(ended) == 1 and ended[0]["ended_why"] == "idle"
    # Going back in time does not bring the session back.
    advance(clock, minutes=-31)
    assert not logged_in(staff_client)


def test_activity_keeps_the_session(app, staff_client, clock):
    for _ in range(3):
        advance(clock, minutes=20)
        assert staff_client.get("/staff/").status_code == 200
    advance(clock, minutes=29)
    assert staff_client.get("/staff/reports/1").status_code == 404  # in, no such report
    advance(clock, minutes=31)
    assert not logged_in(staff_client)


def test_an_idle_dashboard_stops_receiving_reports(app, staff_socket, clock, client):
    staff_socket.get_received("/staff")
    advance(clock, minutes=31)
    sweep_dashboards(app)  # as the server's timer does every 30 seconds
    assert client.post("/api/reports", json=a_report()).status_code == 201
    heard = ([e["name"] for e in staff_socket.get_received("/staff")]
             if staff_socket.is_connected("/staff") else [])
    assert "notification" not in heard


def sweep_dashboards(app):
    with app.app_context():
        sweep(get_db())


def test_api_calls_after_idle_expiry_get_401_not_a_redirect(app, staff_client, clock):
    advance(clock, minutes=31)
    response = staff_client.get("/staff/api/notifications?since=0")
    assert response.status_code == 401


# --- logout everywhere ---------------------------------------------------------------

def _two_dsl_clients_and_a_dashboard(app):
    first, second = logged_in_client(app), logged_in_client(app)
    sock = socketio.test_client(app, namespace="/staff", flask_test_client=first)
    assert sock.is_connected("/staff")
    return first, second, sock


def _told_to_leave(sock):
    """The dashboard was closed, or at least told it was logged out."""
    if not sock.is_connected("/staff"):
        return True
    return any(event["name"] == "logged_out" for event in sock.get_received("/staff"))


def _logged_out_with(client, why):
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.location
    return why in followed(client, response)


def test_admin_page_role_change_logs_the_person_out_everywhere(app, dsl):
    first, second, sock = _two_dsl_clients_and_a_dashboard(app)
    make_user(app, "head@school.example", "head")
    head = logged_in_client(app, "head@school.example", PASSWORD)
    response = post_form(head, "/staff/admin/users", f"/staff/admin/users/{dsl['id']}/role",
                         {"role": "deputy"})
    assert response.status_code == 302
    assert user_row(app, DSL_EMAIL)["role"] == "deputy"
    assert _told_to_leave(sock)
    assert not sock.is_connected("/staff")
    assert _logged_out_with(first, "role changed")
    assert _logged_out_with(second, "role changed")
    assert logged_in(head)
    changed = audit_rows(app, "user.role_changed")
    assert len(changed) == 1 and changed[0]["actor"] == "head@school.example"
    assert changed[0]["target"] == f"user:{dsl['id']}"
    # They log in again, now as a deputy.
    assert log_in(first).status_code == 302 and logged_in(first)


def test_command_line_role_change_logs_the_person_out_everywhere(app, dsl, runner):
    first, second, sock = _two_dsl_clients_and_a_dashboard(app)
    result = runner.invoke(args=["set-role", DSL_EMAIL, "--role", "staff"])
    assert result.exit_code == 0, result.output
    assert "logged out everywhere" in result.output
    assert user_row(app, DSL_EMAIL)["role"] == "staff"
    assert _logged_out_with(first, "role changed")
    assert _logged_out_with(second, "role changed")
    assert rows(app, "SELECT count(*) AS n FROM staff_sessions WHERE ended_at = ''")[0]["n"] == 0
    entry = audit_rows(app, "user.role_changed")[0]
    assert entry["actor"] == "server command line" and entry["target"] == f"user:{dsl['id']}"
    sock.disconnect(namespace="/staff")


def test_command_line_role_change_closes_open_dashboards(app, dsl, runner, client):
    first, second, sock = _two_dsl_clients_and_a_dashboard(app)
    assert runner.invoke(args=["set-role", DSL_EMAIL, "--role", "staff"]).exit_code == 0
    sweep_dashboards(app)  # the server's timer notices what another process changed
    assert not sock.is_connected("/staff")


def test_changing_your_password_logs_you_out_everywhere(app, dsl, clock):
    first, second, sock = _two_dsl_clients_and_a_dashboard(app)
    hash_before = user_row(app, DSL_EMAIL)["password_hash"]

    def change(current, new, confirm):
        return post_form(first, "/staff/account", "/staff/account/password",
                         {"password": current, "new_password": new, "confirm": confirm})

    response = change("not my password!!", NEW_PASSWORD, NEW_PASSWORD)
    assert "current password is not right" in followed(first, response)
    response = change(DSL_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x")
    assert "two new passwords are not the same" in followed(first, response)
    response = change(DSL_PASSWORD, "too short", "too short")
    assert "at least 12 characters" in followed(first, response)
    assert user_row(app, DSL_EMAIL)["password_hash"] == hash_before
    assert logged_in(first) and logged_in(second) and sock.is_connected("/staff")

    response = change(DSL_PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 302 and response.location == "/staff/login"
    assert "logged out everywhere" in text(first.get(response.location))
    assert not logged_in(first)
    assert _logged_out_with(second, "password changed")
    assert _told_to_leave(sock)
    assert user_row(app, DSL_EMAIL)["password_hash"] != hash_before
    assert log_in(second).status_code == 401  # the old password
    assert log_in(second, password=NEW_PASSWORD).status_code == 302
    assert len(audit_rows(app, "user.password_changed")) == 1


def test_log_out_everywhere(app, dsl):
    first, second, sock = _two_dsl_clients_and_a_dashboard(app)
    assert "logged in on 2 devices" in text(first.get("/staff/account"))
    response = post_form(first, "/staff/account", "/staff/account/logout-everywhere", {})
    assert response.status_code == 302
    assert "logged out on every device" in followed(first, response)
    assert not logged_in(first)
    assert _logged_out_with(second, "logged out everywhere")
    assert _told_to_leave(sock)
    assert not sock.is_connected("/staff")
    assert len(audit_rows(app, "user.logged_out_everywhere")) == 1


def test_a_switched_off_account_cannot_log_in(app, dsl):
    make_user(app, "teacher@school.example", "staff")
    teacher = logged_in_client(app, "teacher@school.example", PASSWORD)
    make_user(app, "it@school.example", "it")
    it = logged_in_client(app, "it@school.example", PASSWORD)
    teacher_id = user_row(app, "teacher@school.example")["id"]
    response = post_form(it, "/staff/admin/users", f"/staff/admin/users/{teacher_id}/active",
                         {"active": "0"})
    assert response.status_code == 302
    assert _logged_out_with(teacher, "account switched off")
    response = password_step(teacher, "teacher@school.example", PASSWORD)
    assert response.status_code == 401
    assert "switched off" in text(response)
    assert not logged_in(teacher)
    # A reader switched off between the password and the code is stopped at the code.
    dsl_client = logged_in_client(app)
    pending = app.test_client()
    assert password_step(pending).status_code == 302
    with app.app_context():
        from kiosk.accounts import users
        users.set_active(get_db(), dsl["id"], False, app.config["CLOCK"]())
    assert _logged_out_with(dsl_client, "account switched off")
    response = code_step(pending, code_now(app, offset_steps=1))
    assert response.status_code == 401 and "switched off" in text(response)
    assert not logged_in(pending)
    response = log_in(app.test_client())
    assert response.status_code == 401 and "switched off" in text(response)


def test_logging_out_ends_the_session_on_the_server(app, staff_client):
    cookie = staff_client.get_cookie("session").value
    post_form(staff_client, "/staff/account", "/staff/logout", {})
    assert not logged_in(staff_client)
    # Replaying the old cookie does not get back in.
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert not logged_in(replay)


# --- IT runs accounts but cannot become a reader ---------------------------------------

@pytest.fixture
def it_client(app, dsl):
    make_user(app, "it@school.example", "it")
    make_user(app, "teacher@school.example", "staff")
    return logged_in_client(app, "it@school.example", PASSWORD)


@pytest.mark.parametrize("role", ["dsl", "deputy", "head"])
def test_it_cannot_create_a_reader(app, it_client, role):
    response = post_form(it_client, "/staff/admin/users", "/staff/admin/users",
                         {"email": "new@school.example", "role": role, "password": PASSWORD})
    assert response.status_code == 403
    assert user_row(app, "new@school.example") is None
    assert audit_rows(app, "refused")[-1]["actor"] == "it@school.example"
    assert audit_rows(app, "user.created") == []


def test_it_cannot_give_a_reader_role(app, it_client):
    for email in ("teacher@school.example", "it@school.example"):
        target = user_row(app, email)
        response = post_form(it_client, "/staff/admin/users",
                             f"/staff/admin/users/{target['id']}/role", {"role": "dsl"})
        assert response.status_code == 403
        assert user_row(app, email)["role"] == target["role"]
    assert audit_rows(app, "user.role_changed") == []


def test_it_cannot_reset_a_readers_password_or_authenticator(app, it_client, dsl):
    before = user_row(app, DSL_EMAIL)
    dsl_client = logged_in_client(app)
    for action, data in (("password", {"password": PASSWORD}), ("authenticator", {}),
                         ("role", {"role": "staff"}), ("active", {"active": "0"})):
        response = post_form(it_client, "/staff/admin/users",
                             f"/staff/admin/users/{dsl['id']}/{action}", data)
        assert response.status_code == 403, action
    after = user_row(app, DSL_EMAIL)
    assert after["password_hash"] == before["password_hash"]
    assert after["totp_secret"] == before["totp_secret"]
    assert after["role"] == "dsl" and after["active"] == 1
    assert logged_in(dsl_client)
    assert log_in(app.test_client(), email=DSL_EMAIL, password=PASSWORD).status_code == 401
    assert len(audit_rows(app, "refused")) == 4


def test_it_still_runs_staff_accounts(app, it_client):
    response = post_form(it_client, "/staff/admin/users", "/staff/admin/users",
                         {"email": "new@school.example", "role": "staff", "password": PASSWORD})
    assert response.status_code == 302
    assert user_row(app, "new@school.example")["role"] == "staff"
    page = text(it_client.get("/staff/admin/users"))
    assert "Only the DSL or the head teacher can add someone" in page
    assert 'value="dsl"' not in page


def test_the_dsl_can_add_a_reader_and_sees_the_authenticator_page(app, staff_client):
    response = post_form(staff_client, "/staff/admin/users", "/staff/admin/users",
                         {"email": "deputy@school.example", "role": "dsl",
                          "password": PASSWORD, "name": "Deputy"})
    assert response.status_code == 201
    page = text(response)
    assert "<svg" in page and "</svg>" in page
    created = user_row(app, "deputy@school.example")
    assert created["role"] == "dsl"
    uri = html.unescape(re.search(r'href="(otpauth://totp/[^"]+)"', page).group(1))
    assert parse_qs(urlparse(uri).query)["secret"] == [created["totp_secret"]]
    assert created["totp_secret"] in page
    # The new person can log in with it.
    client = app.test_client()
    password_step(client, "deputy@school.example", PASSWORD)
    assert code_step(client, code_now(app, "deputy@school.example")).status_code == 302


def test_the_dsl_can_promote_and_reset_readers(app, staff_client):
    make_user(app, "teacher@school.example", "staff")
    teacher = user_row(app, "teacher@school.example")
    response = post_form(staff_client, "/staff/admin/users",
                         f"/staff/admin/users/{teacher['id']}/role", {"role": "deputy"})
    assert response.status_code == 200 and "<svg" in text(response)
    promoted = user_row(app, "teacher@school.example")
    assert promoted["role"] == "deputy" and promoted["totp_secret"]
    response = post_form(staff_client, "/staff/admin/users",
                         f"/staff/admin/users/{teacher['id']}/authenticator", {})
    assert response.status_code == 200
    assert user_row(app, "teacher@school.example")["totp_secret"] != promoted["totp_secret"]
    response = post_form(staff_client, "/staff/admin/users",
                         f"/staff/admin/users/{teacher['id']}/password",
                         {"password": NEW_PASSWORD})
    assert response.status_code == 302
    client = app.test_client()
    assert log_in(client, "teacher@school.example", NEW_PASSWORD).status_code == 302


# --- what the browser holds ------------------------------------------------------------

def test_the_session_cookie_holds_only_an_opaque_token(app, staff_client, dsl):
    cookie = staff_client.get_cookie("session").value
    data = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert set(data) <= {"st", "csrf", "_permanent", "_flashes"}, data
    assert "st" in data
    token = data["st"]
    assert isinstance(token, str) and len(token) >= 32
    assert DSL_EMAIL not in cookie and DSL_EMAIL not in repr(data)
    assert not any(type(value) is int for value in data.values())  # no id (True is _permanent)
    stored = rows(app, "SELECT * FROM staff_sessions")
    assert len(stored) == 1 and stored[0]["user_id"] == dsl["id"]
    assert stored[0]["token_hash"] != token and token not in repr(stored)
