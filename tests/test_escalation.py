"""The escalation ladder on a moved clock, with email through a real local SMTP server."""
import json
import re
import threading
from datetime import datetime, timezone

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from kiosk import DEFAULT_SCHOOL_DAY, audit
from kiosk.safeguarding import escalation
from kiosk.extensions import socketio
from kiosk.mailer import Mailer, MailError
from kiosk.safeguarding.reports import acknowledge, find_by_client_id
from kiosk.safeguarding.schoolday import SchoolDay
from kiosk.staff.help import readers_watching
from kiosk.accounts.users import create_user

from helpers import a_report, log_in
from smtp_inbox import Inbox, Server, free_port, smtp

PASSWORD = "a long test password"
DEPUTIES = ["deputy.one@school.example", "deputy.two@school.example"]
HEAD = "head@school.example"
BASE_URL = "https://kiosk.school.example"
SCHOOL = "Hillside Primary"
WORDS = "he said send pics and meet him at the park"
NOT_ACKNOWLEDGED = "not acknowledged"  # in every escalation email's subject


def at(day, hour, minute=0):
    """A time in November 2026, when London is on GMT (UTC)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


@pytest.fixture
def mail(app, inbox):
    """Email on, through the local server, with a link to the dashboard."""
    app.config.update(SMTP=smtp(inbox.port), BASE_URL=BASE_URL, SCHOOL_NAME=SCHOOL)
    return inbox


@pytest.fixture
def team(db, dsl):
    """The DSL, two deputies, the head, and a former deputy whose account is off."""
    create_user(db, DEPUTIES[0], PASSWORD, "deputy", name="Dee Puty")
    create_user(db, DEPUTIES[1], PASSWORD, "deputy")
    create_user(db, HEAD, PASSWORD, "head", name="Hal Head")
    former = create_user(db, "former.deputy@school.example", PASSWORD, "deputy")
    db["users"].update(former["id"], {"active": 0})


def send(client, db, clock, when, more=None, **answers):
    """A pupil sends a report at `when`; returns the stored report."""
    clock.now = when
    report = a_report(**answers) | (more or {})
    response = client.post("/api/reports", json=report)
    assert response.status_code == 201, response.json
    return find_by_client_id(db, report["client_id"])


URGENT = {"safe": ["no"]}


def check(app, db, clock, when, watching=()):
    clock.now = when
    return escalation.check(app, db, watching)


def events(db, report_id, *kinds):
    return [(row["kind"], json.loads(row["detail"] or "{}")) for row in db.query(
        "SELECT kind, detail FROM report_events WHERE report_id = ? ORDER BY id", [report_id])
        if not kinds or row["kind"] in kinds]


def steps(db, report_id):
    """(kind, role, who was told) for each step of the ladder taken for the report."""
    return [(kind, d["to"], d["told"]) for kind, d in events(
        db, report_id, "escalated", "escalation_nobody")]


def notifications(sock):
    """The notifications a dashboard's socket was pushed since the last look."""
    return [m["args"][0] for m in sock.get_received("/staff") if m["name"] == "notification"]


def escalated_to(db, report_id):
    return [role for _, role, _ in steps(db, report_id)]


