"""Allegations about staff (policy: "Any concern about staff misuse is always referred
directly to the headteacher, unless the concern is about the headteacher in which case
the complaint is referred to the Chair of Governors and the LADO"): marked on the case,
sent to the head or the chair, and closed to the person named on every route."""
import pytest

from helpers import DSL_PASSWORD, a_report, csrf_from, log_in, rows
from kiosk.accounts.users import GRANTS, create_user, find_user
from kiosk.db import get_db
from kiosk.extensions import socketio
from kiosk.safeguarding import allegations
from kiosk.safeguarding.cases import CaseError
from kiosk.safeguarding.reports import Sender, parse_submission, store_report
from kiosk.services import services

HEAD, DEPUTY, CHAIR, TEACHER = ("head@school.example", "deputy@school.example",
                                "chair@school.example", "teacher@school.example")
CLOSED = "This case is not open to you"


def post(client, path, **form):
    token = csrf_from(client.get("/staff/account"))
    return client.post(path, data=dict(form, csrf_token=token))


def user_id(app, email):
    with app.app_context():
        return find_user(get_db(), email)["id"]


def logged_in(app, email):
    client = app.test_client()
    assert log_in(client, email).status_code == 302
    return client


@pytest.fixture
def people(app, dsl):
    with app.app_context():
        db = get_db()
        for email, role, name in ((HEAD, "head", "Ms Head"), (DEPUTY, "deputy", "Mr Deputy"),
                                  (CHAIR, "chair", "Dr Chair"),
                                  (TEACHER, "staff", "Mrs Teacher")):
            create_user(db, email, DSL_PASSWORD, role, name=name)
    return {email: user_id(app, email) for email in (HEAD, DEPUTY, CHAIR, TEACHER)}


@pytest.fixture
def two_cases(client, staff_client, people):
    """Cases 1 and 2, both acknowledged by the DSL."""
    for _ in range(2):
        assert client.post("/api/reports", json=a_report()).status_code == 201
    for number in (1, 2):
        assert post(staff_client, f"/staff/reports/{number}/acknowledge").status_code == 302
    return people


def mark(staff_client, staff_id, number=1, reason="Pupil says this adult shouted and grabbed them."):
    return post(staff_client, f"/staff/reports/{number}/about-staff",
                staff_user_id=str(staff_id), reason=reason)


def refusals(app, email):
    return rows(app, "SELECT * FROM audit WHERE action = 'refused' AND actor = ? ORDER BY id",
                [email])


def test_a_case_about_a_deputy_goes_to_the_head_and_is_closed_to_the_deputy(
        app, two_cases, staff_client):
    head = logged_in(app, HEAD)
    head_socket = socketio.test_client(app, namespace="/staff", flask_test_client=head)
    deputy = logged_in(app, DEPUTY)
    deputy_socket = socketio.test_client(app, namespace="/staff", flask_test_client=deputy)
    head_socket.get_received("/staff"), deputy_socket.get_received("/staff")

    assert mark(staff_client, two_cases[DEPUTY]).status_code == 302
    entry = rows(app, "SELECT * FROM report_events WHERE kind = 'about_staff'")[0]
    assert '"goes_to": "head"' in entry["detail"] and "Ms Head" in entry["detail"]

    # Live: the head hears of it; the deputy hears nothing about case 1.
    heard = [m["args"][0] for m in head_socket.get_received("/staff") if m["name"] == "notification"]
    assert [n["kind"] for n in heard] == ["case.about_staff"]
    assert not [m for m in deputy_socket.get_received("/staff")
                if m["name"] == "notification" and m["args"][0]["report_id"] == 1]
    post(staff_client, "/staff/reports/1/notes", text="Spoke to the pupil.")
    post(staff_client, "/staff/reports/2/notes", text="Another case.")
    later = [m["args"][0]["report_id"] for m in deputy_socket.get_received("/staff")
             if m["name"] == "notification"]
    assert later == [2]
    assert 1 in [m["args"][0]["report_id"] for m in head_socket.get_received("/staff")
                 if m["name"] == "notification"]

    # The head's dashboard lists it among the concerns about staff.
    board = head.get("/staff/").get_data(as_text=True)
    assert "Concerns about staff" in board and "about Mr Deputy" in board
    page = head.get("/staff/reports/1").get_data(as_text=True)
    assert "About a member of staff" in page and "Mr Deputy cannot see this case" in page
    head_socket.disconnect(namespace="/staff")
    deputy_socket.disconnect(namespace="/staff")


