"""Several pupils on one case, each in a role: added, their role changed, taken off (as a
correction, nothing deleted); duplicates warned about; the pupil's chronology with their
role in each case; a vulnerable child said so plainly, and sooner where the rules say."""
import html
import io
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader

from helpers import a_report, csrf_from, rows
from kiosk import audit
from kiosk.db import get_db
from kiosk.safeguarding import case_pupils, pupils
from kiosk.safeguarding.cases import CaseError


def post(client, path, **form):
    token = csrf_from(client.get("/staff/account"))
    return client.post(path, data=dict(form, csrf_token=token))


def page(client, path):
    return html.unescape(client.get(path).get_data(as_text=True))


@pytest.fixture
def case(client, staff_client):
    """Report 1, acknowledged."""
    assert client.post("/api/reports", json=a_report()).status_code == 201
    assert post(staff_client, "/staff/reports/1/acknowledge").status_code == 302
    return 1


def new_pupil(app, name, **details):
    with app.app_context():
        db = get_db()
        from kiosk.db import writing
        with writing(db):
            return pupils.create(db, None, app.config["CLOCK"](), name,
                                 details.pop("year_group", ""), details,
                                 allow_duplicate=True)


def entries(app, kind):
    return rows(app, "SELECT * FROM report_events WHERE kind = ? ORDER BY id", [kind])


def test_a_case_holds_several_pupils_each_in_a_role(app, case, staff_client):
    amy, ben = new_pupil(app, "Amy Pupil"), new_pupil(app, "Ben Other")
    assert post(staff_client, "/staff/reports/1/pupil", pupil_id=str(amy)).status_code == 302
    assert post(staff_client, "/staff/reports/1/pupil", pupil_id=str(ben),
                role="alleged_perpetrator").status_code == 302
    shown = page(staff_client, "/staff/reports/1")
    assert "Amy Pupil" in shown and "Ben Other" in shown
    assert "Child at risk" in shown and "Alleged perpetrator" in shown
    # The bullying policy asks for both families to be told.
    assert "Inform parents and guardians of both perpetrator (if known) and victim." in shown
    on_case = rows(app, "SELECT pupil_id, role FROM case_pupils WHERE removed_entry IS NULL")
    assert on_case == [{"pupil_id": amy, "role": "subject"},
                       {"pupil_id": ben, "role": "alleged_perpetrator"}]
    # The first child at risk is what reports.pupil_id means.
    assert rows(app, "SELECT pupil_id FROM reports")[0]["pupil_id"] == amy
    assert [e["kind"] for e in entries(app, "pupil_added")] == ["pupil_added"] * 2
    assert rows(app, "SELECT action FROM audit WHERE action = 'case.pupil_added'")


def test_the_same_pupil_twice_on_a_case_is_refused(app, case, staff_client):
    amy = new_pupil(app, "Amy Pupil")
    post(staff_client, "/staff/reports/1/pupil", pupil_id=str(amy))
    again = post(staff_client, "/staff/reports/1/pupil", pupil_id=str(amy), role="witness")
    assert again.status_code == 409
    assert "already on this case" in html.unescape(again.get_data(as_text=True))
    assert len(entries(app, "pupil_added")) == 1


def test_an_unknown_role_or_pupil_is_refused_and_nothing_is_written(app, case, staff_client):
    amy = new_pupil(app, "Amy Pupil")
    bad_role = post(staff_client, "/staff/reports/1/pupil", pupil_id=str(amy), role="villain")
    assert bad_role.status_code == 400
    assert "Choose the pupil's role" in html.unescape(bad_role.get_data(as_text=True))
    assert post(staff_client, "/staff/reports/1/pupil", pupil_id="99").status_code == 404
    new_bad_role = post(staff_client, "/staff/reports/1/pupil", name="Cara New", role="x")
    assert new_bad_role.status_code == 400
    assert rows(app, "SELECT count(*) AS n FROM pupils")[0]["n"] == 1  # Cara was not kept
    assert rows(app, "SELECT count(*) AS n FROM case_pupils")[0]["n"] == 0