def test_urgent_report_goes_to_deputies_then_head_once_each(app, client, db, clock, team, mail):
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    assert report["due_at"] == at(18, 10, 40).isoformat()
    assert check(app, db, clock, at(18, 10, 39)) == []
    assert mail.recipients(NOT_ACKNOWLEDGED) == []  # the DSL team's arrival email only

    done = check(app, db, clock, at(18, 10, 40))
    assert [(d["to"], d["step"], d["told"], d["sent"]) for d in done] == [
        ("deputy", 1, ["Dee Puty", DEPUTIES[1]], 2)]
    # Not the DSL, the head or the former deputy.
    assert sorted(mail.recipients(NOT_ACKNOWLEDGED)) == DEPUTIES
    assert check(app, db, clock, at(18, 10, 45)) == []

    assert [d["to"] for d in check(app, db, clock, at(18, 10, 50))] == ["head"]
    assert mail.recipients(NOT_ACKNOWLEDGED)[2:] == [HEAD]
    for later in (at(18, 10, 50), at(18, 11, 30), at(19, 9)):
        assert check(app, db, clock, later) == []
    assert len(mail.with_subject(NOT_ACKNOWLEDGED)) == 3

    first, second = events(db, report["id"], "escalated")
    assert first[1] == {"to": "deputy", "step": 1, "due_at": report["due_at"],
                        "told": ["Dee Puty", DEPUTIES[1]], "emailed": DEPUTIES,
                        "emailed_names": ["Dee Puty", DEPUTIES[1]],
                        "dashboards": [], "watching": [], "email": "on", "nobody": False}
    assert (second[1]["to"], second[1]["told"], second[1]["emailed"]) == (
        "head", ["Hal Head"], [HEAD])
    sent = [(d["purpose"], d["step"], d["to"]) for _, d in events(db, report["id"], "email_sent")]
    assert sent[1:] == [("escalation", 1, DEPUTIES), ("escalation", 2, [HEAD])]
    entries = list(db.query("SELECT * FROM audit WHERE action = 'case.escalated' ORDER BY id"))
    assert [(e["actor"], e["target"], json.loads(e["detail"])) for e in entries] == [
        ("escalation ladder", f"report:{report['id']}", {"to": "deputy", "told": 2,
                                                         "nobody": False}),
        ("escalation ladder", f"report:{report['id']}", {"to": "head", "told": 1,
                                                         "nobody": False})]
    assert audit.verify(db).ok


def test_the_case_page_says_who_was_told_and_how(app, client, db, clock, team, mail,
                                                 staff_client):
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    check(app, db, clock, at(18, 10, 40))
    page = staff_client.get(f"/staff/reports/{report['id']}").get_data(as_text=True)
    assert "Escalated to Deputy DSL (step 1): not acknowledged in time" in page
    # People by name (the second deputy's account has none, so by address).
    assert (f"Told: Dee Puty, {DEPUTIES[1]}; by email: Dee Puty, {DEPUTIES[1]}; "
            "on an open dashboard: nobody.") in page
    assert "Email for escalation step 1 sent to 2" in page
    assert "Email on arrival sent to 4" in page


def test_acknowledged_report_goes_no_further(app, client, db, clock, team, dsl, mail):
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    check(app, db, clock, at(18, 10, 40))
    acknowledge(db, report["id"], dsl["id"], at(18, 10, 45))
    assert check(app, db, clock, at(18, 10, 50)) == []
    assert check(app, db, clock, at(18, 12)) == []
    assert escalated_to(db, report["id"]) == ["deputy"]
    assert HEAD not in mail.recipients(NOT_ACKNOWLEDGED)


def test_steps_missed_while_the_server_was_down_are_taken_in_order(app, client, db, clock,
                                                                   team, mail):
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    done = check(app, db, clock, at(18, 13))
    assert [d["to"] for d in done] == ["deputy", "head"]
    assert mail.recipients(NOT_ACKNOWLEDGED) == DEPUTIES + [HEAD]
    assert check(app, db, clock, at(18, 13, 1)) == []
    assert escalated_to(db, report["id"]) == ["deputy", "head"]


def test_same_day_report_after_hours_on_friday_waits_for_monday(app, client, db, clock,
                                                                team, mail):
    report = send(client, db, clock, at(20, 16))  # Friday 16:00, after the cut-off
    assert report["urgency"] == "same-day"
    assert report["due_at"] == at(23, 9).isoformat()  # Monday morning
    for quiet in (at(20, 16, 1), at(20, 23, 59), at(21, 9), at(21, 15, 30), at(22, 9, 30),
                  at(22, 15), at(23, 8, 59)):
        assert check(app, db, clock, quiet) == [], quiet
    assert mail.messages == []  # not urgent: no email on arrival either
    assert [d["to"] for d in check(app, db, clock, at(23, 9))] == ["deputy"]
    assert check(app, db, clock, at(23, 9, 29)) == []
    assert [d["to"] for d in check(app, db, clock, at(23, 9, 30))] == ["head"]
    _, message = mail.messages[-1]
    assert message["Subject"] == "Safeguarding report not acknowledged by its due time"
    assert "Same day" in message.get_content()