ROUTES = [
    ("get", "/staff/reports/1", {}),
    ("get", "/staff/reports/1/chronology", {}),
    ("get", "/staff/reports/1/chronology.pdf", {}),
    ("post", "/staff/reports/1/notes", {"text": "Sneaky note"}),
    ("post", "/staff/reports/1/decisions", {"decision": "nfa", "reason": "Nothing here"}),
    ("post", "/staff/reports/1/close", {"summary": "Done"}),
    ("post", "/staff/reports/1/assign", {"owner_id": "1"}),
    ("post", "/staff/reports/1/acknowledge", {}),
    ("post", "/staff/reports/1/about-staff", {"staff_user_id": "1", "reason": "x"}),
    ("post", "/staff/reports/1/referral/reason", {"reason": "x"}),
    ("post", "/staff/reports/2/merge", {"into": "1", "reason": "same"}),
]


@pytest.mark.parametrize("method, path, form", ROUTES)
def test_the_person_named_is_refused_every_route_naming_the_case_and_it_is_audited(
        app, two_cases, staff_client, method, path, form):
    mark(staff_client, two_cases[DEPUTY])
    deputy = logged_in(app, DEPUTY)
    before = rows(app, "SELECT count(*) AS n FROM report_events")[0]["n"]
    response = deputy.get(path) if method == "get" else post(deputy, path, **form)
    assert response.status_code == 403
    assert CLOSED in response.get_data(as_text=True)
    assert "Mr Deputy" not in response.get_data(as_text=True)
    assert rows(app, "SELECT count(*) AS n FROM report_events")[0]["n"] == before
    refused = refusals(app, DEPUTY)[-1]
    assert refused["target"] == "report:1" and refused["role"] == "deputy"


def test_the_person_named_does_not_find_it_in_lists_searches_or_catch_up(
        app, two_cases, staff_client):
    mark(staff_client, two_cases[DEPUTY])
    deputy = logged_in(app, DEPUTY)
    from helpers import dashboard_page
    page = dashboard_page(deputy.get("/staff/"))
    assert [r["id"] for r in page["rows"]] == [2]
    assert "Concerns about staff" not in deputy.get("/staff/").get_data(as_text=True)
    caught = deputy.get("/staff/api/notifications?since=0").get_json()["notifications"]
    assert caught and 1 not in [n["report_id"] for n in caught]
    sock = socketio.test_client(app, namespace="/staff", flask_test_client=deputy)
    reply = sock.emit("catch_up", {"since": 0}, namespace="/staff", callback=True)
    assert 1 not in [n["report_id"] for n in reply["notifications"]]
    sock.disconnect(namespace="/staff")
    # Closed: the search by case number finds it for the DSL, not for the deputy.
    post(staff_client, "/staff/reports/1/decisions", decision="lado_referred",
         reason="Referred to the LADO by phone.", **{"lado_referred.lado_reference": "L-77"})
    assert post(staff_client, "/staff/reports/1/close", summary="With the LADO.").status_code == 302
    assert [r["id"] for r in staff_client.get("/staff/api/reports?q=1").get_json()["rows"]] == [1]
    assert deputy.get("/staff/api/reports?q=1").get_json()["rows"] == []
    # Everyone else still sees it all.
    assert 1 in [n["report_id"] for n in staff_client.get(
        "/staff/api/notifications?since=0").get_json()["notifications"]]


