"""Immediate referral (UKCIS criteria, as the policies adopt them): a case that met the
criteria cannot close without a referral, or the DSL's reason for not referring that
quotes the criteria and the head's sign-off of that very reason."""
import sqlite3

import pytest

from helpers import DSL_PASSWORD, a_report, csrf_from, log_in, rows
from kiosk.accounts.users import create_user
from kiosk.content.loading import ContentError, load_content
from kiosk.db import get_db

HEAD = "head@school.example"
DEPUTY = "deputy@school.example"
HARM = ("There is reason to believe a young person is at immediate risk of harm, for "
        "example presenting as suicidal or self-harming")
ADULT = "The incident involves an adult"


def post(client, path, **form):
    token = csrf_from(client.get("/staff/account"))
    return client.post(path, data=dict(form, csrf_token=token))


def entries(app, report_id=1):
    return rows(app, "SELECT * FROM report_events WHERE report_id = ? ORDER BY id",
                [report_id])


def status(app, report_id=1):
    return rows(app, "SELECT status FROM reports WHERE id = ?", [report_id])[0]["status"]


@pytest.fixture
def head_client(app):
    with app.app_context():
        create_user(get_db(), HEAD, DSL_PASSWORD, "head")
    client = app.test_client()
    assert log_in(client, HEAD).status_code == 302
    return client


@pytest.fixture
def urgent_case(client, staff_client):
    """Report 1: the pupil says they are not safe now, and an adult hurt them."""
    sent = client.post("/api/reports", json=a_report(
        safe=["no"], what=["hurt"], who=["adult"], when=["today"]))
    assert sent.status_code == 201, sent.get_data(as_text=True)
    assert post(staff_client, "/staff/reports/1/acknowledge").status_code == 302
    return 1


def test_the_criteria_met_are_stored_with_the_report_when_it_arrives(app, urgent_case):
    stored = rows(app, "SELECT referral_criteria FROM reports WHERE id = 1")[0]
    assert '"harm"' in stored["referral_criteria"] and '"adult"' in stored["referral_criteria"]


def test_a_same_day_report_meets_no_criteria_and_closes_as_before(app, client, staff_client,
                                                                   head_client):
    assert client.post("/api/reports", json=a_report()).status_code == 201
    assert rows(app, "SELECT referral_criteria FROM reports")[0]["referral_criteria"] == ""
    post(staff_client, "/staff/reports/1/acknowledge")
    page = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "Met the criteria for immediate referral" not in page
    post(staff_client, "/staff/reports/1/decisions", decision="nfa", reason="Sorted.")
    post(head_client, "/staff/reports/1/sign-off")
    assert post(staff_client, "/staff/reports/1/close", summary="Done.").status_code == 302


def test_the_stored_criteria_can_never_change(app, urgent_case):
    conn = sqlite3.connect(app.config["DATABASE"])
    with pytest.raises(sqlite3.IntegrityError, match="cannot be changed"):
        conn.execute("UPDATE reports SET referral_criteria = '' WHERE id = 1")
    conn.close()


def test_the_case_page_warns_with_the_criteria(urgent_case, staff_client):
    page = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "Met the criteria for immediate referral" in page
    assert HARM in page and ADULT in page
    assert "No referral recorded." in page


def test_no_close_without_a_referral_or_a_reason(app, urgent_case, staff_client, head_client):
    # The ordinary "decided not to refer" with the head's generic sign-off is not enough.
    post(staff_client, "/staff/reports/1/decisions", decision="not_referred",
         reason="Handled in school.")
    assert post(head_client, "/staff/reports/1/sign-off", comment="ok").status_code == 302
    refused = post(staff_client, "/staff/reports/1/close", summary="Done.")
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "met the criteria for immediate referral" in text and ADULT in text
    assert status(app) == "acknowledged"
    assert rows(app, "SELECT target FROM audit WHERE action = 'refused' ORDER BY id DESC")[0][
        "target"] == "report:1"


def test_a_referral_in_force_lets_it_close(app, urgent_case, staff_client):
    post(staff_client, "/staff/reports/1/decisions", decision="mash",
         reason="Referred to MASH by phone.")
    assert "A referral is recorded." in staff_client.get("/staff/reports/1").get_data(
        as_text=True)
    assert post(staff_client, "/staff/reports/1/close", summary="Referred.").status_code == 302
    assert status(app) == "closed"


def test_a_corrected_referral_no_longer_counts(app, urgent_case, staff_client):
    post(staff_client, "/staff/reports/1/decisions", decision="mash", reason="Referred.")
    mash = [e for e in entries(app) if e["kind"] == "decision"][0]["id"]
    post(staff_client, "/staff/reports/1/decisions", decision="internal_support",
         reason="Wrong case: support in school only.", corrects=str(mash))
    assert post(staff_client, "/staff/reports/1/close", summary="x").status_code == 409