def test_a_closed_day_is_skipped(app, client, db, clock, team, mail):
    # Monday 23 November is an INSET day: Friday evening's report is due on Tuesday.
    app.config["SCHOOL_DAY"] = dict(DEFAULT_SCHOOL_DAY, closed=["2026-11-23"])
    app.extensions["kiosk"].school = SchoolDay.from_config(app.config["SCHOOL_DAY"])
    report = send(client, db, clock, at(20, 16))
    assert report["due_at"] == at(24, 9).isoformat()
    for quiet in (at(21, 12), at(23, 9), at(23, 9, 30), at(23, 15, 30), at(24, 8, 59)):
        assert check(app, db, clock, quiet) == [], quiet
    assert [d["to"] for d in check(app, db, clock, at(24, 9))] == ["deputy"]
    assert [d["to"] for d in check(app, db, clock, at(24, 9, 30))] == ["head"]


def test_urgent_report_at_night_on_a_weekend_does_not_wait_for_school(app, client, db, clock,
                                                                      team, mail):
    report = send(client, db, clock, at(21, 2), **URGENT)  # Saturday 02:00
    assert check(app, db, clock, at(21, 2, 9)) == []
    assert [d["to"] for d in check(app, db, clock, at(21, 2, 10))] == ["deputy"]
    assert [d["to"] for d in check(app, db, clock, at(21, 2, 20))] == ["head"]
    assert mail.recipients(NOT_ACKNOWLEDGED) == DEPUTIES + [HEAD]
    assert escalated_to(db, report["id"]) == ["deputy", "head"]


def test_emails_have_a_link_and_the_urgency_but_nothing_the_report_says(app, client, db,
                                                                       clock, team, mail):
    report = send(client, db, clock, at(18, 10, 30), {"words": WORDS, "name": "Sam Pupil"},
                  safe=["no"], what=["pictures"], who=["adult"])
    check(app, db, clock, at(18, 10, 40))
    escalations = mail.with_subject(NOT_ACKNOWLEDGED)
    assert len(escalations) == 2  # one to each deputy
    message = escalations[0]
    body = message.get_content()
    assert message["Subject"] == "Urgent safeguarding report not acknowledged"
    assert message["From"] == "kiosk@school.example" and message["To"] in DEPUTIES
    assert message.get_content_type() == "text/plain" and not message.is_multipart()
    assert f"{BASE_URL}/staff/reports/{report['id']}" in body
    assert "Urgency: Urgent" in body and SCHOOL in body
    assert "Made: Wednesday 18 November 2026, 10:30 GMT" in body
    assert "Due to be acknowledged by: Wednesday 18 November 2026, 10:40 GMT" in body
    assert "You are receiving this as Deputy DSL" in body
    secrets = [WORDS, "send pics", "Sam", "park"]
    secrets += [c["label"] for c in json.loads(report["choices"])]
    secrets += json.loads(report["reasons"])
    secrets += [report["kiosk"]] if report["kiosk"] else []
    assert len(mail.messages) == 6  # and four on arrival, to the DSL team
    for _, message in mail.messages:
        text = message.as_string()
        for secret in secrets:  # whole words: the "No" tile is not the "no" in "not"
            assert not re.search(rf"\b{re.escape(secret)}\b", text, re.IGNORECASE), secret


def test_without_a_base_url_the_email_names_the_report_number(app, client, db, clock, team,
                                                              mail):
    app.config.update(BASE_URL="", SCHOOL_NAME="")
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    check(app, db, clock, at(18, 10, 40))
    body = mail.with_subject(NOT_ACKNOWLEDGED)[0].get_content()
    assert f"Open the dashboard and find report number {report['id']}." in body
    assert "http" not in body
    assert body.startswith("A safeguarding report has not been acknowledged.")