def test_linking_never_moves_a_case_off_another_pupil(app, client, case, staff_client):
    amy, ben = new_pupil(app, "Amy Pupil"), new_pupil(app, "Ben Other")
    post(staff_client, "/staff/reports/1/pupil", pupil_id=str(amy))
    post(staff_client, "/staff/reports/1/pupil", pupil_id=str(ben))  # a second child at risk
    assert rows(app, "SELECT pupil_id FROM reports")[0]["pupil_id"] == amy
    for pupil in (amy, ben):
        assert "Case 1" in page(staff_client, f"/staff/pupils/{pupil}")


def test_a_role_change_and_a_removal_are_entries_and_nothing_is_deleted(app, case,
                                                                        staff_client):
    amy, ben = new_pupil(app, "Amy Pupil"), new_pupil(app, "Ben Other")
    post(staff_client, "/staff/reports/1/pupil", pupil_id=str(amy))
    post(staff_client, "/staff/reports/1/pupil", pupil_id=str(ben), role="witness")
    assert post(staff_client, f"/staff/reports/1/pupils/{ben}/role",
                role="subject").status_code == 302
    same = post(staff_client, f"/staff/reports/1/pupils/{ben}/role", role="subject")
    assert same.status_code == 409
    no_reason = post(staff_client, f"/staff/reports/1/pupils/{amy}/remove", reason=" ")
    assert no_reason.status_code == 400
    assert post(staff_client, f"/staff/reports/1/pupils/{amy}/remove",
                reason="Amy was named by mistake: it was another Amy.").status_code == 302
    # Ben is now the first child at risk still on the case.
    assert rows(app, "SELECT pupil_id FROM reports")[0]["pupil_id"] == ben
    added = entries(app, "pupil_added")[0]
    removed = entries(app, "pupil_removed")[0]
    assert removed["corrects"] == added["id"]
    assert len(rows(app, "SELECT * FROM case_pupils")) == 2  # Amy's row kept, marked off
    shown = page(staff_client, "/staff/reports/1")
    assert "Pupil's role changed to Child at risk" in shown
    assert "Amy was named by mistake" in shown and f"Corrected by entry #{removed['id']}" in shown
    assert "Case 1" not in page(staff_client, f"/staff/pupils/{amy}")
    # Amy can be added again later: a new entry, a new row.
    assert post(staff_client, "/staff/reports/1/pupil", pupil_id=str(amy),
                role="reporter").status_code == 302
    with app.app_context():
        assert audit.verify(get_db()).ok


def test_a_new_pupil_like_one_on_record_needs_create_anyway(app, case, staff_client):
    new_pupil(app, "Amy Pupil", upn="A123456789012")
    for name, upn in (("  amy   PUPIL ", ""), ("Amelia Pupil", "a123456789012")):
        warned = post(staff_client, "/staff/reports/1/pupil", name=name, upn=upn)
        text = html.unescape(warned.get_data(as_text=True))
        assert warned.status_code == 409
        assert "Is this a pupil already on record?" in text and "Amy Pupil" in text
        assert "Create a new pupil anyway" in text
    assert rows(app, "SELECT count(*) AS n FROM pupils")[0]["n"] == 1
    made = post(staff_client, "/staff/reports/1/pupil", name="Amy Pupil", year_group="Year 3",
                create_anyway="yes")
    assert made.status_code == 302
    assert rows(app, "SELECT count(*) AS n FROM pupils")[0]["n"] == 2
    # A UPN belongs to one child, even when creating anyway.
    taken = post(staff_client, "/staff/reports/1/pupil", name="Zed", upn="A123456789012",
                 create_anyway="yes")
    assert taken.status_code == 409 and "already on record" in taken.get_data(as_text=True)


