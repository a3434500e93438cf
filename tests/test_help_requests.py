""""Get an adult" as a kept alert: stored, live and in catch-up, acknowledged by a named adult,
emailed and escalated when nobody is going. Real SQLite, Socket.IO and SMTP; the test clock."""
import json
import sqlite3
from datetime import timedelta

import pytest

from kiosk import audit
from kiosk.safeguarding import escalation, help_requests
from kiosk.extensions import socketio
from kiosk.accounts.users import create_user

from helpers import DSL_EMAIL, csrf_from, kiosk_device, log_in
from smtp_inbox import smtp

PASSWORD = "a long test password"
DEPUTY, HEAD = "deputy@school.example", "head@school.example"
AT = "2026-11-18T10:30:00+00:00"


@pytest.fixture
def mail(app, inbox):
    app.config.update(SMTP=smtp(inbox.port), BASE_URL="https://kiosk.school.example",
                      SCHOOL_NAME="Hillside Primary")
    return inbox


@pytest.fixture
def team(db, dsl):
    db["users"].update(dsl["id"], {"name": "Sam Patel"})
    create_user(db, DEPUTY, PASSWORD, "deputy", name="Dee Puty")
    create_user(db, HEAD, PASSWORD, "head", name="Hal Head")


def ask(client):
    response = client.post("/api/help")
    assert response.status_code in (200, 201), response.json
    return response


def acknowledge(staff_client, help_id, json_reply=True):
    token = csrf_from(staff_client.get("/staff/account"))
    headers = {"X-CSRF-Token": token}
    if json_reply:
        headers["Accept"] = "application/json"
    return staff_client.post(f"/staff/help/{help_id}/acknowledge", headers=headers)


def notifications(db, kind):
    return [json.loads(r["payload"]) for r in db.query(
        "SELECT payload FROM notifications WHERE kind = ? ORDER BY id", [kind])]


def events(db, help_id):
    return [(r["kind"], json.loads(r["detail"])) for r in db.query(
        "SELECT kind, detail FROM help_events WHERE help_id = ? ORDER BY id", [help_id])]


def test_pressing_stores_the_kiosk_place_and_time_and_tells_dashboards(client, db):
    response = ask(client)
    assert response.status_code == 201
    help_id = response.json["help_id"]
    assert response.json == {"status": "sent", "help_id": help_id}
    row = next(db.query("SELECT * FROM help_requests"))
    assert (row["kiosk"], row["place"], row["at"], row["acknowledged_at"]) == (
        "Test kiosk", "Test room", AT, None)
    assert notifications(db, "help.new") == [{"help_id": help_id, "kiosk": "Test kiosk",
                                              "place": "Test room", "at": AT,
                                              "status": "waiting"}]
    entry = next(db.query("SELECT * FROM audit WHERE action = 'help.asked'"))
    assert (entry["actor"], entry["target"]) == ("kiosk: Test kiosk", f"help:{help_id}")
    assert audit.verify(db).ok


def test_a_repeat_press_within_half_a_minute_is_the_same_request(client, clock, db):
    first = ask(client).json["help_id"]
    clock.now += timedelta(seconds=29)
    again = ask(client)
    assert again.status_code == 200
    assert again.json == {"status": "already sent", "help_id": first}
    clock.now += timedelta(seconds=1)
    later = ask(client)
    assert later.status_code == 201 and later.json["help_id"] != first
    assert len(notifications(db, "help.new")) == 2


def test_another_kiosk_is_not_held_back(app, client, db):
    other = kiosk_device(app, "Hall iPad", place="Hall")
    assert ask(client).status_code == 201
    assert ask(other).status_code == 201
    assert [(n["kiosk"], n["place"]) for n in notifications(db, "help.new")] == [
        ("Test kiosk", "Test room"), ("Hall iPad", "Hall")]


def test_a_dashboard_open_hears_it_live(client, staff_socket):
    staff_socket.get_received("/staff")
    help_id = ask(client).json["help_id"]
    pushed = [m["args"][0] for m in staff_socket.get_received("/staff")
              if m["name"] == "notification"]
    assert [(n["kind"], n["payload"]["help_id"], n["payload"]["place"]) for n in pushed] == [
        ("help.new", help_id, "Test room")]


def test_a_dashboard_opened_later_finds_it_in_catch_up_and_on_its_first_page(
        app, client, db, staff_client):
    help_id = ask(client).json["help_id"]
    sock = socketio.test_client(app, namespace="/staff", flask_test_client=staff_client)
    try:
        reply = sock.emit("catch_up", {"since": 0}, namespace="/staff", callback=True)
    finally:
        sock.disconnect(namespace="/staff")
    assert [(n["kind"], n["payload"]["help_id"]) for n in reply["notifications"]] == [
        ("help.new", help_id)]
    assert help_requests.open_requests(db) == [
        {"help_id": help_id, "kiosk": "Test kiosk", "place": "Test room", "at": AT,
         "status": "waiting", "escalation": None}]


