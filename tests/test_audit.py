"""The audit log: append-only, hash-chained, checked by `audit verify`, filled by real use."""
import json
import sqlite3
from datetime import timedelta

import pytest

from helpers import DSL_EMAIL, a_report, csrf_from, log_in, rows, tamper
from kiosk import audit
from kiosk.db import get_db
from kiosk.accounts.users import create_user

PASSWORD = "another long password"
PUPIL_WORDS = "my uncle Zebedee hurts me at the weekend"
PUPIL_NAME = "Quentin Marchbanks"


# --- helpers ---------------------------------------------------------------------------

def entries(app, action=None):
    if action is None:
        return rows(app, "SELECT * FROM audit ORDER BY id")
    return rows(app, "SELECT * FROM audit WHERE action = ? ORDER BY id", [action])


def verdict(app):
    with app.app_context():
        return audit.verify(get_db())


def record_some(app, clock, count=5):
    with app.app_context():
        db = get_db()
        for n in range(1, count + 1):
            audit.record(db, f"test.action{n}", at=clock.now + timedelta(minutes=n),
                         actor="dsl@school.example", user_id=1, role="dsl",
                         target=f"report:{n}", detail={"n": n}, ip="127.0.0.1")


def make_user(app, email, role):
    with app.app_context():
        return create_user(get_db(), email, PASSWORD, role)


def logged_in_client(app, email):
    client = app.test_client()
    response = log_in(client, email=email, password=PASSWORD if email != DSL_EMAIL
                      else "a long test password")
    assert response.status_code == 302 and "/staff/login" not in response.location
    return client


DROP_UPDATE = ("DROP TRIGGER audit_no_update",)
DROP_DELETE = ("DROP TRIGGER audit_no_delete",)


# --- the chain -----------------------------------------------------------------------

def test_an_untouched_log_verifies(app, clock):
    assert verdict(app).ok and verdict(app).checked == 0
    record_some(app, clock)
    result = verdict(app)
    assert result.ok and result.checked == 5 and result.bad_id is None


def test_entries_chain_each_to_the_one_before(app, clock):
    record_some(app, clock, 3)
    log = entries(app)
    assert log[0]["prev_hash"] == audit.GENESIS
    assert log[1]["prev_hash"] == log[0]["hash"] and log[2]["prev_hash"] == log[1]["hash"]
    assert json.loads(log[0]["detail"]) == {"n": 1}
    assert log[0]["at"] == (clock.now + timedelta(minutes=1)).isoformat()


def test_a_changed_entry_is_named(app, clock):
    record_some(app, clock)
    tamper(app, DROP_UPDATE,
           ("UPDATE audit SET actor = 'someone else' WHERE id = 3",))
    result = verdict(app)
    assert not result.ok
    assert result.bad_id == 3 and "was changed" in result.why
    assert result.checked == 2


def test_a_changed_entry_with_its_hash_recomputed_breaks_the_next_one(app, clock):
    record_some(app, clock)
    row = entries(app)[2]
    row["detail"] = json.dumps({"n": 99})
    forged = audit._digest(row["prev_hash"], row)
    tamper(app, DROP_UPDATE,
           ("UPDATE audit SET detail = ?, hash = ? WHERE id = 3", [row["detail"], forged]))
    result = verdict(app)
    assert result.bad_id == 4 and "does not follow" in result.why


def test_a_deleted_entry_is_named_as_the_gap(app, clock):
    record_some(app, clock)
    tamper(app, DROP_DELETE, ("DELETE FROM audit WHERE id = 3",))
    result = verdict(app)
    assert result.bad_id == 3 and "is missing" in result.why
    assert "#2" in result.why and "#4" in result.why


def test_a_deleted_first_entry_is_found(app, clock):
    record_some(app, clock)
    tamper(app, DROP_DELETE, ("DELETE FROM audit WHERE id = 1",))
    result = verdict(app)
    assert not result.ok and result.bad_id == 2


def test_a_forged_entry_with_a_made_up_hash_is_named(app, clock):
    record_some(app, clock)
    last = entries(app)[-1]
    tamper(app, ("INSERT INTO audit (at, user_id, actor, role, action, target, detail, ip, "
                 "prev_hash, hash) VALUES (?, 1, 'dsl@school.example', 'dsl', "
                 "'report.viewed', 'report:1', '{}', '', ?, ?)",
                 [clock.now.isoformat(), last["hash"], "ab" * 32]))
    result = verdict(app)
    assert result.bad_id == 6 and "was changed" in result.why