def test_reason_then_the_heads_sign_off_of_that_entry_lets_it_close(app, urgent_case,
                                                                     staff_client, head_client):
    post(staff_client, "/staff/reports/1/decisions", decision="internal_support",
         reason="Pastoral plan.")
    made = post(staff_client, "/staff/reports/1/referral/reason",
                reason="Police already attended at home last night; CSC lead informed.")
    assert made.status_code == 302
    reason = entries(app)[-1]
    assert reason["kind"] == "referral_not_made"
    page = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "Not referring despite the criteria for immediate referral" in page
    assert f"Criteria met: {HARM}; {ADULT}" in page or f"Criteria met: {ADULT}; {HARM}" in page
    assert f"waits for the head teacher's sign-off" in page
    assert post(staff_client, "/staff/reports/1/close", summary="x").status_code == 409

    # The head sees their form naming the entry, and signs that entry off.
    head_page = head_client.get("/staff/reports/1").get_data(as_text=True)
    assert f"Sign off entry {reason['id']}" in head_page
    signed = post(head_client, "/staff/reports/1/referral/sign-off", entry=str(reason["id"]),
                  comment="Agreed: police already involved.")
    assert signed.status_code == 302
    last = entries(app)[-1]
    assert last["kind"] == "referral_not_made_signed" and f'"signs_off": {reason["id"]}' in last["detail"]
    # That one signature also signs off the decision not to refer: nothing more to sign.
    assert post(head_client, "/staff/reports/1/sign-off", comment="Agreed.").status_code == 409
    assert post(staff_client, "/staff/reports/1/close", summary="Closed.").status_code == 302
    assert status(app) == "closed"
    chronology = staff_client.get("/staff/reports/1/chronology").get_data(as_text=True)
    assert f"Signed off entry {reason['id']}" in chronology


def test_a_newer_reason_needs_its_own_sign_off(app, urgent_case, staff_client, head_client):
    post(staff_client, "/staff/reports/1/decisions", decision="internal_support", reason="x")
    post(staff_client, "/staff/reports/1/referral/reason", reason="First reason.")
    first = entries(app)[-1]["id"]
    post(staff_client, "/staff/reports/1/referral/reason", reason="Better reason.")
    second = entries(app)[-1]["id"]
    stale = post(head_client, "/staff/reports/1/referral/sign-off", entry=str(first))
    assert stale.status_code == 409
    assert f"replaced by a newer reason (entry {second})" in stale.get_data(as_text=True)
    assert post(head_client, "/staff/reports/1/referral/sign-off", entry=str(second)).status_code == 302
    again = post(head_client, "/staff/reports/1/referral/sign-off", entry=str(second))
    assert again.status_code == 409 and "already signed off" in again.get_data(as_text=True)
    # A reason written after the sign-off is not covered by it.
    post(staff_client, "/staff/reports/1/referral/reason", reason="Third thoughts.")
    assert post(staff_client, "/staff/reports/1/close", summary="x").status_code == 409


@pytest.mark.parametrize("form, status_code, message", [
    ({}, 400, "Give the entry number"),
    ({"entry": "abc"}, 400, "must be a number"),
    ({"entry": "1"}, 400, "is not a reason for not referring on this case"),
    ({"entry": "999"}, 400, "is not a reason for not referring on this case"),
])
def test_bad_sign_off_input_is_refused_and_nothing_written(app, urgent_case, staff_client,
                                                           head_client, form, status_code,
                                                           message):
    post(staff_client, "/staff/reports/1/referral/reason", reason="A reason.")
    before = len(entries(app))
    refused = post(head_client, "/staff/reports/1/referral/sign-off", **form)
    assert refused.status_code == status_code
    assert message in refused.get_data(as_text=True)
    assert len(entries(app)) == before


def test_only_the_head_signs_and_only_the_dsl_team_writes_the_reason(app, urgent_case,
                                                                     staff_client, head_client):
    refused = post(head_client, "/staff/reports/1/referral/reason", reason="Mine.")
    assert refused.status_code == 403 and "Only the DSL" in refused.get_data(as_text=True)
    post(staff_client, "/staff/reports/1/referral/reason", reason="A reason.")
    entry = entries(app)[-1]["id"]
    not_head = post(staff_client, "/staff/reports/1/referral/sign-off", entry=str(entry))
    assert not_head.status_code == 403
    assert "Only the head teacher" in not_head.get_data(as_text=True)
    assert entries(app)[-1]["id"] == entry


def test_a_reason_is_needed_and_not_for_a_case_without_criteria(app, client, urgent_case,
                                                                staff_client):
    empty = post(staff_client, "/staff/reports/1/referral/reason", reason="  ")
    assert empty.status_code == 400 and "reason for not referring is needed" in empty.get_data(
        as_text=True)
    assert client.post("/api/reports", json=a_report()).status_code == 201
    post(staff_client, "/staff/reports/2/acknowledge")
    none = post(staff_client, "/staff/reports/2/referral/reason", reason="x")
    assert none.status_code == 409 and "did not meet the criteria" in none.get_data(as_text=True)


def test_every_urgent_rule_names_a_criterion(content_dir, symbols):
    content = load_content(content_dir, symbols)
    assert all(r.refer for r in content.rules if r.level == "urgent")
    assert not any(r.refer for r in content.rules if r.level != "urgent")


@pytest.mark.parametrize("old, new, message", [
    ('level = "urgent"\nrefer = "harm"\n', 'level = "urgent"\n',
     "rule 'not-safe-now': an urgent rule must name the referral criterion"),
    ('refer = "harm"', 'refer = "panic"', "refer = 'panic' is not one of the \\[criteria\\]"),
    ('level = "same-day"\n', 'level = "same-day"\nrefer = "harm"\n',
     "only an urgent rule meets a referral criterion"),
    ('adult = "The incident involves an adult"', 'adult = ""', "criteria.adult must be"),
])
def test_the_content_checker_refuses_bad_criteria(content_dir, symbols, old, new, message):
    path = content_dir / "urgency.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ContentError, match=message):
        load_content(content_dir, symbols)
