"""Nudes and semi-nudes on a case: the initial review meeting, the viewing record, staff
support, devices locked away and handed to the police, the deletion deadline, crime
reference numbers and the decision reviewed; each a timed, attributed entry in the record."""
import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from helpers import DSL_EMAIL, DSL_PASSWORD, a_report, csrf_from, log_in
from kiosk.accounts.users import create_user
from kiosk.db import get_db
from kiosk.safeguarding import imagery, tasks

REVIEW = {"attended": "DSL, head teacher, head of year 9",
          **{f"q.{key}": "no" for key, _ in imagery.QUESTIONS + imagery.CRITERIA},
          "q.immediate_risk": "unknown", "q.immediate_risk.note": "Pupil upset, not unsafe",
          "q.shared_widely": "yes", "q.shared_widely.note": "Snapchat group of six"}
VIEWING = {"present": "Mrs Head (head teacher)", "reason": "unavoidable",
           "why": "The pupil showed it to me on her phone before I could stop her.",
           "next": "Phone switched off and locked away; police called on 101.",
           "discussed_with_head": "yes", "same_sex": "yes", "confirm": "on"}
DEVICE = {"device": "Pupil's black iPhone", "switched_off": "on", "locked": "on",
          "where": "the head's safe", "held_by": "Mrs Head"}


def post(client, path, **form):
    token = csrf_from(client.get("/staff/account"))
    return client.post(path, data=dict(form, csrf_token=token))


def page(client, report_id=1):
    return client.get(f"/staff/reports/{report_id}").get_data(as_text=True)


def kinds(db, report_id=1):
    return [row["kind"] for row in db.query(
        "SELECT kind FROM report_events WHERE report_id = ? ORDER BY id", [report_id])]


def user_client(app, email, role):
    with app.app_context():
        create_user(get_db(), email, DSL_PASSWORD, role)
    client = app.test_client()
    assert log_in(client, email).status_code == 302
    return client


@pytest.fixture
def case(client, staff_client):
    """Report 1 from the kiosk, acknowledged by the DSL."""
    assert client.post("/api/reports", json=a_report()).status_code == 201
    assert post(staff_client, "/staff/reports/1/acknowledge").status_code == 302
    return 1


def step(client, name, **form):
    return post(client, f"/staff/reports/1/imagery/{name}", **form)


def test_the_initial_review_answers_every_question_once(case, staff_client, db):
    assert step(staff_client, "review", **REVIEW).status_code == 302
    entry = next(db.query("SELECT * FROM report_events WHERE kind = 'imagery_review'"))
    assert entry["by_user"] == 1 and entry["at"].startswith("2026-11-18T10:30")
    html = page(staff_client)
    assert "Imagery: initial review meeting" in html
    assert "Whether there is an immediate risk to a young person or young people: Not known " \
           "(Pupil upset, not unsafe)" in html
    assert "via what services and/or platforms (this may be unknown): Yes (Snapchat group" in html
    assert "No criterion for immediate referral was answered yes" in html
    again = step(staff_client, "review", **REVIEW)
    assert again.status_code == 409 and "already recorded" in again.get_data(as_text=True)
    assert kinds(db).count("imagery_review") == 1


@pytest.mark.parametrize("change, message", [
    ({"q.parents": ""}, "answer yes, no or not known to &#34;Whether to contact parents"),
    ({"q.under_13": "maybe"}, "answer yes, no or not known to &#34;The imagery involves"),
    ({"attended": " "}, "Who attended the meeting is needed"),
])
def test_an_incomplete_review_is_refused_and_nothing_written(case, staff_client, db, change,
                                                              message):
    before = kinds(db)
    response = step(staff_client, "review", **dict(REVIEW, **change))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert kinds(db) == before


def test_criteria_met_at_the_review_need_a_referral_before_closing(app, case, staff_client,
                                                                   db):
    step(staff_client, "review", **dict(REVIEW, **{"q.adult": "yes"}))
    assert "CRITERIA FOR IMMEDIATE REFERRAL MET: The incident involves an adult" in page(
        staff_client)
    post(staff_client, "/staff/reports/1/decisions", decision="not_referred",
         reason="Pastoral support.")
    head = user_client(app, "head@school.example", "head")
    assert post(head, "/staff/reports/1/sign-off", comment="").status_code == 302
    refused = post(staff_client, "/staff/reports/1/close", summary="Done.")
    assert refused.status_code == 409
    assert "record the referral to the police" in refused.get_data(as_text=True)
    post(staff_client, "/staff/reports/1/decisions", decision="police_101",
         reason="An adult asked for the images.", **{"police_101.crime_reference": "CR/1234/26"})
    assert post(staff_client, "/staff/reports/1/close", summary="Police lead.").status_code == 302
    assert "Crime reference number: CR/1234/26" in page(staff_client)