def test_a_forged_entry_that_does_not_follow_is_named(app, clock):
    record_some(app, clock)
    tamper(app, ("INSERT INTO audit (at, user_id, actor, role, action, target, detail, ip, "
                 "prev_hash, hash) VALUES (?, 1, 'x', 'dsl', 'login', '', '{}', '', ?, ?)",
                 [clock.now.isoformat(), "cd" * 32, "ef" * 32]))
    result = verdict(app)
    assert result.bad_id == 6 and "does not follow" in result.why


@pytest.mark.parametrize("statement", [
    "UPDATE audit SET actor = 'someone else' WHERE id = 2",
    "DELETE FROM audit WHERE id = 2",
    "DELETE FROM audit",
])
def test_the_database_refuses_to_change_or_remove_entries(app, clock, statement):
    record_some(app, clock, 3)
    before = entries(app)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        tamper(app, (statement,))
    with app.app_context(), pytest.raises(sqlite3.DatabaseError, match="append-only"):
        get_db().execute(statement)
    assert entries(app) == before
    assert verdict(app).ok


def test_writers_in_parallel_keep_one_unbroken_chain(app, clock):
    """Requests in several threads, each with its own connection, append at once."""
    from concurrent.futures import ThreadPoolExecutor

    from kiosk.db import connect

    def write(worker):
        db = connect(app.config["DATABASE"])
        try:
            for n in range(10):
                audit.record(db, "test.parallel", at=clock.now, actor=f"worker{worker}",
                             detail={"n": n})
        finally:
            db.close()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(write, range(6)))
    result = verdict(app)
    assert result.ok and result.checked == 60


def test_listing_entries_newest_first_by_target(app, clock):
    record_some(app, clock)
    with app.app_context():
        db = get_db()
        assert [e["id"] for e in audit.entries(db)] == [5, 4, 3, 2, 1]
        assert [e["id"] for e in audit.entries(db, before=3)] == [2, 1]
        assert [e["id"] for e in audit.entries(db, target="report:4")] == [4]


# --- flask --app kiosk audit verify ----------------------------------------------------

def test_audit_verify_on_the_command_line(app, clock, runner):
    record_some(app, clock, 4)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact: 4 entries" in result.output


def test_audit_verify_names_a_changed_entry(app, clock, runner):
    record_some(app, clock, 4)
    tamper(app, DROP_UPDATE, ("UPDATE audit SET target = 'report:9' WHERE id = 2",))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "#2" in output and "was changed" in output
    assert "intact: " not in output
    assert "1 entries before it are intact" in output


def test_audit_verify_names_a_gap(app, clock, runner):
    record_some(app, clock, 4)
    tamper(app, DROP_DELETE, ("DELETE FROM audit WHERE id = 3",))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "#3" in result.output and "missing" in result.output