def test_a_pupils_chronology_holding_the_case_is_refused(app, two_cases, staff_client):
    post(staff_client, "/staff/reports/1/pupil", name="Sam Pupil", year_group="Y5")
    mark(staff_client, two_cases[DEPUTY])
    deputy = logged_in(app, DEPUTY)
    for path in ("/staff/pupils/1", "/staff/pupils/1/chronology.pdf"):
        assert deputy.get(path).status_code == 403
    assert refusals(app, DEPUTY)[-1]["target"] == "pupil:1"
    assert staff_client.get("/staff/pupils/1").status_code == 200


def test_a_case_about_the_head_goes_to_the_chair_only(app, two_cases, staff_client):
    app.config["SMTP"] = {"host": "localhost", "port": 1}  # email set up (queued, not sent)
    chair = logged_in(app, CHAIR)
    chair_socket = socketio.test_client(app, namespace="/staff", flask_test_client=chair)
    chair_socket.get_received("/staff")
    assert mark(staff_client, two_cases[HEAD]).status_code == 302
    entry = rows(app, "SELECT detail FROM report_events WHERE kind = 'about_staff'")[0]
    assert '"goes_to": "chair"' in entry["detail"] and "Dr Chair" in entry["detail"]
    queued = rows(app, "SELECT * FROM outbox WHERE purpose = 'about_staff'")
    assert [m["recipient"] for m in queued] == [CHAIR]
    assert "Ms Head" not in queued[0]["body"] and "grabbed" not in queued[0]["body"]

    heard = [m["args"][0]["report_id"] for m in chair_socket.get_received("/staff")
             if m["name"] == "notification"]
    assert heard == [1]
    post(staff_client, "/staff/reports/2/notes", text="Ordinary case.")
    assert not [m for m in chair_socket.get_received("/staff") if m["name"] == "notification"]
    chair_socket.disconnect(namespace="/staff")

    # The chair reads case 1, and nothing else.
    assert chair.get("/staff/reports/1").status_code == 200
    from helpers import dashboard_page
    assert [r["id"] for r in dashboard_page(chair.get("/staff/"))["rows"]] == [1]
    for path in ("/staff/reports/2", "/staff/pupils", "/staff/exports", "/staff/audit",
                 "/staff/reports/2/chronology"):
        assert chair.get(path).status_code == 403, path
    assert [n["report_id"] for n in chair.get(
        "/staff/api/notifications?since=0").get_json()["notifications"]] == [1, 1, 1]
    # The head, named, is refused it.
    head = logged_in(app, HEAD)
    assert head.get("/staff/reports/1").status_code == 403
    assert refusals(app, HEAD)[-1]["target"] == "report:1"


def test_the_chair_signs_off_a_decision_not_to_refer_on_a_case_about_the_head(
        app, two_cases, staff_client):
    mark(staff_client, two_cases[HEAD])
    chair = logged_in(app, CHAIR)
    post(staff_client, "/staff/reports/1/decisions", decision="lado_no_referral",
         reason="LADO advised it does not meet the threshold.",
         **{"lado_no_referral.lado_officer": "J. Officer"})
    refused = post(staff_client, "/staff/reports/1/close", summary="x")
    assert refused.status_code == 409
    assert "Sign off as chair" in chair.get("/staff/reports/1").get_data(as_text=True)
    not_chair = post(staff_client, "/staff/reports/1/chair-sign-off")
    assert not_chair.status_code == 403
    assert post(chair, "/staff/reports/1/chair-sign-off", comment="Agreed").status_code == 302
    page = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "Chair of governors signed off the decision not to refer" in page
    assert "LADO officer consulted: J. Officer" in page
    assert post(staff_client, "/staff/reports/1/close", summary="Done.").status_code == 302
    # On a case not about the head the chair cannot sign, nor even read it.
    assert post(chair, "/staff/reports/2/chair-sign-off").status_code == 403