def test_im_going_names_the_adult_and_the_kiosk_hears_it(app, client, db, clock, dsl,
                                                        staff_client, staff_socket):
    db["users"].update(dsl["id"], {"name": "Sam Patel"})
    help_id = ask(client).json["help_id"]
    assert client.get(f"/api/help/{help_id}").json == {"status": "waiting"}
    staff_socket.get_received("/staff")
    clock.now += timedelta(seconds=40)
    reply = acknowledge(staff_client, help_id)
    assert reply.status_code == 200
    assert reply.json == {"status": "acknowledged", "by_name": "Sam Patel"}
    assert client.get(f"/api/help/{help_id}").json == {"status": "acknowledged"}
    pushed = [m["args"][0] for m in staff_socket.get_received("/staff")
              if m["name"] == "notification"]
    assert [(n["kind"], n["payload"]) for n in pushed] == [("help.acknowledged", {
        "help_id": help_id, "kiosk": "Test kiosk", "place": "Test room", "at": AT,
        "status": "acknowledged", "by_name": "Sam Patel",
        "acknowledged_at": "2026-11-18T10:30:40+00:00"})]
    assert events(db, help_id)[-1] == ("acknowledged", {"by_name": "Sam Patel"})
    entry = next(db.query("SELECT * FROM audit WHERE action = 'help.acknowledged'"))
    assert (entry["actor"], entry["target"]) == (DSL_EMAIL, f"help:{help_id}")


def test_a_second_adult_pressing_im_going_does_not_replace_the_first(app, client, db, team,
                                                                    staff_client):
    help_id = ask(client).json["help_id"]
    assert acknowledge(staff_client, help_id).json["by_name"] == "Sam Patel"
    deputy = app.test_client()
    assert log_in(deputy, DEPUTY, PASSWORD).status_code == 302
    again = acknowledge(deputy, help_id)
    assert again.status_code == 200 and again.json["by_name"] == "Sam Patel"
    assert len(notifications(db, "help.acknowledged")) == 1


def test_the_form_post_goes_back_to_the_dashboard(client, staff_client):
    help_id = ask(client).json["help_id"]
    reply = acknowledge(staff_client, help_id, json_reply=False)
    assert reply.status_code == 302 and reply.location.endswith("/staff/")


def test_a_guessed_or_forged_acknowledge_changes_nothing(client, db, staff_client):
    help_id = ask(client).json["help_id"]
    missing = acknowledge(staff_client, 9999)
    assert missing.status_code == 404
    assert missing.json == {"error": "There is no help request 9999."}
    forged = staff_client.post(f"/staff/help/{help_id}/acknowledge",
                               headers={"Accept": "application/json"})
    assert forged.status_code == 400
    assert next(db.query("SELECT acknowledged_at FROM help_requests"))["acknowledged_at"] is None


def test_only_the_kiosk_that_asked_hears_the_answer(app, client):
    help_id = ask(client).json["help_id"]
    other = kiosk_device(app, "Hall iPad")
    reply = other.get(f"/api/help/{help_id}")
    assert reply.status_code == 404
    assert reply.json == {"error": f"this kiosk has no help request {help_id}"}
    assert client.get("/api/help/9999").status_code == 404
    assert app.test_client().get(f"/api/help/{help_id}").status_code == 403


def test_the_first_page_keeps_acknowledged_ones_for_an_hour(client, db, clock, dsl):
    first = ask(client).json["help_id"]
    help_requests.acknowledge(db, first, dsl, clock())
    clock.now += timedelta(minutes=1)
    waiting = ask(client).json["help_id"]
    shown = help_requests.open_requests(db)
    assert [(r["help_id"], r["status"]) for r in shown] == [
        (waiting, "waiting"), (first, "acknowledged")]
    assert shown[1]["by_name"] == DSL_EMAIL  # an account without a name shows its address
    clock.now += timedelta(hours=1)
    assert [r["help_id"] for r in help_requests.open_requests(db)] == [waiting]


def test_a_stored_request_cannot_be_changed_and_is_acknowledged_once(client, db, clock, dsl):
    help_id = ask(client).json["help_id"]
    with pytest.raises(sqlite3.IntegrityError, match="cannot be changed"):
        db.execute("UPDATE help_requests SET place = 'Elsewhere'")
    with pytest.raises(sqlite3.IntegrityError, match="cannot be deleted"):
        db.execute("DELETE FROM help_requests")
    help_requests.acknowledge(db, help_id, dsl, clock())
    with pytest.raises(sqlite3.IntegrityError, match="acknowledged once"):
        db.execute("UPDATE help_requests SET acknowledged_by = NULL")