def test_command_line_account_changes_are_audited(app, runner):
    result = runner.invoke(args=["create-user", "x@school.example", "--role", "staff",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0
    runner.invoke(args=["set-role", "x@school.example", "--role", "it"])
    runner.invoke(args=["set-password", "x@school.example", "--password-stdin"],
                  input="yet another long password\n")
    log = entries(app)
    assert [e["action"] for e in log] == ["user.created", "user.role_changed",
                                          "user.password_set"]
    assert all(e["actor"] == "server command line" and e["target"] == "user:1" for e in log)
    assert all(PASSWORD not in e["detail"] and "yet another" not in e["detail"] for e in log)
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


# --- what real use writes into the log -------------------------------------------------

@pytest.fixture
def reported(client):
    """A report with the pupil's own words and name, from the kiosk."""
    response = client.post("/api/reports", json=a_report() | {"words": PUPIL_WORDS,
                                                               "name": PUPIL_NAME})
    assert response.status_code == 201, response.get_data(as_text=True)
    return client


def _tick(clock, minutes=7):
    clock.now = clock.now + timedelta(minutes=minutes)
    return clock.now.isoformat()


def _only(app, action):
    found = entries(app, action)
    assert len(found) == 1, (action, [e["action"] for e in entries(app)])
    return found[0]


def _by_dsl(entry, dsl, at):
    assert entry["actor"] == DSL_EMAIL and entry["role"] == "dsl"
    assert entry["user_id"] == dsl["id"]
    assert entry["at"] == at
    assert entry["ip"] == "127.0.0.1"


def test_logins_are_audited(app, dsl, clock):
    client = app.test_client()
    at = _tick(clock)
    assert log_in(client, password="not the password!").status_code == 401
    failed = _only(app, "login.failed")
    _by_dsl(failed, dsl, at)
    assert failed["target"] == f"email:{DSL_EMAIL}"
    assert "not the password" not in json.dumps(failed)
    at = _tick(clock)
    assert log_in(client, email="nobody@school.example").status_code == 401
    unknown = entries(app, "login.failed")[-1]
    assert unknown["actor"] == "not logged in" and unknown["user_id"] is None
    assert unknown["at"] == at and unknown["target"] == "email:nobody@school.example"
    at = _tick(clock)
    assert log_in(client).status_code == 302
    login = _only(app, "login")
    _by_dsl(login, dsl, at)
    assert login["target"] == f"user:{dsl['id']}"
    at = _tick(clock)
    client.post("/staff/logout", data={"csrf_token": csrf_from(client.get("/staff/account"))})
    _by_dsl(_only(app, "logout"), dsl, at)


def test_case_work_and_exports_are_audited_without_report_content(app, dsl, clock, reported):
    staff_client = app.test_client()
    assert log_in(staff_client).status_code == 302

    at = _tick(clock)
    page = staff_client.get("/staff/reports/1")
    assert page.status_code == 200 and PUPIL_WORDS in page.get_data(as_text=True)
    viewed = _only(app, "report.viewed")
    _by_dsl(viewed, dsl, at)
    assert viewed["target"] == "report:1"

    at = _tick(clock)
    response = staff_client.post("/staff/reports/1/acknowledge",
                                 data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    acknowledged = _only(app, "case.acknowledged")
    _by_dsl(acknowledged, dsl, at)
    assert acknowledged["target"] == "report:1"

    at = _tick(clock)
    response = staff_client.get("/staff/reports/1/chronology.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    pdf = _only(app, "export.pdf")
    _by_dsl(pdf, dsl, at)
    assert pdf["target"] == "report:1"
    assert json.loads(pdf["detail"]) == {"bytes": len(response.data)}

    at = _tick(clock)
    response = staff_client.get("/staff/exports/counts.csv")
    assert response.status_code == 200
    counts = _only(app, "export.counts")
    _by_dsl(counts, dsl, at)

    # A member of staff who is not in the DSL team is refused, and that is logged too.
    make_user(app, "teacher@school.example", "staff")
    teacher = logged_in_client(app, "teacher@school.example")
    at = _tick(clock)
    response = teacher.get("/staff/reports/1")
    assert response.status_code == 403
    assert PUPIL_WORDS not in response.get_data(as_text=True)
    refused = _only(app, "refused")
    assert refused["actor"] == "teacher@school.example" and refused["role"] == "staff"
    assert refused["at"] == at and refused["target"] == "/staff/reports/1"
    assert json.loads(refused["detail"])["path"] == "/staff/reports/1"

    # What the pupil said, and their name, are in no entry.
    everything = json.dumps(entries(app))
    for secret in (PUPIL_WORDS, "Zebedee", PUPIL_NAME, "Marchbanks"):
        assert secret not in everything
    assert verdict(app).ok


def test_a_forged_post_is_refused_and_logged(app, staff_client, reported):
    response = staff_client.post("/staff/reports/1/acknowledge", data={"csrf_token": "forged"})
    assert response.status_code == 400
    refused = _only(app, "refused")
    assert refused["actor"] == DSL_EMAIL and "form token" in refused["detail"]
    assert rows(app, "SELECT status FROM reports")[0]["status"] != "acknowledged"


# --- the audit page --------------------------------------------------------------------

@pytest.mark.parametrize("role", ["dsl", "head"])
def test_the_audit_page_says_the_log_is_intact(app, dsl, role):
    email = DSL_EMAIL if role == "dsl" else "head@school.example"
    if role == "head":
        make_user(app, email, "head")
    client = logged_in_client(app, email)
    html = client.get("/staff/audit").get_data(as_text=True)
    assert "The log is intact" in html and "intact" in html
    assert "login" in html and email in html
    assert entries(app)[-1]["action"] == "audit.viewed"


def test_the_audit_page_names_the_bad_entry(app, dsl, clock):
    client = logged_in_client(app, DSL_EMAIL)
    client.get("/staff/")
    client.get("/staff/audit")
    assert len(entries(app)) == 3
    tamper(app, DROP_UPDATE, ("UPDATE audit SET action = 'nothing.here' WHERE id = 2",))
    response = client.get("/staff/audit")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "tampered with" in html and "entry #2" in html and "was changed" in html
    assert "The log is intact" not in html


@pytest.mark.parametrize("role", ["deputy", "staff", "it"])
def test_others_cannot_read_the_audit_page(app, role):
    make_user(app, f"{role}@school.example", role)
    client = logged_in_client(app, f"{role}@school.example")
    response = client.get("/staff/audit")
    assert response.status_code == 403
    assert "The log is intact" not in response.get_data(as_text=True)
    refused = entries(app, "refused")
    assert refused and refused[-1]["actor"] == f"{role}@school.example"


def test_the_audit_page_needs_a_login(app):
    response = app.test_client().get("/staff/audit")
    assert response.status_code == 302 and "/staff/login" in response.location