def test_a_new_pupil_is_checked(app, case, staff_client):
    for form, why in (({"name": "Cara", "upn": "12345"}, "not a UPN"),
                      ({"name": "Cara", "date_of_birth": "30/02/2015"}, "must be a date"),
                      ({"name": "Cara", "date_of_birth": "2099-01-01"}, "in the future"),
                      ({"name": ""}, "is needed")):
        refused = post(staff_client, "/staff/reports/1/pupil", **form)
        assert refused.status_code == 400 and why in html.unescape(
            refused.get_data(as_text=True)), form
    assert rows(app, "SELECT count(*) AS n FROM pupils")[0]["n"] == 0
    assert post(staff_client, "/staff/reports/1/pupil", name="Cara New", upn="b123456789012",
                date_of_birth="2015-03-04").status_code == 302
    with app.app_context():
        cara = pupils.find(get_db(), 1)
    assert (cara["upn"], cara["date_of_birth"]) == ("B123456789012", "2015-03-04")


def test_finding_a_pupil_from_the_case_page_and_adding_them(app, case, staff_client):
    amy = new_pupil(app, "Amy Pupil", upn="A123456789012", year_group="Year 4")
    found = page(staff_client, "/staff/reports/1?pupil_q=amy")
    assert "Add Amy Pupil" in found and "UPN A123456789012" in found
    assert "Add Amy Pupil" in page(staff_client, "/staff/reports/1?pupil_q=A123456789012")
    assert "No pupil on record matches" in page(staff_client, "/staff/reports/1?pupil_q=zzz")
    post(staff_client, "/staff/reports/1/pupil", pupil_id=str(amy), role="witness")
    assert "already on this case" in page(staff_client, "/staff/reports/1?pupil_q=amy")


