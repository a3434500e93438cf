"""The email outbox: the DSL team told by email on arrival, failures retried with backoff,
every try on the record and the dashboards. A real local SMTP server and the test clock."""
import json
import re
import time
from datetime import timedelta

import pytest

from kiosk.safeguarding import outbox
from kiosk.mailer import Mailer
from kiosk.safeguarding.reports import acknowledge, find_by_client_id
from kiosk.accounts.users import create_user

from helpers import a_report, log_in, post_concern
from smtp_inbox import Inbox, Server, TRY_LATER, free_port, smtp

PASSWORD = "a long test password"
DEPUTY, HEAD = "deputy@school.example", "head@school.example"
TEAM = ["dsl@school.example", DEPUTY, HEAD]
URGENT = {"safe": ["no"]}
ARRIVAL = "Urgent safeguarding report: please read it now"


@pytest.fixture
def team(db, dsl):
    """The DSL, a deputy, the head; and a member of staff and IT, who are never emailed."""
    create_user(db, DEPUTY, PASSWORD, "deputy", name="Dee Puty")
    create_user(db, HEAD, PASSWORD, "head")
    create_user(db, "teacher@school.example", PASSWORD, "staff")
    create_user(db, "it@school.example", PASSWORD, "it")


@pytest.fixture
def mail(app, inbox):
    app.config.update(SMTP=smtp(inbox.port), BASE_URL="https://kiosk.school.example")
    return inbox


def send(client, db, **answers):
    report = a_report(**answers)
    assert client.post("/api/reports", json=report).status_code == 201
    return find_by_client_id(db, report["client_id"])


def look(app, db, clock, after=timedelta()):
    """The delivery ticker's one look at the outbox, `after` from now on the test clock."""
    clock.now += after
    outbox.queue_arrivals(db, clock(), app.config)
    return outbox.deliver(db, clock, outbox.Mailer.from_config(app.config),
                          app.extensions["kiosk"].broker)


def record(db, report_id, *kinds):
    return [(row["kind"], json.loads(row["detail"])) for row in db.query(
        "SELECT kind, detail FROM report_events WHERE report_id = ? ORDER BY id", [report_id])
        if row["kind"] in kinds]


def feed(db, kind):
    return [json.loads(row["payload"]) for row in db.query(
        "SELECT payload FROM notifications WHERE kind = ? ORDER BY id", [kind])]


def test_an_urgent_report_emails_the_dsl_team_within_seconds(app, client, db, team, mail):
    """The real delivery ticker, woken by the send: no waiting for its next look."""
    app.config["EMAIL_CHECK_SECONDS"] = 60
    ticker = outbox.ticker(app).start()
    try:
        send(client, db, **URGENT)
        assert mail.wait_for(3)  # by the ticker's first look, or the wake
        started = time.monotonic()  # the first look is over: only a wake sends the next
        report = send(client, db, **URGENT)
        assert mail.wait_for(6)
        took = time.monotonic() - started
    finally:
        assert ticker.stop()
    assert took < 2, f"the email took {took:.2f} s"
    assert sorted(mail.recipients()[3:]) == sorted(TEAM)  # not staff, not IT
    message = mail.messages[3][1]
    assert message["Subject"] == ARRIVAL
    body = message.get_content()
    assert f"Report number: {report['id']}" in body
    assert "https://kiosk.school.example/staff/reports/" in body
    assert "You are receiving this as" in body and "not in this email, on purpose" in body
    for secret in [c["label"] for c in json.loads(report["choices"])] + ["Test kiosk"]:
        # Whole words: the "No" tile is not the "no" in "not".
        assert not re.search(rf"\b{re.escape(secret)}\b", message.as_string(), re.I), secret


def test_a_same_day_report_is_not_emailed_unless_the_school_asks(app, client, db, clock, team,
                                                                mail):
    quiet = send(client, db)
    look(app, db, clock)
    assert mail.messages == []
    assert record(db, quiet["id"], "email_sent", "email_not_sent") == []
    app.config["EMAIL_EVERY_REPORT"] = True
    every = send(client, db)
    look(app, db, clock)
    assert sorted(mail.recipients("New safeguarding report")) == sorted(TEAM)
    assert "the school has asked for an email about every report" in \
        mail.messages[0][1].get_content()
    assert [d["to"] for _, d in record(db, every["id"], "email_sent")] == [TEAM]


