"""Working a report as a case: decisions, the head's sign-off, closing, corrections, merging,
pupils' chronologies, and staff concerns entering the same pipeline."""
import sqlite3

import pytest

from helpers import DSL_PASSWORD, a_report, csrf_from, log_in, post_concern
from kiosk.db import get_db
from kiosk.accounts.users import create_user

HEAD = "head@school.example"
NOT_REFERRED = {"decision": "not_referred",
                "reason": "Unkind words between friends; the class teacher is handling it."}


@pytest.fixture
def head_client(app):
    with app.app_context():
        create_user(get_db(), HEAD, DSL_PASSWORD, "head")
    client = app.test_client()
    assert log_in(client, HEAD).status_code == 302
    return client


def post(client, path, **form):
    """A form post as the page makes it, with the page's CSRF token."""
    token = csrf_from(client.get("/staff/account"))
    return client.post(path, data=dict(form, csrf_token=token))


def entries(db, report_id=1):
    return list(db.query("SELECT * FROM report_events WHERE report_id = ? ORDER BY id",
                         [report_id]))


def status(db, report_id=1):
    return next(db.query("SELECT status FROM reports WHERE id = ?", [report_id]))["status"]


@pytest.fixture
def case(client, staff_client):
    """Report 1, sent from the kiosk and acknowledged by the DSL."""
    assert client.post("/api/reports", json=a_report()).status_code == 201
    assert post(staff_client, "/staff/reports/1/acknowledge").status_code == 302
    return 1


def test_decision_not_to_refer_needs_the_heads_sign_off_before_closing(
        case, staff_client, head_client, db):
    assert post(staff_client, "/staff/reports/1/decisions", **NOT_REFERRED).status_code == 302
    page = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "the head teacher must sign it off before the case can close" in page
    refused = post(staff_client, "/staff/reports/1/close", summary="Handled in class.")
    assert refused.status_code == 409
    assert "must sign off the decision not to refer" in refused.get_data(as_text=True)
    assert status(db) == "acknowledged"

    before = len(entries(db))
    not_head = post(staff_client, "/staff/reports/1/sign-off", comment="I agree")
    assert not_head.status_code == 403
    assert "Only the head teacher can sign off" in not_head.get_data(as_text=True)
    assert len(entries(db)) == before
    assert next(db.query("SELECT * FROM audit WHERE action = 'refused' ORDER BY id DESC"))[
        "target"] == "report:1"

    assert post(head_client, "/staff/reports/1/sign-off", comment="Agreed.").status_code == 302
    assert post(staff_client, "/staff/reports/1/close", summary="Handled in class.").status_code == 302
    assert status(db) == "closed"
    kinds = [e["kind"] for e in entries(db)]
    assert kinds == ["acknowledged", "decision", "sign_off", "closed"]


def test_a_referral_closes_without_sign_off(case, staff_client, head_client, db):
    post(staff_client, "/staff/reports/1/decisions", decision="mash",
         reason="Adult involved: referred to MASH by phone, reference 4471.")
    assert post(head_client, "/staff/reports/1/sign-off").status_code == 409
    assert post(staff_client, "/staff/reports/1/close", summary="Referred.").status_code == 302
    assert status(db) == "closed"


def test_a_decision_after_sign_off_needs_a_new_sign_off(case, staff_client, head_client):
    post(staff_client, "/staff/reports/1/decisions", **NOT_REFERRED)
    post(head_client, "/staff/reports/1/sign-off")
    post(staff_client, "/staff/reports/1/decisions", decision="nfa", reason="Nothing more needed.")
    refused = post(staff_client, "/staff/reports/1/close", summary="Done.")
    assert refused.status_code == 409


def test_closing_needs_a_decision_and_a_summary(case, staff_client, db):
    assert post(staff_client, "/staff/reports/1/close", summary="Done.").status_code == 409
    post(staff_client, "/staff/reports/1/decisions", decision="mash", reason="Referred.")
    blank = post(staff_client, "/staff/reports/1/close", summary="   ")
    assert blank.status_code == 400 and "closing summary is needed" in blank.get_data(as_text=True)
    assert status(db) == "acknowledged"