def test_the_pupils_chronology_lists_each_case_with_their_role(app, client, case,
                                                               staff_client):
    amy = new_pupil(app, "Amy Pupil", upn="A123456789012", date_of_birth="2014-05-06")
    assert client.post("/api/reports", json=a_report()).status_code == 201
    post(staff_client, "/staff/reports/2/acknowledge")
    post(staff_client, "/staff/reports/1/pupil", pupil_id=str(amy))
    post(staff_client, "/staff/reports/2/pupil", pupil_id=str(amy), role="alleged_perpetrator")
    shown = page(staff_client, f"/staff/pupils/{amy}")
    assert "Case 1 (child at risk)" in shown and "Case 2 (alleged perpetrator)" in shown
    assert "Amy Pupil's role" in shown and "UPN A123456789012" in shown
    pdf = staff_client.get(f"/staff/pupils/{amy}/chronology.pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    text = " ".join(text.split())
    assert "Case 1 (child at risk)" in text and "Case 2 (alleged perpetrator)" in text


def test_a_case_linked_before_roles_is_the_childs_case(app, case, staff_client):
    """Older single links (and transfers in) read as the child at risk."""
    amy = new_pupil(app, "Amy Pupil")
    from helpers import tamper
    tamper(app, ("UPDATE reports SET pupil_id = ? WHERE id = 1", [amy]))
    assert "Case 1 (child at risk)" in page(staff_client, f"/staff/pupils/{amy}")


def test_a_closed_case_takes_no_pupils(app, case, staff_client):
    amy = new_pupil(app, "Amy Pupil")
    post(staff_client, "/staff/reports/1/decisions", decision="mash", reason="Referred.")
    assert post(staff_client, "/staff/reports/1/close", summary="Done").status_code == 302
    assert post(staff_client, "/staff/reports/1/pupil", pupil_id=str(amy)).status_code == 409
    assert "Add a pupil to this case" not in page(staff_client, "/staff/reports/1")


def test_add_pupil_is_one_call_for_other_forms(app, case, dsl):
    amy = new_pupil(app, "Amy Pupil")
    with app.app_context():
        db, now = get_db(), app.config["CLOCK"]()
        entry_id, notification = case_pupils.add_pupil(db, 1, dsl, now, amy, "subject")
        assert notification["kind"] == "case.pupil_added"
        with pytest.raises(CaseError):
            case_pupils.add_pupil(db, 1, dsl, now, amy, "nobody")
        assert [p["name"] for p in pupils.search(db, "pupil")] == ["Amy Pupil"]


# -- vulnerability -------------------------------------------------------------------------

def test_a_looked_after_child_is_said_so_plainly(app, case, staff_client):
    amy = new_pupil(app, "Amy Pupil", looked_after=True, send="EHC plan (E)")
    post(staff_client, "/staff/reports/1/pupil", pupil_id=str(amy))
    shown = page(staff_client, "/staff/reports/1")
    assert "Vulnerable pupil on this case: SEND, Looked after (CLA)" in shown
    assert "children's social care are currently involved" in shown
    assert "Vulnerable pupil: Amy Pupil" in shown  # the panel's warning
    entry = entries(app, "pupil_vulnerable")[0]
    assert "due_at" not in entry["detail"]  # unkind words: the rules ask for no sooner


def test_a_child_with_send_makes_a_pictures_report_urgent_and_sooner(app, client, clock,
                                                                     staff_client):
    """Policy: capacity to consent "(for example, owing to special educational needs)"."""
    assert client.post("/api/reports", json=a_report(safe=["yes"], what=["pictures"]))
    assert rows(app, "SELECT urgency FROM reports")[0]["urgency"] == "same-day"
    amy = new_pupil(app, "Amy Pupil", send="SEN support (K)")
    clock.now += timedelta(minutes=5)
    assert post(staff_client, "/staff/reports/1/pupil", pupil_id=str(amy)).status_code == 302
    entry = entries(app, "pupil_vulnerable")[0]
    shown = page(staff_client, "/staff/reports/1")
    assert "doubt about capacity to consent" in shown
    assert "Due time brought forward" in shown
    due = rows(app, "SELECT * FROM case_due")[0]
    assert due["entry_id"] == entry["id"]
    urgent = app.config["SCHOOL_DAY"]["urgent_minutes"]
    assert datetime.fromisoformat(due["due_at"]) == clock.now + timedelta(minutes=urgent)
    with app.app_context():
        row = next(get_db().query("SELECT * FROM reports WHERE id = 1"))
        assert datetime.fromisoformat(row["due_at"]) > clock.now + timedelta(minutes=urgent)
        assert case_pupils.due_at(get_db(), row) == due["due_at"]
    chronology = page(staff_client, f"/staff/pupils/{amy}")
    assert "Due time brought forward to" in chronology


def test_a_witness_with_send_is_warned_about_but_the_due_time_stays(app, client,
                                                                    staff_client):
    client.post("/api/reports", json=a_report(safe=["yes"], what=["pictures"]))
    ben = new_pupil(app, "Ben Other", send="Yes")
    post(staff_client, "/staff/reports/1/pupil", pupil_id=str(ben), role="witness")
    assert len(entries(app, "pupil_vulnerable")) == 1
    assert rows(app, "SELECT count(*) AS n FROM case_due")[0]["n"] == 0


def test_a_child_under_13_makes_a_pictures_report_urgent(app, client, staff_client):
    client.post("/api/reports", json=a_report(safe=["yes"], what=["pictures"]))
    cara = new_pupil(app, "Cara Young", date_of_birth="2016-01-01")
    post(staff_client, "/staff/reports/1/pupil", pupil_id=str(cara))
    assert "pupils here are under 13" in page(staff_client, "/staff/reports/1")
    assert rows(app, "SELECT count(*) AS n FROM case_due")[0]["n"] == 1


def test_a_child_with_no_flags_adds_no_warning(app, client, staff_client):
    client.post("/api/reports", json=a_report(safe=["yes"], what=["pictures"]))
    post(staff_client, "/staff/reports/1/pupil", name="Dan Plain")
    assert entries(app, "pupil_vulnerable") == []


def test_a_witness_with_send_made_the_child_at_risk_brings_the_case_forward(app, client,
                                                                          staff_client):
    client.post("/api/reports", json=a_report(safe=["yes"], what=["pictures"]))
    ben = new_pupil(app, "Ben Other", send="Yes")
    post(staff_client, "/staff/reports/1/pupil", pupil_id=str(ben), role="witness")
    post(staff_client, f"/staff/reports/1/pupils/{ben}/role", role="subject")
    assert len(entries(app, "pupil_vulnerable")) == 2
    assert rows(app, "SELECT count(*) AS n FROM case_due")[0]["n"] == 1