def test_smtp_nobody_listens_on_still_escalates_records_the_failure_and_retries(
        app, client, db, clock, team):
    port = free_port()
    app.config["SMTP"] = smtp(port, username="kiosk", password="hunter2-secret")
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    done = check(app, db, clock, at(18, 10, 40))
    assert [(d["to"], d["sent"]) for d in done] == [("deputy", 0)]
    assert "could not connect to 127.0.0.1" in done[0]["email_error"]
    assert steps(db, report["id"]) == [("escalated", "deputy", ["Dee Puty", DEPUTIES[1]])]
    (_, failure), = [e for e in events(db, report["id"], "email_failed")
                     if e[1]["purpose"] == "escalation"]
    assert failure["to"] == DEPUTIES and failure["attempts"] == 1
    assert failure["error"] == done[0]["email_error"]
    assert failure["next_try_at"] == "2026-11-18T10:40:30+00:00"  # 30 s later
    assert "hunter2" not in json.dumps(events(db, report["id"]))
    notification = next(db.query("SELECT * FROM notifications WHERE kind = 'report.escalated'"))
    assert notification["report_id"] == report["id"]
    assert check(app, db, clock, at(18, 10, 41)) == []  # the step is not taken again

    # The server comes up on that port: the email is retried and goes, once.
    box = Inbox()
    server = Server(box, port).start()
    app.config["SMTP"] = smtp(port)
    try:
        check(app, db, clock, at(18, 10, 45))
    finally:
        server.stop()
    assert sorted(box.recipients(NOT_ACKNOWLEDGED)) == DEPUTIES
    assert audit.verify(db).ok


def test_a_step_with_nobody_to_tell_says_so_and_the_next_follows_at_once(app, client, db,
                                                                        clock, dsl, mail):
    """The first-time set-up: a DSL and a head, no deputy account."""
    create_user(db, HEAD, PASSWORD, "head", name="Hal Head")
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    done = check(app, db, clock, at(18, 10, 40))  # the head's step would be at 10:50
    assert [(d["to"], d["nobody"], d["told"]) for d in done] == [
        ("deputy", True, []), ("head", False, ["Hal Head"])]
    assert done[0]["why"] == "no active account has the role Deputy DSL"
    assert steps(db, report["id"]) == [("escalation_nobody", "deputy", []),
                                       ("escalated", "head", ["Hal Head"])]
    assert mail.recipients(NOT_ACKNOWLEDGED) == [HEAD]
    pushed = [json.loads(row["payload"]) for row in db.query(
        "SELECT payload FROM notifications WHERE kind = 'report.escalated' ORDER BY id")]
    assert [(p["escalated_to"], p["nobody"], p["told"]) for p in pushed] == [
        ("deputy", True, []), ("head", False, ["Hal Head"])]
    assert check(app, db, clock, at(18, 10, 50)) == []


def test_no_deputy_no_smtp_no_dashboard_is_never_recorded_as_escalated(app, client, db, clock,
                                                                      dsl, staff_client):
    """The README's first-time set-up: before, this was "Escalated to Deputy DSL"."""
    create_user(db, HEAD, PASSWORD, "head")
    assert app.config["SMTP"] is None
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    done = check(app, db, clock, at(18, 10, 40))
    assert [(d["to"], d["nobody"], d["emailed"]) for d in done] == [
        ("deputy", True, None), ("head", True, None)]
    assert done[1]["why"] == "email is not set up and no Head teacher has a dashboard open"
    assert [kind for kind, _, _ in steps(db, report["id"])] == ["escalation_nobody"] * 2
    page = staff_client.get(f"/staff/reports/{report['id']}").get_data(as_text=True)
    assert "Escalated to" not in page
    assert "NOBODY TO TELL at escalation step 1 (Deputy DSL)" in page
    assert "NOBODY TO TELL at escalation step 2 (Head teacher)" in page
    assert "Nobody emailed on arrival" in page