def test_nothing_can_be_added_to_a_closed_case(case, staff_client, head_client, db):
    post(staff_client, "/staff/reports/1/decisions", decision="ceop", reason="Reported online.")
    post(staff_client, "/staff/reports/1/close", summary="Referred to CEOP.")
    before = len(entries(db))
    for path, form in [("notes", {"text": "late note"}), ("decisions", NOT_REFERRED),
                       ("sign-off", {}), ("close", {"summary": "again"}),
                       ("assign", {"owner_id": "1"}), ("pupil", {"name": "Sam"})]:
        response = post(staff_client, f"/staff/reports/1/{path}", **form)
        assert response.status_code == 409, path
        assert "Case 1 is closed" in response.get_data(as_text=True)
    assert len(entries(db)) == before


def test_actions_wait_for_acknowledgement(client, staff_client, db):
    client.post("/api/reports", json=a_report())
    response = post(staff_client, "/staff/reports/1/decisions", **NOT_REFERRED)
    assert response.status_code == 409
    assert "Acknowledge the report first" in response.get_data(as_text=True)
    assert entries(db) == []


@pytest.mark.parametrize("form, message", [
    ({"decision": "shrug", "reason": "x"}, "Choose a decision from the list"),
    ({"decision": "nfa", "reason": ""}, "The reason is needed"),
    ({"decision": "nfa", "reason": "x" * 4001}, "at most 4000 characters"),
    ({"decision": "nfa", "reason": "x", "corrects": "99"}, "is not a note or decision"),
    ({"decision": "nfa", "reason": "x", "corrects": "one"}, "must be a number"),
])
def test_bad_decisions_are_refused_and_nothing_is_written(case, staff_client, db, form, message):
    response = post(staff_client, "/staff/reports/1/decisions", **form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert [e["kind"] for e in entries(db)] == ["acknowledged"]


def test_a_correction_is_a_new_entry_pointing_at_the_old(case, staff_client, head_client, db):
    post(staff_client, "/staff/reports/1/notes", text="Spoke to Jo's mum on Tuesday")
    old = entries(db)[-1]["id"]
    post(staff_client, "/staff/reports/1/notes", text="Spoke to Jo's dad on Tuesday",
         corrects=str(old))
    rows = entries(db)
    assert rows[-1]["corrects"] == old and "mum" in rows[-2]["detail"]  # the old one stays
    html = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert f"Corrected by entry #{rows[-1]['id']}" in html and f"Corrects entry #{old}" in html
    again = post(staff_client, "/staff/reports/1/notes", text="x", corrects=str(old))
    assert again.status_code == 409 and "already corrected" in again.get_data(as_text=True)


def test_correcting_a_decision_to_a_referral_lifts_the_sign_off(case, staff_client, head_client):
    post(staff_client, "/staff/reports/1/decisions", **NOT_REFERRED)
    decision = 2  # the entry after the acknowledgement
    post(staff_client, "/staff/reports/1/decisions", decision="police_101",
         reason="On reflection: reported to police on 101.", corrects=str(decision))
    assert post(staff_client, "/staff/reports/1/close", summary="Reported.").status_code == 302


def test_records_cannot_be_edited_or_deleted(case, staff_client, db):
    post(staff_client, "/staff/reports/1/notes", text="first note")
    statements = ["UPDATE report_events SET detail = '{}' WHERE id = 1",
                  "DELETE FROM report_events WHERE id = 1",
                  "UPDATE reports SET words = 'changed' WHERE id = 1",
                  "UPDATE reports SET urgency = 'same-day' WHERE id = 1",
                  "DELETE FROM reports WHERE id = 1",
                  "UPDATE audit SET actor = 'someone else' WHERE id = 1"]
    for statement in statements:
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(statement)
    assert len(entries(db)) == 2


def test_owner_must_be_on_the_dsl_team(app, case, staff_client, db):
    with app.app_context():
        teacher = create_user(get_db(), "teacher@school.example", DSL_PASSWORD, "staff")
    refused = post(staff_client, "/staff/reports/1/assign", owner_id=str(teacher["id"]))
    assert refused.status_code == 400 and "DSL team" in refused.get_data(as_text=True)
    assert post(staff_client, "/staff/reports/1/assign", owner_id="1").status_code == 302
    assert next(db.query("SELECT owner_id FROM reports"))["owner_id"] == 1


def test_merging_a_duplicate_keeps_both_records(client, case, staff_client, db):
    client.post("/api/reports", json=a_report())
    post(staff_client, "/staff/reports/2/acknowledge")
    assert post(staff_client, "/staff/reports/2/merge", into="2", reason="same").status_code == 400
    no_target = post(staff_client, "/staff/reports/2/merge", into="", reason="same")
    assert no_target.status_code == 400
    assert "Give the number of the case to merge into" in no_target.get_data(as_text=True)
    assert post(staff_client, "/staff/reports/2/merge", into="1",
                reason="Same pupil, sent twice a minute apart.").status_code == 302
    assert status(db, 2) == "merged"
    refused = post(staff_client, "/staff/reports/2/notes", text="x")
    assert refused.status_code == 409 and "merged into case 1" in refused.get_data(as_text=True)
    html = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "Case 2 merged into this case as a duplicate" in html


def test_a_pupils_chronology_spans_their_cases(client, case, staff_client, db):
    post(staff_client, "/staff/reports/1/pupil", name="Zoë Nowak", year_group="Year 5")
    client.post("/api/reports", json=a_report(safe=["no"]))
    post(staff_client, "/staff/reports/2/acknowledge")
    assert post(staff_client, "/staff/reports/2/pupil", pupil_id="1").status_code == 302
    again = post(staff_client, "/staff/reports/2/pupil", pupil_id="1")
    assert again.status_code == 409
    found = staff_client.get("/staff/pupils?q=Nowak").get_data(as_text=True)
    assert "Zoë Nowak" in found
    page = staff_client.get("/staff/pupils/1").get_data(as_text=True)
    assert "Chronology for Zoë Nowak" in page
    assert "Case 1" in page and "Case 2" in page
    pdf = staff_client.get("/staff/pupils/1/chronology.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_case_actions_reach_live_dashboards(case, staff_client, staff_socket):
    staff_socket.get_received("/staff")
    post(staff_client, "/staff/reports/1/notes", text="Called home.")
    kinds = [m["args"][0]["kind"] for m in staff_socket.get_received("/staff")
             if m["name"] == "notification"]
    assert kinds == ["case.note"]


# -- staff concerns ---------------------------------------------------------

@pytest.fixture
def teacher(app):
    with app.app_context():
        create_user(get_db(), "teacher@school.example", DSL_PASSWORD, "staff")
    client = app.test_client()
    assert log_in(client, "teacher@school.example").status_code == 302
    return client


def concern(client, **fields):
    """A disclosure an adult was told this morning: a man online asking for photos."""
    return post_concern(client, **{
        "happened_roughly": "last night", "q1": ["what:pictures"], "q2": ["who:adult"],
        "words": "A man on a game asked me to send photos of me.", **fields})


def test_a_staff_concern_enters_the_same_pipeline(teacher, staff_socket, db, staff_client):
    staff_socket.get_received("/staff")
    assert concern(teacher).status_code == 302
    report = next(db.query("SELECT * FROM reports"))
    assert report["source"] == "staff" and report["urgency"] == "urgent"
    assert report["name"] == "Sam Jones" and report["happened"] == "last night"
    pushed = [m["args"][0] for m in staff_socket.get_received("/staff")
              if m["name"] == "notification"]
    # The report as any report arrives, then its record entry (how they know, what they did).
    assert [n["kind"] for n in pushed] == ["report.new", "case.staff_concern"]
    page = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "Concern logged by teacher@school.example" in page and "last night" in page


def test_a_double_submitted_concern_is_stored_once(teacher, db):
    form = teacher.get("/staff/concerns/new")
    client_id = form.get_data(as_text=True).split('name="client_id" value="')[1][:36]
    concern(teacher, client_id=client_id)
    concern(teacher, client_id=client_id)
    assert db["reports"].count == 1


@pytest.mark.parametrize("fields, message", [
    ({"words": ""}, "in their own words"),
    ({"pupil": ""}, "Give the pupil&#39;s name"),
    ({"happened_roughly": ""}, "Say when it happened"),
    ({"q1": ["nonsense"]}, "is not one of the answers"),
])
def test_an_incomplete_concern_is_refused_and_nothing_stored(teacher, db, fields, message):
    response = concern(teacher, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db["reports"].count == 0


def test_staff_see_only_their_own_concerns_and_not_the_record(app, teacher, db):
    concern(teacher)
    with app.app_context():
        create_user(get_db(), "other@school.example", DSL_PASSWORD, "staff")
    other = app.test_client()
    log_in(other, "other@school.example")
    concern(other, pupil="Alex", words="Someone pushed me.")
    mine = teacher.get("/staff/concerns").get_data(as_text=True)
    assert "Sent: waiting for the DSL" in mine and mine.count("<tr><td>") == 1
    assert "Alex" not in mine and "Sam Jones" not in mine  # a list of references, no content
    assert teacher.get("/staff/reports/2").status_code == 403


def test_a_staff_concern_is_refused_without_login(app):
    assert app.test_client().get("/staff/concerns/new").status_code == 302