def test_the_viewing_record_is_signed_and_dated_by_the_viewer(case, staff_client, db):
    assert step(staff_client, "viewing", **VIEWING).status_code == 302
    html = page(staff_client)
    assert "Imagery viewed: viewing record, signed and dated" in html
    assert "Viewed by dsl@school.example. Also present: Mrs Head (head teacher)." in html
    assert "presented it to a member of staff" in html
    assert "The viewer was the same sex as the young person" in html
    assert ("Signed and dated: dsl@school.example (Designated Safeguarding Lead), "
            "18 November 2026 at 10:30 GMT") in html
    assert "Viewing should be avoided." in html


@pytest.mark.parametrize("change, message", [
    ({"confirm": ""}, "Tick &#34;I confirm&#34;"),
    ({"same_sex": "no"}, "Why the viewer was not the same sex as the young person is needed"),
    ({"present": ""}, "Who else was present is needed"),
    ({"reason": "curious"}, "Why viewing was necessary: choose one of"),
    ({"next": ""}, "What happened next is needed"),
])
def test_an_incomplete_viewing_record_is_refused(case, staff_client, db, change, message):
    response = step(staff_client, "viewing", **dict(VIEWING, **change))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert "imagery_viewing" not in kinds(db)


def test_a_viewer_of_another_sex_gives_the_reason(case, staff_client):
    step(staff_client, "viewing", **dict(VIEWING, same_sex="no",
                                         not_same_sex_reason="No female DSL in school today."))
    assert "not the same sex as the young person, because: No female DSL" in page(staff_client)


def test_support_for_staff_who_viewed_is_its_own_entry(case, staff_client, db):
    support = "Talked it through; offered the employee assistance line."
    assert step(staff_client, "staff-support", staff="Mr IT (network manager)",
                support=support).status_code == 302
    assert "Imagery: support offered to Mr IT (network manager), who viewed it" in page(
        staff_client)
    assert step(staff_client, "staff-support", staff="Mr IT", support="").status_code == 400
    assert kinds(db).count("imagery_staff_support") == 1


@pytest.mark.parametrize("change, message", [
    ({"switched_off": ""}, "The device must be switched off"),
    ({"locked": ""}, "must be placed under lock and key"),
    ({"where": ""}, "Where it is locked away is needed"),
])
def test_a_device_is_refused_unless_switched_off_and_locked(case, staff_client, db, change,
                                                            message):
    response = step(staff_client, "device", **dict(DEVICE, **change))
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert "imagery_device_secured" not in kinds(db)


def test_a_locked_away_device_is_handed_to_the_police(case, staff_client, db, clock):
    assert step(staff_client, "device", **DEVICE).status_code == 302
    assert "Device switched off and locked away: Pupil&#39;s black iPhone" in page(staff_client)
    device = kinds(db).index("imagery_device_secured") + 1  # entry ids count from 1
    clock.now += timedelta(minutes=20)
    handed = dict(device_entry=str(device), officer="PC Jones", officer_number="4471")
    for when in ("2026-11-18T10:00", "2026-11-18T11:30", "soon"):  # before, future, nonsense
        assert step(staff_client, "device/handed", handed_at=when, **handed).status_code == 400
    assert step(staff_client, "device/handed", handed_at="2026-11-18T10:45",
                **dict(handed, officer_number="")).status_code == 400
    assert "imagery_device_handed" not in kinds(db)
    assert step(staff_client, "device/handed", handed_at="2026-11-18T10:45",
                **handed).status_code == 302
    html = page(staff_client)
    assert "Device handed to the police: Pupil&#39;s black iPhone" in html
    assert "Collected by PC Jones (number 4471) on 18 November 2026 at 10:45 GMT" in html
    again = step(staff_client, "device/handed", handed_at="2026-11-18T10:45", **handed)
    assert again.status_code == 409 and "already handed" in again.get_data(as_text=True)


def test_the_deletion_deadline_is_an_entry_and_a_due_date(case, staff_client, db):
    def tasks_now():
        return list(db.query("SELECT kind, title, owner_id, due_date FROM case_tasks"))
    form = {"deadline": "2026-11-20", "told": "Pupils A and B", "reminded": "on"}
    assert step(staff_client, "deletion-deadline", **dict(form, deadline="2026-11-17")
                ).status_code == 400
    assert step(staff_client, "deletion-deadline", **dict(form, deadline="Friday")
                ).status_code == 400
    assert step(staff_client, "deletion-deadline", **dict(form, reminded="")).status_code == 400
    assert tasks_now() == [] and "imagery_deletion_deadline" not in kinds(db)
    assert step(staff_client, "deletion-deadline", **form).status_code == 302
    assert "Imagery: deletion deadline Friday 20 November 2026" in page(staff_client)
    (task,) = tasks_now()  # a task on the case, due that day, owned by whoever recorded it
    assert (task["kind"], task["due_date"], task["owner_id"]) == ("task", "2026-11-20", 1)
    assert "Pupils A and B" in task["title"]


