"""Reopening a closed case, and linking related cases without merging them."""
import pytest

from helpers import DSL_PASSWORD, a_report, csrf_from, dashboard_page, log_in
from kiosk.accounts.users import create_user
from kiosk.db import get_db

HEAD = "head@school.example"
MASH = {"decision": "mash", "reason": "Adult involved: referred to MASH, reference 4471."}
NOT_REFERRED = {"decision": "nfa", "reason": "Handled in class; nothing more to do."}


def post(client, path, **form):
    """A form post as the page makes it, with the page's CSRF token."""
    token = csrf_from(client.get("/staff/account"))
    return client.post(path, data=dict(form, csrf_token=token))


def kinds(db, report_id=1):
    return [e["kind"] for e in db.query(
        "SELECT kind FROM report_events WHERE report_id = ? ORDER BY id", [report_id])]


def report(db, report_id=1):
    return next(db.query("SELECT * FROM reports WHERE id = ?", [report_id]))


def page(client, report_id=1):
    return client.get(f"/staff/reports/{report_id}").get_data(as_text=True)


@pytest.fixture
def cases(client, staff_client):
    """Reports 1 and 2 from the kiosk, both acknowledged by the DSL."""
    for number in (1, 2):
        assert client.post("/api/reports", json=a_report()).status_code == 201
        assert post(staff_client, f"/staff/reports/{number}/acknowledge").status_code == 302
    return 1, 2


@pytest.fixture
def closed(cases, staff_client, db):
    """Case 1 closed after a referral."""
    assert post(staff_client, "/staff/reports/1/decisions", **MASH).status_code == 302
    assert post(staff_client, "/staff/reports/1/close", summary="Referred.").status_code == 302
    assert report(db)["status"] == "closed"
    return 1


@pytest.fixture
def head_client(app):
    with app.app_context():
        create_user(get_db(), HEAD, DSL_PASSWORD, "head")
    client = app.test_client()
    assert log_in(client, HEAD).status_code == 302
    return client


def test_reopening_keeps_the_closing_entry_and_opens_the_case(closed, staff_client, db):
    response = post(staff_client, "/staff/reports/1/reopen",
                    reason="The pupil told their teacher it has started again.")
    assert response.status_code == 302
    row = report(db)
    assert row["status"] == "acknowledged" and row["closed_at"] is None
    assert kinds(db) == ["acknowledged", "decision", "closed", "reopened"]
    html = page(staff_client)
    assert "Case reopened" in html and "it has started again" in html
    closing = next(db.query("SELECT id FROM report_events WHERE kind = 'closed'"))["id"]
    assert f"it was closed by entry #{closing}" in html
    assert "Case closed" in html  # the old closing entry is still in the record
    audit = next(db.query("SELECT * FROM audit WHERE action = 'case.reopened'"))
    assert audit["target"] == "report:1"
    # Open again: work goes on, and the dashboard lists it among the open cases.
    noted = post(staff_client, "/staff/reports/1/notes", text="Spoke to the pupil.")
    assert noted.status_code == 302
    rows = dashboard_page(staff_client.get("/staff/"))["rows"]
    assert 1 in [r["id"] for r in rows]


def test_a_reopened_case_closes_again_only_by_the_normal_rules(
        closed, staff_client, head_client, db):
    post(staff_client, "/staff/reports/1/reopen", reason="New information from a parent.")
    assert post(staff_client, "/staff/reports/1/close", summary="").status_code == 400
    # A new decision not to refer needs the head's sign-off before it closes again.
    first = next(db.query("SELECT id FROM report_events WHERE kind = 'decision'"))["id"]
    assert post(staff_client, "/staff/reports/1/decisions", corrects=str(first),
                **NOT_REFERRED).status_code == 302
    refused = post(staff_client, "/staff/reports/1/close", summary="Done again.")
    assert refused.status_code == 409
    assert "must sign off" in refused.get_data(as_text=True)
    assert report(db)["status"] == "acknowledged"
    assert post(head_client, "/staff/reports/1/sign-off", comment="Agreed.").status_code == 302
    assert post(staff_client, "/staff/reports/1/close", summary="Done again.").status_code == 302
    assert report(db)["status"] == "closed"
    assert kinds(db).count("closed") == 2


@pytest.mark.parametrize("which, reason, status, message", [
    (2, "Reopen it", 409, "is not closed, so it cannot be reopened"),
    (1, "  ", 400, "The reason for reopening is needed"),
    (99, "Reopen it", 404, "There is no case 99"),
])
def test_reopening_refuses_bad_input_and_writes_nothing(
        closed, staff_client, db, which, reason, status, message):
    before = db.execute("SELECT count(*) FROM report_events").fetchone()[0]
    response = post(staff_client, f"/staff/reports/{which}/reopen", reason=reason)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM report_events").fetchone()[0] == before
    assert report(db)["status"] == "closed"


def test_a_merged_case_is_reopened_through_the_case_it_joined(cases, staff_client, db):
    post(staff_client, "/staff/reports/2/merge", into="1", reason="Sent twice.")
    response = post(staff_client, "/staff/reports/2/reopen", reason="Not a duplicate after all")
    assert response.status_code == 409
    assert "reopen that case instead" in response.get_data(as_text=True)
    assert report(db, 2)["status"] == "merged"


