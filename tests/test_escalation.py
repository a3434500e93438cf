"""The escalation ladder on a moved clock, with email through a real local SMTP server."""
import email
import json
import re
import socket
import threading
from datetime import datetime, timezone
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from kiosk import DEFAULT_SCHOOL_DAY, audit, escalation
from kiosk.mailer import Mailer, MailError
from kiosk.reports import acknowledge, find_by_client_id
from kiosk.schoolday import SchoolDay
from kiosk.users import create_user

from helpers import a_report

PASSWORD = "a long test password"
DEPUTIES = ["deputy.one@school.example", "deputy.two@school.example"]
HEAD = "head@school.example"
BASE_URL = "https://kiosk.school.example"
SCHOOL = "Hillside Primary"
WORDS = "he said send pics and meet him at the park"


def at(day, hour, minute=0):
    """A time in November 2026, when London is on GMT (UTC)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An SMTP handler that keeps every message it is given."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def recipients(self):
        return [to for tos, _ in self.messages for to in tos]


@pytest.fixture
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def smtp(port, **more):
    return {"host": "127.0.0.1", "port": port, "from": "kiosk@school.example",
            "timeout": 5, **more}


@pytest.fixture
def mail(app, inbox):
    """Email on, through the local server, with a link to the dashboard."""
    app.config.update(SMTP=smtp(inbox.port), BASE_URL=BASE_URL, SCHOOL_NAME=SCHOOL)
    return inbox


@pytest.fixture
def team(db, dsl):
    """The DSL, two deputies, the head, and a former deputy whose account is off."""
    for address in DEPUTIES:
        create_user(db, address, PASSWORD, "deputy")
    create_user(db, HEAD, PASSWORD, "head")
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


def check(app, db, clock, when):
    clock.now = when
    return escalation.check(app, db)


def events(db, report_id):
    return [(row["kind"], json.loads(row["detail"] or "{}")) for row in db.query(
        "SELECT kind, detail FROM report_events WHERE report_id = ? ORDER BY id", [report_id])]


def escalated_to(db, report_id):
    return [detail["to"] for kind, detail in events(db, report_id) if kind == "escalated"]


def test_urgent_report_goes_to_deputies_then_head_once_each(app, client, db, clock, team, mail):
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    assert report["due_at"] == at(18, 10, 40).isoformat()
    assert check(app, db, clock, at(18, 10, 39)) == []
    assert mail.messages == []

    done = check(app, db, clock, at(18, 10, 40))
    assert [(d["to"], d["step"], d["emailed"]) for d in done] == [("deputy", 1, 2)]
    assert sorted(mail.recipients()) == DEPUTIES  # not the DSL, the head or the former deputy
    assert check(app, db, clock, at(18, 10, 45)) == []

    assert [d["to"] for d in check(app, db, clock, at(18, 10, 50))] == ["head"]
    assert mail.recipients()[2:] == [HEAD]
    for later in (at(18, 10, 50), at(18, 11, 30), at(19, 9)):
        assert check(app, db, clock, later) == []
    assert len(mail.messages) == 3

    assert events(db, report["id"]) == [
        ("escalated", {"to": "deputy", "step": 1, "due_at": report["due_at"], "email_to": 2}),
        ("escalation_email", {"to": "deputy", "step": 1, "sent": 2}),
        ("escalated", {"to": "head", "step": 2, "due_at": report["due_at"], "email_to": 1}),
        ("escalation_email", {"to": "head", "step": 2, "sent": 1}),
    ]
    entries = list(db.query("SELECT * FROM audit WHERE action = 'case.escalated' ORDER BY id"))
    assert [(e["actor"], e["target"], json.loads(e["detail"])) for e in entries] == [
        ("escalation ladder", f"report:{report['id']}", {"to": "deputy"}),
        ("escalation ladder", f"report:{report['id']}", {"to": "head"})]
    assert audit.verify(db).ok


def test_acknowledged_report_goes_no_further(app, client, db, clock, team, dsl, mail):
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    check(app, db, clock, at(18, 10, 40))
    acknowledge(db, report["id"], dsl["id"], at(18, 10, 45))
    assert check(app, db, clock, at(18, 10, 50)) == []
    assert check(app, db, clock, at(18, 12)) == []
    assert escalated_to(db, report["id"]) == ["deputy"]
    assert HEAD not in mail.recipients()


def test_steps_missed_while_the_server_was_down_are_taken_in_order(app, client, db, clock,
                                                                   team, mail):
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    done = check(app, db, clock, at(18, 13))
    assert [d["to"] for d in done] == ["deputy", "head"]
    assert mail.recipients() == DEPUTIES + [HEAD]
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
    assert mail.messages == []
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
    assert mail.recipients() == DEPUTIES + [HEAD]
    assert escalated_to(db, report["id"]) == ["deputy", "head"]


def test_email_has_a_link_and_the_urgency_but_nothing_the_report_says(app, client, db, clock,
                                                                      team, mail):
    report = send(client, db, clock, at(18, 10, 30), {"words": WORDS, "name": "Sam Pupil"},
                  safe=["no"], what=["pictures"], who=["adult"])
    check(app, db, clock, at(18, 10, 40))
    assert len(mail.messages) == 2  # one to each deputy
    tos, message = mail.messages[0]
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
    text = message.as_string()
    for secret in secrets:  # whole words: the "No" tile is not the "no" in "not"
        assert not re.search(rf"\b{re.escape(secret)}\b", text, re.IGNORECASE), secret


def test_without_a_base_url_the_email_names_the_report_number(app, client, db, clock, team,
                                                              mail):
    app.config.update(BASE_URL="", SCHOOL_NAME="")
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    check(app, db, clock, at(18, 10, 40))
    body = mail.messages[0][1].get_content()
    assert f"Open the dashboard and find report number {report['id']}." in body
    assert "http" not in body
    assert body.startswith("A safeguarding report has not been acknowledged.")


def test_smtp_nobody_listens_on_still_escalates_and_records_the_failure(app, client, db, clock,
                                                                      team):
    app.config["SMTP"] = smtp(free_port(), username="kiosk", password="hunter2-secret")
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    done = check(app, db, clock, at(18, 10, 40))
    assert [(d["to"], d["emailed"]) for d in done] == [("deputy", 0)]
    assert "could not connect to 127.0.0.1" in done[0]["email_error"]
    (_, step), (kind, failure) = events(db, report["id"])
    assert step["to"] == "deputy" and kind == "escalation_email_failed"
    assert failure["sent"] == 0 and failure["of"] == 2
    assert failure["error"] == done[0]["email_error"]
    assert "hunter2" not in failure["error"]
    notification = next(db.query("SELECT * FROM notifications WHERE kind = 'report.escalated'"))
    assert notification["report_id"] == report["id"]
    assert check(app, db, clock, at(18, 10, 41)) == []  # the step is not taken again
    assert audit.verify(db).ok


def test_a_step_nobody_can_be_emailed_for_says_so(app, client, db, clock, team, mail):
    head = next(db.query("SELECT id FROM users WHERE email = ?", [HEAD]))
    db["users"].update(head["id"], {"active": 0})
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    done = check(app, db, clock, at(18, 10, 50))
    assert [(d["to"], d["emailed"]) for d in done] == [("deputy", 2), ("head", 0)]
    assert events(db, report["id"])[-2:] == [
        ("escalated", {"to": "head", "step": 2, "due_at": report["due_at"], "email_to": 0}),
        ("escalation_email_failed", {"to": "head", "step": 2, "sent": 0, "of": 0,
                                     "error": "no active account has the role Head teacher"})]
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
    finally:
        controller.stop()
    assert "refused the login for 'kiosk'" in str(caught.value)
    assert "hunter2" not in str(caught.value) and caught.value.sent == 0
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


def test_without_smtp_dashboards_only(app, client, db, clock, team, inbox, staff_socket):
    assert app.config["SMTP"] is None
    report = send(client, db, clock, at(18, 10, 30), **URGENT)
    staff_socket.get_received("/staff")  # the new report itself
    done = check(app, db, clock, at(18, 10, 40))
    assert [(d["to"], d["emailed"], d["email_error"]) for d in done] == [("deputy", None, "")]
    assert inbox.messages == []
    assert [kind for kind, _ in events(db, report["id"])] == ["escalated"]
    assert events(db, report["id"])[0][1]["email_to"] is None
    pushed = [m["args"][0] for m in staff_socket.get_received("/staff")]
    assert [(n["kind"], n["report_id"]) for n in pushed] == [("report.escalated", report["id"])]
    payload = pushed[0]["payload"]
    assert (payload["escalated_to"], payload["role_name"], payload["step"]) == (
        "deputy", "Deputy DSL", 1)
    assert payload["status"] == "new" and payload["urgency"] == "urgent"
    assert "words" not in payload and "name" not in payload


def test_a_dashboard_gets_the_escalation_live_while_email_goes_out(app, client, db, clock, team,
                                                                  mail, staff_socket):
    send(client, db, clock, at(18, 10, 30), **URGENT)
    staff_socket.get_received("/staff")
    check(app, db, clock, at(18, 10, 40))
    pushed = [m["args"][0] for m in staff_socket.get_received("/staff")]
    assert [n["kind"] for n in pushed] == ["report.escalated"]
    assert len(mail.messages) == 2


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
    assert (f"Report {report['id']}: escalated to Deputy DSL (step 1); emailed 2."
            in result.output)
    assert runner.invoke(args=["escalation", "check"]).output == "Nothing to escalate.\n"


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
    assert escalated_to(db, report["id"]) == ["deputy"]