@pytest.mark.parametrize("form, message", [
    ({"reason": "x"}, "Choose the member of staff"),
    ({"staff_user_id": "abc", "reason": "x"}, "must be a number"),
    ({"staff_user_id": "999", "reason": "x"}, "There is no staff account 999"),
    ({"staff_user_id": "1", "reason": "x"}, "cannot mark a case as about yourself"),
    ({"staff_user_id": "CHAIR", "reason": "x"}, "not a member of staff"),
    ({"staff_user_id": "TEACHER", "reason": " "}, "The reason is needed"),
])
def test_bad_marks_are_refused_clearly_and_nothing_is_written(app, two_cases, staff_client,
                                                              form, message):
    emails = {"CHAIR": CHAIR, "TEACHER": TEACHER}
    if form.get("staff_user_id") in emails:
        form = dict(form, staff_user_id=str(two_cases[emails[form["staff_user_id"]]]))
    response = post(staff_client, "/staff/reports/1/about-staff", **form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert rows(app, "SELECT * FROM allegations") == []
    assert rows(app, "SELECT * FROM report_events WHERE kind = 'about_staff'") == []


def test_naming_the_same_person_twice_is_refused(app, two_cases, staff_client):
    mark(staff_client, two_cases[TEACHER])
    again = mark(staff_client, two_cases[TEACHER])
    assert again.status_code == 409 and "already names Mrs Teacher" in again.get_data(as_text=True)
    assert len(rows(app, "SELECT * FROM allegations")) == 1


def test_the_staff_concern_form_can_mark_its_own_concern(app, db, people):
    """The form's author (a member of staff, not a reader) may mark the concern they
    logged; another member of staff may not."""
    school = services().reporting
    with app.test_request_context():
        submission = parse_submission(a_report(), school.content)
        report, _ = store_report(db, school, submission, app.config["CLOCK"](),
                                 Sender(source="staff", reported_by=people[TEACHER]))
        teacher, deputy = find_user(db, TEACHER), find_user(db, DEPUTY)
        other = create_user(db, "other@school.example", DSL_PASSWORD, "staff")
        with pytest.raises(CaseError, match="Only the DSL team"):
            allegations.mark_about_staff(db, report["id"], other, app.config["CLOCK"](),
                                         deputy["id"], "x")
        allegations.mark_about_staff(db, report["id"], teacher, app.config["CLOCK"](),
                                     deputy["id"], "The deputy shouted at the pupil.")
    assert allegations.named_in(db, report["id"]) == {deputy["id"]}


def test_the_allegations_table_cannot_be_changed(app, two_cases, staff_client):
    import sqlite3
    mark(staff_client, two_cases[TEACHER])
    conn = sqlite3.connect(app.config["DATABASE"])
    for sql in ("UPDATE allegations SET staff_user_id = 1", "DELETE FROM allegations"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    conn.close()


def test_the_chair_role_is_made_on_the_command_line_only(app, runner):
    assert all("chair" not in roles for roles in GRANTS.values())
    made = runner.invoke(args=["create-user", CHAIR, "--role", "chair", "--password-stdin"],
                         input=DSL_PASSWORD + "\n")
    assert made.exit_code == 0, made.output
    assert "Chair of governors" in made.output
    with app.app_context():
        assert find_user(get_db(), CHAIR)["totp_secret"]  # reads reports: two-factor login


def test_lado_decisions_are_offered(app, two_cases, staff_client):
    page = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "Referred to the LADO" in page and "LADO consulted: no referral" in page


def test_the_case_cannot_be_given_to_the_person_it_names(app, two_cases, staff_client):
    mark(staff_client, two_cases[DEPUTY])
    refused = post(staff_client, "/staff/reports/1/assign", owner_id=str(two_cases[DEPUTY]))
    assert refused.status_code == 403
    assert "cannot be given to them" in refused.get_data(as_text=True)
    assert rows(app, "SELECT owner_id FROM reports WHERE id = 1")[0]["owner_id"] is None
    assert refusals(app, "dsl@school.example")[-1]["target"] == "report:1"