def test_an_open_dashboard_counts_as_told_and_is_named(app, client, db, clock, dsl):
    """No email: the deputy is told only because their dashboard is open, and it says so."""
    deputy = create_user(db, DEPUTIES[0], PASSWORD, "deputy", name="Dee Puty")
    browser = app.test_client()
    assert log_in(browser, DEPUTIES[0], PASSWORD).status_code == 302
    sock = socketio.test_client(app, namespace="/staff", flask_test_client=browser)
    try:
        assert sock.is_connected("/staff")
        report = send(client, db, clock, at(18, 10, 30), **URGENT)
        done = check(app, db, clock, at(18, 10, 40), readers_watching(db))
        pushed = notifications(sock)
    finally:
        sock.disconnect(namespace="/staff")
    assert [(d["to"], d["told"], d["nobody"]) for d in done] == [("deputy", ["Dee Puty"], False)]
    (_, detail), = events(db, report["id"], "escalated")
    assert (detail["dashboards"], detail["emailed"], detail["email"]) == (
        ["Dee Puty"], [], "not set up")
    assert deputy["id"] and pushed[-1]["kind"] == "report.escalated"
    assert pushed[-1]["payload"]["told"] == ["Dee Puty"]


def test_a_step_nobody_can_be_emailed_for_says_so(app, client, db, clock, team, mail):
    head = next(db.query("SELECT id FROM users WHERE email = ?", [HEAD]))
    db["users"].update(head["id"], {"active": 0})
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    done = check(app, db, clock, at(18, 10, 50))
    assert [(d["to"], d["sent"], d["nobody"]) for d in done] == [
        ("deputy", 2, False), ("head", 0, True)]
    kind, detail = events(db, report["id"], "escalated", "escalation_nobody")[-1]
    assert kind == "escalation_nobody" and detail["to"] == "head" and detail["told"] == []
    assert detail["why"] == "no active account has the role Head teacher"
    assert HEAD not in mail.recipients()


def test_a_refused_login_is_a_plain_reason_without_the_password(inbox):
    def refuse(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=False, handled=False)

    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(),
                            authenticator=refuse, auth_require_tls=False)
    controller.start()
    try:
        mailer = Mailer(smtp(controller.port, username="kiosk", password="hunter2-secret"))
        with pytest.raises(MailError) as caught:
            mailer.send([mailer.message(HEAD, "Subject", "Body")])
        results = mailer.deliver([mailer.message(HEAD, "Subject", "Body")])
    finally:
        controller.stop()
    assert "refused the login for 'kiosk'" in str(caught.value)
    assert "hunter2" not in str(caught.value) and caught.value.sent == 0
    assert results == [str(caught.value)]
    assert inbox.messages == []


@pytest.mark.parametrize("settings, reason", [
    ({"port": 25, "from": "kiosk@school.example"}, "the SMTP setting has no 'host'"),
    ({"host": "127.0.0.1"}, "the SMTP setting has no 'from'"),
    (smtp(25, ssl=True, starttls=True), "both 'ssl' and 'starttls'"),
    (smtp(25, username="kiosk"), "needs both 'username' and 'password'"),
])
def test_a_bad_smtp_setting_is_named(settings, reason):
    mailer = Mailer(settings)
    assert reason in mailer.problem()
    with pytest.raises(MailError, match=reason):
        mailer.send([])


def test_without_smtp_the_step_is_shown_live_and_nobody_is_emailed(app, client, db, clock,
                                                                   team, inbox, staff_socket):
    """The DSL's dashboard is open; the deputies have none and email is off: nobody told."""
    assert app.config["SMTP"] is None
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    staff_socket.get_received("/staff")  # the new report itself
    done = check(app, db, clock, at(18, 10, 40), readers_watching(db))
    assert [(d["to"], d["nobody"], d["emailed"]) for d in done] == [
        ("deputy", True, None), ("head", True, None)]
    assert inbox.messages == []
    (_, detail), *_ = events(db, report["id"], "escalation_nobody")
    assert detail["watching"] == ["dsl@school.example"] and detail["email"] == "not set up"
    pushed = notifications(staff_socket)
    assert [(n["kind"], n["report_id"]) for n in pushed] == [
        ("report.escalated", report["id"])] * 2
    payload = pushed[0]["payload"]
    assert (payload["escalated_to"], payload["role_name"], payload["step"], payload["nobody"],
            payload["told"]) == ("deputy", "Deputy DSL", 1, True, [])
    assert payload["status"] == "new" and payload["urgency"] == "urgent"
    assert "words" not in payload and "name" not in payload