# -- told without a dashboard ------------------------------------------------------------

def look(app, db, clock, after=timedelta()):
    """One escalation check (arrival email, ladder, delivery) at `after` from now."""
    clock.now += after
    return escalation.check(app, db)


def test_the_dsl_team_is_emailed_at_once_with_where_to_go(app, client, db, clock, team, mail):
    help_id = ask(client).json["help_id"]
    look(app, db, clock)
    assert sorted(mail.recipients()) == sorted([DSL_EMAIL, DEPUTY, HEAD])
    message = mail.messages[0][1]
    assert message["Subject"] == "Get an adult: a pupil is waiting at Test kiosk"
    body = message.get_content()
    assert "Where: Test kiosk (Test room)" in body
    assert "When: Wednesday 18 November 2026, 10:30 GMT" in body
    assert "https://kiosk.school.example/staff/" in body
    assert "Nothing about the pupil is in this email." in body
    assert [(k, d["purpose"]) for k, d in events(db, help_id)] == [("email_sent", "arrival")]


def test_without_smtp_the_record_says_nobody_was_emailed(client, db, team):
    help_id = ask(client).json["help_id"]
    assert events(db, help_id) == [("email_not_sent", {
        "purpose": "arrival", "why": "email is not set up (no SMTP setting)"})]


def test_nobody_going_climbs_the_urgent_ladder(app, client, db, clock, team, mail):
    help_id = ask(client).json["help_id"]
    assert look(app, db, clock, timedelta(seconds=119)) == []
    done = look(app, db, clock, timedelta(seconds=1))  # HELP_ESCALATE_MINUTES: 2
    assert [(d["about"], d["to"], d["told"], d["sent"]) for d in done] == [
        ("help", "deputy", ["Dee Puty"], 1)]
    escalated = mail.with_subject("nobody is going yet")
    assert [m["To"] for m in escalated] == [DEPUTY]
    assert "You are receiving this as Deputy DSL: step 1" in escalated[0].get_content()
    (payload,) = notifications(db, "help.escalated")
    assert payload == {"help_id": help_id, "kiosk": "Test kiosk", "place": "Test room",
                       "at": AT, "status": "waiting", "to": "deputy", "step": 1,
                       "role_name": "Deputy DSL", "told": ["Dee Puty"], "nobody": False,
                       "why": ""}
    assert [d["to"] for d in look(app, db, clock, timedelta(minutes=10))] == ["head"]
    assert help_requests.open_requests(db)[0]["escalation"]["role_name"] == "Head teacher"
    entry = list(db.query("SELECT * FROM audit WHERE action = 'help.escalated'"))
    assert [e["target"] for e in entry] == [f"help:{help_id}"] * 2


def test_im_going_stops_the_ladder_and_unsent_email(app, client, db, clock, team, mail,
                                                    staff_client):
    help_id = ask(client).json["help_id"]
    assert acknowledge(staff_client, help_id).status_code == 200
    assert look(app, db, clock, timedelta(minutes=30)) == []
    assert mail.messages == []  # the arrival email had not gone yet: not needed now
    assert [k for k, _ in events(db, help_id)] == ["acknowledged", "email_cancelled"]


def test_with_no_deputy_it_goes_to_the_head_at_once_and_says_nobody(app, client, db, clock, dsl,
                                                                    mail):
    create_user(db, HEAD, PASSWORD, "head", name="Hal Head")
    help_id = ask(client).json["help_id"]
    done = look(app, db, clock, timedelta(minutes=2))
    assert [(d["to"], d["nobody"]) for d in done] == [("deputy", True), ("head", False)]
    assert [p["nobody"] for p in notifications(db, "help.escalated")] == [True, False]
    assert [(k, d.get("purpose")) for k, d in events(db, help_id)] == [
        ("escalation_nobody", None), ("escalated", None), ("email_sent", "arrival"),
        ("email_sent", "escalation")]
    assert mail.recipients("nobody is going yet") == [HEAD]


def test_the_check_command_names_the_help_request(app, client, clock, team, mail, runner):
    help_id = ask(client).json["help_id"]
    clock.now += timedelta(minutes=2)
    dry = runner.invoke(args=["escalation", "check", "--dry-run"])
    assert f"Get an adult {help_id}: due to go to Deputy DSL (step 1)." in dry.output
    result = runner.invoke(args=["escalation", "check"])
    assert result.exit_code == 0, result.output
    assert (f"Get an adult {help_id}: escalated to Deputy DSL (step 1), told Dee Puty; "
            "emailed 1." in result.output)