def test_an_urgent_staff_concern_is_emailed_too(app, db, clock, team, mail, staff_client):
    reply = post_concern(staff_client, pupil="Jo Bloggs", happened_roughly="this morning",
                         words="Jo says she is not safe.", danger="yes")
    assert reply.status_code == 302
    look(app, db, clock)
    assert sorted(mail.recipients(ARRIVAL)) == sorted(TEAM)


def test_without_smtp_the_record_says_nobody_was_emailed(app, client, db, clock, team,
                                                        staff_client):
    report = send(client, db, **URGENT)
    look(app, db, clock)
    look(app, db, clock)  # looking again records it once
    assert record(db, report["id"], "email_not_sent") == [
        ("email_not_sent", {"purpose": "arrival",
                            "why": "email is not set up (no SMTP setting)"})]
    page = staff_client.get(f"/staff/reports/{report['id']}").get_data(as_text=True)
    assert "Nobody emailed on arrival" in page and "email is not set up" in page


def test_a_report_stored_before_a_crash_is_emailed_after_it_once(app, client, db, clock, team,
                                                                mail):
    """Stored, then the server stopped before any email: the next look finds it."""
    report = send(client, db, **URGENT)
    assert outbox.pending(db, "report", report["id"]) == []  # nothing queued yet
    outbox.queue_arrivals(db, clock(), app.config)
    outbox.queue_arrivals(db, clock(), app.config)  # a second look, e.g. another process
    assert [row["recipient"] for row in outbox.pending(db, "report", report["id"])] == TEAM
    look(app, db, clock)
    look(app, db, clock, timedelta(hours=1))
    assert sorted(mail.recipients()) == sorted(TEAM)


def test_a_refusing_server_is_retried_with_backoff_and_each_try_is_recorded(
        app, client, db, clock, team, mail, staff_client, staff_socket):
    mail.refuse_all = TRY_LATER
    report = send(client, db, **URGENT)
    staff_socket.get_received("/staff")
    start = clock()
    look(app, db, clock)
    failures = record(db, report["id"], "email_failed")
    assert [(d["attempts"], d["next_try_at"]) for _, d in failures] == [
        (1, (start + timedelta(seconds=30)).isoformat())]
    assert failures[0][1]["error"] == (f"the SMTP server at 127.0.0.1:{mail.port} said 451: "
                                       "4.3.0 Mailbox busy, try again later")
    pushed = [m["args"][0] for m in staff_socket.get_received("/staff")
              if m["name"] == "notification"]
    assert [(n["kind"], n["payload"]["report_id"], n["payload"]["recipients"],
             n["payload"]["attempts"]) for n in pushed] == [("email.failed", report["id"], 3, 1)]

    tries = mail.tries
    look(app, db, clock, timedelta(seconds=20))  # not due yet: nothing is tried
    assert mail.tries == tries
    look(app, db, clock, timedelta(seconds=10))  # 30 s: the second try, then a minute
    look(app, db, clock, timedelta(seconds=60))  # the third, then two minutes
    assert [d["attempts"] for _, d in record(db, report["id"], "email_failed")] == [1, 2, 3]
    assert [d["next_try_at"] for _, d in record(db, report["id"], "email_failed")][-1] == \
        (clock() + timedelta(minutes=2)).isoformat()

    mail.refuse_all = ""  # the server recovers
    look(app, db, clock, timedelta(minutes=1))
    assert mail.messages == []  # still waiting its two minutes
    look(app, db, clock, timedelta(minutes=1))
    assert sorted(mail.recipients()) == sorted(TEAM)
    page = staff_client.get(f"/staff/reports/{report['id']}").get_data(as_text=True)
    assert "Email on arrival could not be sent (try 1)" in page
    assert "Email on arrival could not be sent (try 3)" in page
    assert "Email on arrival sent to 3" in page
    for _ in range(3):
        look(app, db, clock, timedelta(hours=1))
    assert sorted(mail.recipients()) == sorted(TEAM)  # each sent once, never again
    assert [(d["to"], d["attempts"]) for _, d in record(db, report["id"], "email_sent")] == [
        (TEAM, 4)]
    assert feed(db, "email.sent")[-1] == {"about": "report", "report_id": report["id"],
                                          "purpose": "arrival", "step": None,
                                          "recipients": 3}


