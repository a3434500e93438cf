"""Tasks and review dates on a case: an owner, a due school day, done or cancelled with a
reason, reminders when overdue, and no closing while any is still open."""
import io
import json
from datetime import date, datetime, timezone

import pytest
from pypdf import PdfReader

from helpers import DSL_PASSWORD, a_report, csrf_from, log_in, rows
from kiosk.accounts.users import create_user
from kiosk.db import get_db
from kiosk.extensions import socketio
from kiosk.safeguarding import escalation, tasks
from kiosk.safeguarding.cases import CaseError, close, entries, record_decision
from kiosk.safeguarding.chronology import describe
from smtp_inbox import smtp

DEPUTY, HEAD = "deputy@school.example", "head@school.example"
WED, THU, FRI, SAT, MON = (date(2026, 11, d) for d in (18, 19, 20, 21, 23))
REMINDER = "Overdue safeguarding task"
TASK_KINDS = ("task_added", "task_done", "task_cancelled", "task_reassigned",
              "task_rescheduled", "task_reminded")


def at(day, hour, minute=0):
    """A time in November 2026 (London is on GMT, so UTC is school time)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=timezone.utc)


def post(client, path, **form):
    token = csrf_from(client.get("/staff/account"))
    return client.post(path, data=dict(form, csrf_token=token))


@pytest.fixture
def team(app, dsl):
    """The DSL, a deputy, the head, a teacher, the chair and a former deputy (off)."""
    with app.app_context():
        db = get_db()
        people = {"dsl": dsl["id"]}
        for key, email, role, name in (("deputy", DEPUTY, "deputy", "Dee Puty"),
                                       ("head", HEAD, "head", "Hal Head"),
                                       ("teacher", "t@school.example", "staff", "Tess"),
                                       ("chair", "chair@school.example", "chair", "Cy"),
                                       ("former", "old@school.example", "deputy", "Old")):
            people[key] = create_user(db, email, DSL_PASSWORD, role, name=name)["id"]
        db["users"].update(people["former"], {"active": 0})
    return people


@pytest.fixture
def case(client, staff_client, team):
    """Case 1 from a kiosk, acknowledged by the DSL."""
    assert client.post("/api/reports", json=a_report()).status_code == 201
    assert post(staff_client, "/staff/reports/1/acknowledge").status_code == 302
    return 1


def user(db, user_id):
    return next(db.query("SELECT * FROM users WHERE id = ?", [user_id]))


def add(db, clock, team, title="Phone parents about the bus", owner="deputy", due=THU,
        kind="task"):
    return tasks.add_task(db, 1, user(db, team["dsl"]), clock(), title, team[owner],
                          due.isoformat(), kind)


def task_rows(db):
    return list(db.query("SELECT * FROM case_tasks ORDER BY id"))


def task_entries(db):
    return [e for e in entries(db, 1) if e["kind"] in TASK_KINDS]


def words(db, kind):
    return [describe(e) for e in entries(db, 1) if e["kind"] == kind]


# -- the domain ---------------------------------------------------------------------------

def test_a_task_is_an_entry_and_a_row_kept_in_step(app, db, clock, team, case):
    entry_id, _ = add(db, clock, team)
    [row] = task_rows(db)
    assert (row["title"], row["owner_id"], row["due_date"], row["status"], row["added_entry"]) \
        == ("Phone parents about the bus", team["deputy"], "2026-11-19", "open", entry_id)
    assert words(db, "task_added") == [(
        "Task added: Phone parents about the bus (task 1)",
        "Owner: Dee Puty. Due: Thursday 19 November 2026.")]


def test_a_review_date_is_a_task_of_kind_review(app, db, clock, team, case):
    add(db, clock, team, title="", owner="dsl", due=MON, kind="review")
    assert task_rows(db)[0]["kind"] == "review"
    assert words(db, "task_added") == [("Review date set: Review the case (task 1)",
                                        "Review due Monday 23 November 2026. Owner: "
                                        "dsl@school.example.")]


@pytest.mark.parametrize("change, error", [
    ({"due": date(2026, 11, 17)}, "has passed"),
    ({"due": SAT}, "Saturday 21 November 2026 is not a school day"),
    ({"due": "next thursday"}, "is not a date"),
    ({"due": ""}, "A due date is needed"),
    ({"due": date(2030, 1, 7)}, "more than two years away"),
    ({"title": "  "}, "What is to be done is needed"),
    ({"title": "x" * 201}, "at most 200 characters"),
    ({"owner": "teacher"}, "must be an active DSL, deputy DSL or head teacher"),
    ({"owner": "chair"}, "must be an active DSL, deputy DSL or head teacher"),
    ({"owner": "former"}, "must be an active DSL, deputy DSL or head teacher"),
    ({"owner": None}, "Choose who will do it"),
    ({"kind": "chore"}, "a task or a review date"),
])
def test_bad_tasks_are_refused_and_nothing_is_written(app, db, clock, team, case, change,
                                                      error):
    given = {"title": "Phone parents", "owner": team["deputy"], "due": THU.isoformat(),
             "kind": "task"}
    for key, value in change.items():
        given[key] = team.get(value, value) if key == "owner" and value else value
    given["due"] = given["due"].isoformat() if isinstance(given["due"], date) else given["due"]
    before = len(entries(db, 1))
    with pytest.raises(CaseError, match=error):
        tasks.add_task(db, 1, user(db, team["dsl"]), clock(), given["title"],
                       given["owner"], given["due"], given["kind"])
    assert task_rows(db) == [] and len(entries(db, 1)) == before


def test_today_is_a_due_date_but_not_a_closed_or_missing_case(app, db, clock, team, case):
    add(db, clock, team, due=WED)
    with pytest.raises(CaseError, match="There is no case 9"):
        tasks.add_task(db, 9, user(db, team["dsl"]), clock(), "x", team["dsl"], "2026-11-19")
    assert len(task_rows(db)) == 1


def test_done_needs_an_outcome_and_then_nothing_changes(app, db, clock, team, case):
    add(db, clock, team)
    dsl = user(db, team["dsl"])
    with pytest.raises(CaseError, match="The outcome is needed"):
        tasks.complete_task(db, 1, dsl, clock(), 1, " ")
    assert task_rows(db)[0]["status"] == "open"
    tasks.complete_task(db, 1, dsl, clock(), 1, "Mum will collect him; bus company told.")
    assert task_rows(db)[0]["status"] == "done"
    assert words(db, "task_done") == [("Task done: Phone parents about the bus (task 1)",
                                       "Outcome: Mum will collect him; bus company told.")]
    for action in (lambda: tasks.cancel_task(db, 1, dsl, clock(), 1, "no"),
                   lambda: tasks.reassign_task(db, 1, dsl, clock(), 1, team["head"]),
                   lambda: tasks.change_due_date(db, 1, dsl, clock(), 1, "2026-11-20")):
        with pytest.raises(CaseError, match="is already done"):
            action()
    with pytest.raises(CaseError, match="There is no task 7 on this case"):
        tasks.complete_task(db, 1, dsl, clock(), 7, "done")


def test_cancelling_needs_a_reason(app, db, clock, team, case):
    add(db, clock, team)
    dsl = user(db, team["dsl"])
    with pytest.raises(CaseError, match="The reason for cancelling is needed"):
        tasks.cancel_task(db, 1, dsl, clock(), 1, "")
    tasks.cancel_task(db, 1, dsl, clock(), 1, "Parents came in themselves.")
    assert task_rows(db)[0]["status"] == "cancelled"
    assert words(db, "task_cancelled")[0][1] == "Reason: Parents came in themselves."


def test_reassigning_and_moving_the_due_date(app, db, clock, team, case):
    add(db, clock, team)
    dsl = user(db, team["dsl"])
    with pytest.raises(CaseError, match="Dee Puty already owns this task"):
        tasks.reassign_task(db, 1, dsl, clock(), 1, team["deputy"])
    with pytest.raises(CaseError, match="must be an active DSL"):
        tasks.reassign_task(db, 1, dsl, clock(), 1, team["teacher"])
    tasks.reassign_task(db, 1, dsl, clock(), 1, team["head"], "Deputy is off sick.")
    with pytest.raises(CaseError, match="already due on Thursday 19 November 2026"):
        tasks.change_due_date(db, 1, dsl, clock(), 1, "2026-11-19")
    with pytest.raises(CaseError, match="is not a school day"):
        tasks.change_due_date(db, 1, dsl, clock(), 1, "2026-11-22")
    tasks.change_due_date(db, 1, dsl, clock(), 1, "2026-11-23")
    row = task_rows(db)[0]
    assert (row["owner_id"], row["due_date"]) == (team["head"], "2026-11-23")
    assert words(db, "task_reassigned") == [(
        "Task given to Hal Head: Phone parents about the bus (task 1)",
        "From Dee Puty to Hal Head. Reason: Deputy is off sick.")]
    assert words(db, "task_rescheduled")[0][1] == \
        "From Thursday 19 November 2026 to Monday 23 November 2026."


def test_a_case_with_open_tasks_does_not_close(app, db, clock, team, case):
    add(db, clock, team)
    add(db, clock, team, title="", owner="dsl", due=MON, kind="review")
    dsl = user(db, team["dsl"])
    record_decision(db, 1, dsl, clock(), "mash", "Referred to MASH.")
    with pytest.raises(CaseError) as refused:
        close(db, 1, dsl, clock(), "Referred.")
    assert str(refused.value) == (
        "This case has tasks still open: mark each done with its outcome, or cancel it "
        "with a reason, before closing. Open: Task 1 \"Phone parents about the bus\" "
        "(Dee Puty, due Thursday 19 November 2026); Review 2 \"Review the case\" "
        "(dsl@school.example, due Monday 23 November 2026).")
    assert rows(app, "SELECT status FROM reports")[0]["status"] == "acknowledged"
    tasks.complete_task(db, 1, dsl, clock(), 1, "Spoke to mum.")
    with pytest.raises(CaseError, match="Review 2"):
        close(db, 1, dsl, clock(), "Referred.")
    tasks.cancel_task(db, 1, dsl, clock(), 2, "MASH now lead; no school review needed.")
    close(db, 1, dsl, clock(), "Referred.")
    assert rows(app, "SELECT status FROM reports")[0]["status"] == "closed"


# -- reminders (the escalation check, on a moved clock) -------------------------------------

def check(app, db, clock, when):
    clock.now = when
    escalation.check(app, db)
    return [json.loads(r["detail"]) for r in db.query(
        "SELECT detail FROM report_events WHERE kind = 'task_reminded' ORDER BY id")]


def watching(app):
    """The DSL with a dashboard open now (a login from a day before has timed out)."""
    client = app.test_client()
    assert log_in(client).status_code == 302
    sock = socketio.test_client(app, namespace="/staff", flask_test_client=client)
    sock.get_received("/staff")
    return sock


def test_an_overdue_task_reminds_its_owner_once_a_school_day(app, db, clock, team, case,
                                                             inbox):
    app.config.update(SMTP=smtp(inbox.port), BASE_URL="https://kiosk.school.example")
    add(db, clock, team, due=THU)
    add(db, clock, team, title="Done in time", owner="head", due=THU)
    tasks.complete_task(db, 1, user(db, team["dsl"]), clock(), 2, "Done.")
    assert check(app, db, clock, at(19, 16)) == []  # due today is not yet overdue
    clock.now = at(20, 7)
    sock = watching(app)

    reminded = check(app, db, clock, at(20, 7))
    live = [m["args"][0]["kind"] for m in sock.get_received("/staff")
            if m["name"] == "notification"]
    sock.disconnect(namespace="/staff")
    assert [(r["task_id"], r["owner"], r["day"], r["emailed"]) for r in reminded] == [
        (1, "Dee Puty", "2026-11-20", [DEPUTY])]
    assert inbox.recipients(REMINDER) == [DEPUTY]
    [mail] = inbox.with_subject(REMINDER)
    body = str(mail)
    assert "https://kiosk.school.example/staff/reports/1" in body
    assert "Phone parents" not in body  # what the task says stays out of email
    assert "task.overdue" in live and "case.task_reminded" in live
    assert words(db, "task_reminded") == [(
        "Task overdue: owner reminded",
        "Phone parents about the bus (task 1), due Thursday 19 November 2026: Dee Puty "
        f"reminded on the dashboard, by email to {DEPUTY}.")]
    sent = [json.loads(r["detail"]) for r in db.query(
        "SELECT detail FROM report_events WHERE kind = 'email_sent' "
        "AND json_extract(detail, '$.purpose') = 'task_overdue'")]
    assert [s["to"] for s in sent] == [[DEPUTY]]

    for later in (at(20, 7, 1), at(20, 15), at(21, 9), at(22, 9)):  # same day, weekend
        assert len(check(app, db, clock, later)) == 1
    assert len(check(app, db, clock, at(23, 8))) == 2  # Monday: overdue still
    assert inbox.recipients(REMINDER) == [DEPUTY, DEPUTY]


def test_without_email_the_reminder_says_so_and_a_finished_task_is_not_reminded(
        app, db, clock, team, case):
    add(db, clock, team, due=WED)
    add(db, clock, team, title="Cancelled one", due=WED)
    tasks.cancel_task(db, 1, user(db, team["dsl"]), clock(), 2, "Not needed.")
    [reminded] = check(app, db, clock, at(19, 9))
    assert reminded["emailed"] == [] and reminded["task_id"] == 1
    assert "not by email (email is not set up (no SMTP setting))" in words(
        db, "task_reminded")[0][1]
    assert rows(app, "SELECT * FROM outbox WHERE purpose = 'task_overdue'") == []
    tasks.complete_task(db, 1, user(db, team["dsl"]), clock(), 1, "Done late.")
    assert len(check(app, db, clock, at(20, 9))) == 1


# -- the case page and the dashboard ------------------------------------------------------

def page(client, path="/staff/reports/1"):
    return client.get(path).get_data(as_text=True)


def test_the_case_page_adds_and_works_tasks_through_its_forms(app, db, clock, staff_client,
                                                              team, case):
    shown = page(staff_client)
    assert "Tasks and review dates" in shown and "No tasks or review dates yet." in shown
    assert post(staff_client, "/staff/reports/1/tasks", kind="task", title="Call mum",
                owner_id=str(team["deputy"]), due_date="2026-11-19").status_code == 302
    assert post(staff_client, "/staff/reports/1/tasks", kind="review", title="",
                owner_id=str(team["dsl"]), due_date="2026-11-23").status_code == 302
    shown = page(staff_client)
    assert "Call mum" in shown and "Review due Monday 23 November 2026" in shown
    assert post(staff_client, "/staff/reports/1/tasks/1/done",
                outcome="Mum is coming in.").status_code == 302
    assert post(staff_client, "/staff/reports/1/tasks/2/owner", owner_id=str(team["head"]),
                reason="").status_code == 302
    assert post(staff_client, "/staff/reports/1/tasks/2/due",
                due_date="2026-11-24").status_code == 302
    assert [(r["status"], r["owner_id"], r["due_date"]) for r in task_rows(db)] == [
        ("done", team["deputy"], "2026-11-19"), ("open", team["head"], "2026-11-24")]
    audited = [r["action"] for r in rows(app, "SELECT action FROM audit WHERE action LIKE "
                                              "'case.task%' ORDER BY id")]
    assert audited == ["case.task_added", "case.task_added", "case.task_done",
                       "case.task_reassigned", "case.task_rescheduled"]
    chronology = page(staff_client, "/staff/reports/1/chronology")
    assert "Task done: Call mum (task 1)" in chronology and "Review date set" in chronology
    pdf = staff_client.get("/staff/reports/1/chronology.pdf")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages
                             ).split())
    assert "Review due date changed: Review the case (task 2)" in text


@pytest.mark.parametrize("path, form, error", [
    ("/staff/reports/1/tasks", {"title": "Call", "owner_id": "", "due_date": "2026-11-19"},
     "Choose who will do it"),
    ("/staff/reports/1/tasks", {"title": "Call", "owner_id": "x", "due_date": "2026-11-19"},
     "must be a number"),
    ("/staff/reports/1/tasks", {"title": "Call", "owner_id": "1", "due_date": "2026-11-21"},
     "is not a school day"),
    ("/staff/reports/1/tasks/1/done", {"outcome": ""}, "The outcome is needed"),
    ("/staff/reports/1/tasks/1/cancel", {"reason": ""}, "The reason for cancelling is needed"),
    ("/staff/reports/1/tasks/9/done", {"outcome": "x"}, "There is no task 9 on this case"),
    ("/staff/reports/1/tasks/1/due", {"due_date": "2026-11-17"}, "has passed"),
])
def test_bad_forms_are_refused_on_the_case_page_and_nothing_is_written(
        app, db, clock, staff_client, team, case, path, form, error):
    add(db, clock, team)
    before = [dict(r) for r in task_rows(db)], len(entries(db, 1))
    response = post(staff_client, path, **form)
    assert response.status_code in (400, 409) and error in response.get_data(as_text=True)
    assert ([dict(r) for r in task_rows(db)], len(entries(db, 1))) == before


def test_closing_with_open_tasks_is_refused_with_the_list(app, db, clock, staff_client,
                                                          team, case):
    add(db, clock, team)
    assert post(staff_client, "/staff/reports/1/decisions", decision="mash",
                reason="Referred.").status_code == 302
    response = post(staff_client, "/staff/reports/1/close", summary="Referred.")
    assert response.status_code == 409
    assert "Task 1 &#34;Phone parents about the bus&#34; (Dee Puty, due Thursday 19 " \
           "November 2026)" in response.get_data(as_text=True)


def test_the_dashboard_lists_my_overdue_and_due_today_tasks_and_the_team_count(
        app, db, clock, staff_client, team, case):
    add(db, clock, team, title="Mine overdue", owner="dsl", due=WED)
    add(db, clock, team, title="Mine today", owner="dsl", due=THU)
    add(db, clock, team, title="Mine later", owner="dsl", due=FRI)
    add(db, clock, team, title="Deputy's overdue", owner="deputy", due=WED)
    clock.now = at(19, 9)
    assert log_in(staff_client).status_code == 302  # yesterday's login has timed out
    shown = page(staff_client, "/staff/")
    assert "Your tasks due" in shown
    assert "Overdue</strong> (due Wednesday 18 November 2026)" in shown
    assert 'href="/staff/reports/1#task-1"' in shown and "Mine today" in shown
    assert "Mine later" not in shown and "Deputy&#39;s overdue" not in shown
    assert "<strong>2</strong> tasks are overdue across the team" in shown
    head = app.test_client()
    assert log_in(head, HEAD).status_code == 302
    shown = page(head, "/staff/")
    assert "None of your tasks is overdue" in shown and "<strong>2</strong> tasks" in shown
    tasks.complete_task(db, 1, user(db, team["dsl"]), clock(), 1, "Done late.")
    tasks.cancel_task(db, 1, user(db, team["dsl"]), clock(), 4, "Not needed now.")
    assert "Your tasks due" not in page(head, "/staff/")
    assert "Mine overdue" not in page(staff_client, "/staff/")


def test_a_case_that_names_the_owner_is_not_given_to_them_nor_shown_or_sent_to_them(
        app, db, clock, team, case, inbox):
    from kiosk.safeguarding import allegations
    app.config.update(SMTP=smtp(inbox.port))
    add(db, clock, team, owner="deputy", due=WED)
    add(db, clock, team, title="Head's task", owner="head", due=THU)
    allegations.mark_about_staff(db, 1, user(db, team["dsl"]), clock(), team["deputy"],
                                 "Pupil says this adult shouted at them.")
    with pytest.raises(CaseError, match="This case names that person"):
        add(db, clock, team, owner="deputy")
    with pytest.raises(CaseError, match="This case names that person"):
        tasks.reassign_task(db, 1, user(db, team["dsl"]), clock(), 2, team["deputy"])
    [reminded] = check(app, db, clock, at(19, 9))
    assert reminded["emailed"] == [] and inbox.recipients(REMINDER) == []
    assert words(db, "task_reminded") == [(
        "Task overdue: owner could not be reminded",
        "Phone parents about the bus (task 1), due Wednesday 18 November 2026: Dee Puty was "
        "not told (the case names the owner: give the task to someone else).")]
    deputy = app.test_client()
    assert log_in(deputy, DEPUTY).status_code == 302
    assert "Your tasks due" not in page(deputy, "/staff/")
    assert post(deputy, "/staff/reports/1/tasks/1/done", outcome="x").status_code == 403
    assert task_rows(db)[0]["status"] == "open"