def test_only_readers_can_reopen(app, closed, db):
    with app.app_context():
        create_user(get_db(), "teacher@school.example", DSL_PASSWORD, "staff")
    teacher = app.test_client()
    log_in(teacher, "teacher@school.example")
    token = csrf_from(teacher.get("/staff/account"))
    response = teacher.post("/staff/reports/1/reopen", data={"reason": "x", "csrf_token": token})
    assert response.status_code in (302, 403)
    assert report(db)["status"] == "closed" and "reopened" not in kinds(db)


def test_the_reopen_form_shows_only_on_a_closed_case(closed, staff_client):
    assert "Reopen case" in page(staff_client, 1)
    assert "Reopen case" not in page(staff_client, 2)


def test_linking_shows_on_both_cases_and_merges_nothing(cases, staff_client, db):
    response = post(staff_client, "/staff/reports/1/links", other="2",
                    reason="Same group chat, different pupils.")
    assert response.status_code == 302
    for here, there in ((1, 2), (2, 1)):
        html = page(staff_client, here)
        assert f'href="/staff/reports/{there}">Case {there}</a>' in html
        assert f"Linked to related case {there} (not merged)" in html
        assert kinds(db, here)[-1] == "case_linked"
        assert report(db, here)["status"] == "acknowledged"
        assert report(db, here)["merged_into"] is None
    assert [dict(r) for r in db.query("SELECT low, high FROM case_links")] == [
        {"low": 1, "high": 2}]
    chronology = staff_client.get("/staff/reports/2/chronology").get_data(as_text=True)
    assert "Linked to related case 1" in chronology and "Same group chat" in chronology


@pytest.mark.parametrize("other, reason, message", [
    ("1", "Related", "A case cannot be linked to itself"),
    ("99", "Related", "There is no case 99 you can link to"),
    ("", "Related", "Give the number of the related case"),
    ("two", "Related", "must be a number"),
    ("2", "", "The reason for linking is needed"),
])
def test_bad_links_are_refused_and_nothing_is_written(cases, staff_client, db, other, reason,
                                                      message):
    before = db.execute("SELECT count(*) FROM report_events").fetchone()[0]
    response = post(staff_client, "/staff/reports/1/links", other=other, reason=reason)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM report_events").fetchone()[0] == before
    assert db.execute("SELECT count(*) FROM case_links").fetchone()[0] == 0


def test_two_cases_are_linked_once(cases, staff_client, db):
    post(staff_client, "/staff/reports/1/links", other="2", reason="Same pupils.")
    again = post(staff_client, "/staff/reports/2/links", other="1", reason="Same pupils.")
    assert again.status_code == 409
    assert "already linked to case 1" in again.get_data(as_text=True)
    assert kinds(db, 2).count("case_linked") == 1


def test_unlinking_is_a_new_entry_on_both(cases, staff_client, db):
    post(staff_client, "/staff/reports/1/links", other="2", reason="Same pupils.")
    refused = post(staff_client, "/staff/reports/2/links/remove", other="2", reason="Wrong")
    assert refused.status_code == 409
    no_reason = post(staff_client, "/staff/reports/2/links/remove", other="1", reason="")
    assert no_reason.status_code == 400
    assert post(staff_client, "/staff/reports/2/links/remove", other="1",
                reason="Linked by mistake: different pupils.").status_code == 302
    for here in (1, 2):
        assert kinds(db, here)[-2:] == ["case_linked", "case_unlinked"]
        assert "No related cases linked." in page(staff_client, here)
    assert "Link to case 2 taken away" in page(staff_client, 1)
    assert db.execute("SELECT count(*) FROM case_links").fetchone()[0] == 0


def test_an_open_case_links_to_a_closed_one_which_stays_closed(closed, staff_client, db):
    assert post(staff_client, "/staff/reports/2/links", other="1",
                reason="The same pupil as last term's case.").status_code == 302
    assert report(db, 1)["status"] == "closed"
    assert kinds(db, 1)[-1] == "case_linked"
    assert 'href="/staff/reports/1">Case 1</a> (Closed)' in page(staff_client, 2)
    # The closed case takes no new work, and offers no link form.
    assert post(staff_client, "/staff/reports/1/links", other="2",
                reason="x").status_code == 409
    assert "Link case" not in page(staff_client, 1)


def test_a_case_closed_to_someone_is_neither_linked_nor_shown_to_them(app, cases, staff_client,
                                                                       db):
    with app.app_context():
        deputy_id = create_user(get_db(), "deputy@school.example", DSL_PASSWORD, "deputy")["id"]
    assert post(staff_client, "/staff/reports/2/about-staff", staff_user_id=str(deputy_id),
                reason="Pupil says this adult shouted at them.").status_code == 302
    deputy = app.test_client()
    assert log_in(deputy, "deputy@school.example").status_code == 302
    # Refused before the link is even looked at: the form names a case closed to them.
    refused = post(deputy, "/staff/reports/1/links", other="2", reason="Related")
    assert refused.status_code == 403
    assert post(staff_client, "/staff/reports/1/links", other="2",
                reason="Same incident.").status_code == 302
    assert 'href="/staff/reports/2"' not in page(deputy, 1)
    gone = post(deputy, "/staff/reports/1/links/remove", other="2", reason="x")
    assert gone.status_code == 403  # the form names a case closed to them
    assert db.execute("SELECT count(*) FROM case_links").fetchone()[0] == 1