def test_a_server_not_listening_then_listening(app, client, db, clock, team):
    port = free_port()
    app.config["SMTP"] = smtp(port)
    report = send(client, db, **URGENT)
    look(app, db, clock)
    (_, failure), = record(db, report["id"], "email_failed")
    assert failure["error"].startswith(f"could not connect to 127.0.0.1:{port}")
    assert feed(db, "email.failed")[0]["error"] == failure["error"]
    box = Inbox()
    server = Server(box, port).start()
    try:
        look(app, db, clock, timedelta(seconds=30))
    finally:
        server.stop()
    assert sorted(box.recipients()) == sorted(TEAM)


def test_one_refused_address_is_retried_alone(app, client, db, clock, team, mail):
    mail.refuse[DEPUTY] = "550 5.1.1 No such mailbox"
    report = send(client, db, **URGENT)
    look(app, db, clock)
    assert sorted(mail.recipients()) == sorted(set(TEAM) - {DEPUTY})
    (_, failed), = record(db, report["id"], "email_failed")
    assert failed["to"] == [DEPUTY] and "refused deputy@school.example" in failed["error"]
    del mail.refuse[DEPUTY]
    look(app, db, clock, timedelta(seconds=30))
    assert sorted(mail.recipients()) == sorted(TEAM)
    assert [d["to"] for _, d in record(db, report["id"], "email_sent")] == [
        [TEAM[0], HEAD], [DEPUTY]]


def test_email_no_longer_needed_once_acknowledged_is_dropped_and_recorded(
        app, client, db, clock, team, dsl, mail):
    mail.refuse_all = TRY_LATER
    report = send(client, db, **URGENT)
    look(app, db, clock)
    acknowledge(db, report["id"], dsl["id"], clock())
    mail.refuse_all = ""
    look(app, db, clock, timedelta(minutes=5))
    assert mail.messages == []
    (_, dropped), = record(db, report["id"], "email_cancelled")
    assert dropped["why"] == "acknowledged before it could be sent" and dropped["to"] == TEAM
    assert outbox.pending(db, "report", report["id"]) == []


def test_a_sender_that_stopped_mid_send_is_taken_over_after_its_lease(app, client, db, clock,
                                                                     team, mail):
    report = send(client, db, **URGENT)
    outbox.queue_arrivals(db, clock(), app.config)
    assert outbox._claim(db, clock())  # a sender took them, then the process died
    look(app, db, clock, timedelta(seconds=30))
    assert mail.messages == []  # not sent twice at once by a second sender
    look(app, db, clock, timedelta(seconds=outbox.LEASE_SECONDS))
    assert sorted(mail.recipients()) == sorted(TEAM)
    assert len(record(db, report["id"], "email_sent")) == 1


def test_backoff_grows_and_is_capped():
    assert [outbox.backoff(n) for n in range(1, 9)] == [30, 60, 120, 300, 600, 1800, 1800, 1800]


def test_a_queued_email_cannot_be_rewritten(app, client, db, clock, team, mail):
    import sqlite3
    report = send(client, db, **URGENT)
    outbox.queue_arrivals(db, clock(), app.config)
    with pytest.raises(sqlite3.IntegrityError, match="cannot be changed"):
        db.execute("UPDATE outbox SET body = 'something else' WHERE report_id = ?",
                   [report["id"]])
    with pytest.raises(sqlite3.IntegrityError, match="keeps every message"):
        db.execute("DELETE FROM outbox")


def test_the_mailer_says_per_message_how_it_went(inbox):
    inbox.refuse["b@school.example"] = "550 5.1.1 No such mailbox"
    mailer = Mailer(smtp(inbox.port))
    results = mailer.deliver([mailer.message(to, "S", "B") for to in
                              ("a@school.example", "b@school.example", "c@school.example")])
    assert results == ["", f"the SMTP server at 127.0.0.1:{inbox.port} refused "
                       "b@school.example", ""]
    assert inbox.recipients() == ["a@school.example", "c@school.example"]


def test_a_dashboard_logged_in_later_sees_the_failure_in_catch_up(app, client, db, clock, team):
    app.config["SMTP"] = smtp(free_port())
    report = send(client, db, **URGENT)
    look(app, db, clock)
    browser = app.test_client()
    assert log_in(browser, DEPUTY, PASSWORD).status_code == 302
    missed = browser.get("/staff/api/notifications?since=0").json["notifications"]
    failed = [n for n in missed if n["kind"] == "email.failed"]
    assert failed and failed[0]["payload"]["report_id"] == report["id"]
    assert failed[0]["payload"]["next_try_at"] == (clock() + timedelta(seconds=30)).isoformat()