def test_the_decision_is_reviewed_with_an_outcome_and_a_next_date(case, staff_client, db):
    form = {"reviewers": "DSL and head teacher", "outcome": "keeps",
            "text": "Images deleted; no new concerns.", "next_review": "2026-12-02"}
    refused = step(staff_client, "decision-review", decision_entry="2", **form)
    assert refused.status_code == 400 and "record a decision first" in refused.get_data(
        as_text=True)
    post(staff_client, "/staff/reports/1/decisions", decision="not_referred",
         reason="Consensual, no malice; managed in school.")
    decision = kinds(db).index("decision") + 1
    for change in ({"outcome": "maybe"}, {"next_review": "2026-11-01"}, {"reviewers": ""}):
        assert step(staff_client, "decision-review", decision_entry=str(decision),
                    **dict(form, **change)).status_code == 400
    assert "imagery_decision_reviewed" not in kinds(db)
    assert step(staff_client, "decision-review", decision_entry=str(decision),
                **form).status_code == 302
    html = page(staff_client)
    assert ("Decision reviewed: Decided not to refer to police or children&#39;s social care"
            in html)
    assert "The decision stands" in html and "Next review by Wednesday 02 December 2026" in html


@pytest.mark.parametrize("role", ["staff", "it"])
def test_staff_and_it_cannot_record_imagery_steps(app, case, db, role):
    other = user_client(app, f"{role}@school.example", role)
    before = kinds(db)
    for name, form in (("review", REVIEW), ("viewing", VIEWING), ("device", DEVICE),
                       ("staff-support", {"staff": "x", "support": "y"})):
        token = csrf_from(other.get("/staff/account"))
        response = other.post(f"/staff/reports/1/imagery/{name}",
                              data=dict(form, csrf_token=token))
        assert response.status_code == 403, name
    assert kinds(db) == before


def test_steps_wait_for_acknowledgement(client, staff_client, db):
    client.post("/api/reports", json=a_report())
    response = step(staff_client, "device", **DEVICE)
    assert response.status_code == 409 and "Acknowledge the report first" in response.get_data(
        as_text=True)
    assert 'id="imagery"' not in page(staff_client)


def test_a_closed_case_shows_its_imagery_record_read_only(case, staff_client, db):
    step(staff_client, "device", **DEVICE)
    post(staff_client, "/staff/reports/1/decisions", decision="police_999", reason="Threats.")
    post(staff_client, "/staff/reports/1/close", summary="Police took over.")
    html = page(staff_client)
    assert 'id="imagery-state"' in html and "locked away at the head&#39;s safe" in html
    assert "Record device locked away" not in html
    refused = step(staff_client, "staff-support", staff="Mr IT", support="Talked it through.")
    assert refused.status_code == 409 and "is closed" in refused.get_data(as_text=True)


def test_an_open_case_offers_the_steps_and_a_closed_one_without_imagery_hides_them(
        case, staff_client):
    assert "Record the initial review meeting" in page(staff_client)
    post(staff_client, "/staff/reports/1/decisions", decision="police_999", reason="Threats.")
    post(staff_client, "/staff/reports/1/close", summary="Police took over.")
    assert 'id="imagery"' not in page(staff_client)


def test_the_pdf_chronology_prints_every_imagery_step(case, staff_client, clock):
    step(staff_client, "review", **REVIEW)
    step(staff_client, "viewing", **VIEWING)
    step(staff_client, "staff-support", staff="Mr IT", support="Offered counselling.")
    step(staff_client, "device", **DEVICE)
    clock.now += timedelta(minutes=10)
    step(staff_client, "device/handed", device_entry="5", officer="PC Jones",
         officer_number="4471", handed_at="2026-11-18T10:35")
    step(staff_client, "deletion-deadline", deadline="2026-11-20", told="Pupils A and B",
         reminded="on")
    decided = post(staff_client, "/staff/reports/1/decisions", decision="ceop",
                   reason="Shared by an adult.", **{"ceop.crime_reference": "CEOP-99"})
    decision = decided.location.rsplit("#entry-", 1)[1]
    step(staff_client, "decision-review", decision_entry=decision, reviewers="DSL", outcome="keeps",
         text="Still right.", next_review="2026-12-01")
    pdf = staff_client.get("/staff/reports/1/chronology.pdf")
    text = re.sub(r"\s+", " ", " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages))
    for expected in ("Imagery: initial review meeting", "Attended: DSL, head teacher",
                     "Signed and dated: dsl@school.example", "support offered to Mr IT",
                     "Device switched off and locked away", "Device handed to the police",
                     "PC Jones (number 4471)", "deletion deadline Friday 20 November 2026",
                     "Crime reference number: CEOP-99", "Decision reviewed: Reported to CEOP"):
        assert expected in text, expected