def test_a_dashboard_gets_the_escalation_live_while_email_goes_out(app, client, db, clock, team,
                                                                  mail, staff_socket):
    send(client, db, clock, at(18, 10, 30), **URGENT)
    staff_socket.get_received("/staff")
    check(app, db, clock, at(18, 10, 40))
    pushed = notifications(staff_socket)
    # Live first, then the emails (on arrival, then the step's), each as it went.
    assert [n["kind"] for n in pushed] == ["report.escalated", "email.sent", "email.sent"]
    assert [(n["payload"]["purpose"], n["payload"]["recipients"]) for n in pushed[1:]] == [
        ("arrival", 4), ("escalation", 2)]
    assert len(mail.with_subject(NOT_ACKNOWLEDGED)) == 2


def test_merged_and_closed_reports_do_not_escalate(app, client, db, clock, team, mail):
    merged = send(client, db, clock, at(18, 10, 30), **URGENT)
    closed = send(client, db, clock, at(18, 10, 30), **URGENT)
    kept = send(client, db, clock, at(18, 10, 30), **URGENT)
    db["reports"].update(merged["id"], {"merged_into": kept["id"]})
    db["reports"].update(closed["id"], {"closed_at": at(18, 10, 35).isoformat()})
    done = check(app, db, clock, at(18, 11))
    assert {d["report_id"] for d in done} == {kept["id"]}


def test_check_command_says_what_it_did(app, client, db, clock, team, mail, runner):
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    clock.now = at(18, 10, 40)
    result = runner.invoke(args=["escalation", "check", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"Report {report['id']}: due to go to Deputy DSL (step 1)." in result.output
    assert mail.messages == []
    result = runner.invoke(args=["escalation", "check"])
    assert result.exit_code == 0, result.output
    assert (f"Report {report['id']}: escalated to Deputy DSL (step 1), told Dee Puty, "
            f"{DEPUTIES[1]}; emailed 2." in result.output)
    assert runner.invoke(args=["escalation", "check"]).output == "Nothing to escalate.\n"


def test_check_command_says_nobody_loudly(app, client, db, clock, dsl, runner):
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    clock.now = at(18, 10, 40)
    result = runner.invoke(args=["escalation", "check"])
    assert result.exit_code == 0, result.output
    assert (f"Report {report['id']}: NOBODY TO TELL at step 1 (Deputy DSL): no active account "
            "has the role Deputy DSL." in result.output)
    assert f"Report {report['id']}: NOBODY TO TELL at step 2 (Head teacher)" in result.output


class Watching:
    """A broker that says when an escalation has been pushed."""

    def __init__(self):
        self.escalated = threading.Event()

    def publish(self, notification):
        if notification["kind"] == "report.escalated":
            self.escalated.set()


def test_ticker_checks_in_the_background_survives_an_error_and_stops(app, client, db, clock,
                                                                     team):
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    clock.now = at(18, 10, 40)
    broker = app.extensions["kiosk"].broker = Watching()
    failures = []

    def clock_that_fails_once():
        if not failures:
            failures.append("first check")
            raise RuntimeError("the clock is not ready")
        return clock.now

    app.config["CLOCK"] = clock_that_fails_once
    ticker = escalation.ticker(app, interval=0.05).start()
    try:
        assert broker.escalated.wait(10)
    finally:
        assert ticker.stop()
    assert failures == ["first check"]
    # No email and no dashboard open: nobody at either step, so both are taken at once.
    assert steps(db, report["id"]) == [("escalation_nobody", "deputy", []),
                                       ("escalation_nobody", "head", [])]
