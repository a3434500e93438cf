"""The staff concern form in staff words: how they know, the child's words, when, what
they did, immediate danger (urgency), the pupil on record, and a body map."""
import html

import pytest

from kiosk.accounts.users import create_user
from kiosk.db import get_db

from helpers import DSL_PASSWORD, csrf_from, log_in, rows

TEACHER = "teacher@school.example"


@pytest.fixture
def teacher(app):
    with app.app_context():
        create_user(get_db(), TEACHER, DSL_PASSWORD, "staff", name="Jo Teacher")
    client = app.test_client()
    assert log_in(client, TEACHER).status_code == 302
    return client


def form_fields(page):
    text = page.get_data(as_text=True)
    return {"csrf_token": csrf_from(page),
            "client_id": text.split('name="client_id" value="')[1][:36]}


def concern(client, **fields):
    """A disclosure as a teacher would log it (the clock: 18 Nov 2026, 10:30 London)."""
    data = dict(form_fields(client.get("/staff/concerns/new")),
                pupil="Sam Jones", how="disclosure",
                words="My uncle hit me with a belt last night.",
                happened_at="2026-11-17T19:00", told_at="2026-11-18T09:15",
                actions="Listened, told Sam I would pass it on, Sam is in class.",
                informed="nobody", danger="no")
    data.update(fields)
    return client.post("/staff/concerns/new", data=data)


def entries(app, kind):
    import json
    return [json.loads(e["detail"]) for e in rows(
        app, "SELECT detail FROM report_events WHERE kind = ? ORDER BY id", [kind])]


def test_the_form_asks_in_staff_words_and_not_the_pupils_questions(teacher):
    page = html.unescape(teacher.get("/staff/concerns/new").get_data(as_text=True))
    for asked in ("How do you know about this?", "The pupil told me (a disclosure)",
                  "I saw or heard something myself", "Someone else told me",
                  "exactly as they said them", "When it happened", "When you were told or saw it",
                  "What you did", "Who else you told", "Is the pupil in immediate danger?",
                  "Body map", "Front: Genitals", "Back: Bottom (buttocks)"):
        assert asked in page, asked
    for pupil_words in ("Are you safe right now?", "How do you feel?", "When did it happen?"):
        assert pupil_words not in page
    assert 'type="datetime-local"' in page


def test_a_disclosure_is_stored_as_the_report_with_its_record(app, teacher, staff_client):
    response = concern(teacher, body_map=["front.left_forearm", "back.bottom"],
                       body_map_note="Red mark, about 5 cm", q1=["what:hurt"], q2=["who:adult"])
    assert response.status_code == 302
    report = rows(app, "SELECT * FROM reports")[0]
    assert report["source"] == "staff" and report["name"] == "Sam Jones"
    assert report["words"] == "My uncle hit me with a belt last night."
    assert report["happened"] == "17 Nov 2026 19:00 GMT"
    # adult + hurt: the journey's own rule, judged the same for a staff concern.
    assert report["urgency"] == "urgent" and "adult involved + hurt or touched" in report["reasons"]
    detail = entries(app, "staff_concern")[0]
    assert detail["how"] == "disclosure" and detail["informed"] == "nobody"
    assert detail["told_at"] == "2026-11-18T09:15:00+00:00"
    marks = entries(app, "body_map")[0]
    assert [(m["side"], m["label"]) for m in marks["marks"]] == [
        ("front", "Left forearm and wrist"), ("back", "Bottom (buttocks)")]
    page = html.unescape(staff_client.get("/staff/reports/1").get_data(as_text=True))
    assert "Front: Left forearm and wrist; Back: Bottom (buttocks)" in page
    assert 'data-region="back.bottom"' in page and "region marked" in page
    assert "Told or seen at: 18 Nov 2026 09:15 GMT" in page
    assert "What they did: Listened" in page
    pdf_text = html.unescape(staff_client.get("/staff/reports/1/chronology").get_data(as_text=True))
    assert "Front: Left forearm and wrist; Back: Bottom (buttocks)" in pdf_text


@pytest.mark.parametrize("danger, urgency, reason", [
    ("yes", "urgent", "the member of staff says the pupil may be in immediate danger"),
    ("not_sure", "same-day", "the member of staff is not sure the pupil is safe now"),
    ("no", "same-day", "every worry is seen the same day"),
])
def test_immediate_danger_sets_the_urgency(app, teacher, danger, urgency, reason):
    assert concern(teacher, danger=danger, words="I don't like PE.").status_code == 302
    report = rows(app, "SELECT urgency, reasons FROM reports")[0]
    assert report["urgency"] == urgency and reason in report["reasons"]


def test_the_pupil_is_found_on_record_and_linked(app, db, dsl, teacher, staff_client, clock):
    db["pupils"].insert({"name": "Sam Jones", "year_group": "Year 5",
                         "created_at": clock().isoformat(), "created_by": dsl["id"]})
    fields = dict(form_fields(teacher.get("/staff/concerns/new")), pupil="Sam", find="1",
                  words="I am scared of going home.")
    found = teacher.post("/staff/concerns/new", data=fields)
    page = html.unescape(found.get_data(as_text=True))
    assert found.status_code == 200 and "Sam Jones (Year 5)" in page
    assert "I am scared of going home." in page  # nothing typed is lost by looking
    assert rows(app, "SELECT count(*) AS n FROM reports")[0]["n"] == 0
    assert concern(teacher, pupil="", pupil_id="1").status_code == 302
    report = rows(app, "SELECT pupil_id, name FROM reports")[0]
    assert report == {"pupil_id": 1, "name": "Sam Jones"}
    assert entries(app, "pupil_added")[0]["name"] == "Sam Jones"


def test_an_observed_concern_needs_what_was_seen_not_words(app, teacher):
    assert concern(teacher, how="observed", words="", seen="").status_code == 400
    assert concern(teacher, how="observed", words="",
                   seen="Bruises on both upper arms when changing for PE.").status_code == 302
    assert entries(app, "staff_concern")[0]["seen"].startswith("Bruises")


@pytest.mark.parametrize("fields, message", [
    ({"how": ""}, "Say how you know about this"),
    ({"words": ""}, "in their own words"),
    ({"how": "told_by_other", "told_by": ""}, "Say who told you"),
    ({"pupil": ""}, "Give the pupil's name"),
    ({"told_at": ""}, "Give the date and time you were told"),
    ({"told_at": "2026-11-19T09:00"}, "is in the future"),
    ({"told_at": "yesterday"}, "give a date and time"),
    ({"happened_at": "", "happened_roughly": ""}, "Say when it happened"),
    ({"happened_at": "2026-11-18T10:00"}, "cannot have happened after you were told"),
    ({"actions": ""}, "Say what you did"),
    ({"informed": ""}, "Say who else you told"),
    ({"danger": "maybe"}, "immediate danger"),
    ({"q1": ["what:nonsense"]}, "is not one of the answers"),
    ({"body_map": ["front.tail"]}, "is not a region on the body map"),
    ({"pupil_id": "99"}, "That pupil is not on record"),
])
def test_an_incomplete_concern_is_refused_and_nothing_stored(app, teacher, fields, message):
    response = concern(teacher, **fields)
    assert response.status_code == 400
    assert message in html.unescape(response.get_data(as_text=True))
    assert rows(app, "SELECT count(*) AS n FROM reports")[0]["n"] == 0
    assert rows(app, "SELECT count(*) AS n FROM report_events")[0]["n"] == 0


def test_a_refused_concern_keeps_what_was_typed(teacher):
    response = concern(teacher, actions="", body_map=["front.chest"])
    page = response.get_data(as_text=True)
    assert "My uncle hit me with a belt last night." in page
    assert 'value="front.chest" data-region="front.chest" checked' in page


def test_a_double_submitted_concern_is_stored_once(app, teacher):
    page = teacher.get("/staff/concerns/new")
    same = form_fields(page)["client_id"]
    concern(teacher, client_id=same, body_map=["front.chest"])
    concern(teacher, client_id=same, body_map=["front.chest"])
    assert rows(app, "SELECT count(*) AS n FROM reports")[0]["n"] == 1
    assert len(entries(app, "staff_concern")) == len(entries(app, "body_map")) == 1


def test_staff_see_only_a_reference_and_status_not_the_record(app, teacher):
    concern(teacher)
    mine = teacher.get("/staff/concerns").get_data(as_text=True)
    assert "Sent: waiting for the DSL" in mine and "Sam Jones" not in mine
    assert teacher.get("/staff/reports/1").status_code == 403


def test_when_it_happened_may_be_given_roughly(app, teacher, staff_client):
    assert concern(teacher, happened_at="", happened_roughly="over the weekend").status_code == 302
    assert rows(app, "SELECT happened FROM reports")[0]["happened"] == "over the weekend"
    page = html.unescape(staff_client.get("/staff/reports/1").get_data(as_text=True))
    assert "When it happened: over the weekend. Told or seen at" in page and "()" not in page


def test_a_form_file_naming_an_answer_the_journey_lacks_is_refused(app):
    from kiosk.safeguarding import concern_form
    from kiosk.services import services
    data = {"how": {"question": "How?", "options": [{"id": "a", "label": "A"}]},
            "danger": {"question": "Danger?", "options": [{"id": "no", "label": "No"}]},
            "question": [{"question": "What?", "options": [
                {"answer": "what:dragons", "label": "Dragons"}]}]}
    with app.app_context(), pytest.raises(concern_form.FormError, match="what:dragons"):
        concern_form.parse(data, services().content)


def test_a_body_map_file_with_a_region_twice_is_refused():
    from kiosk.safeguarding import body_map
    region = {"id": "chest", "label": "Chest", "box": [0, 0, 10, 10]}
    with pytest.raises(body_map.BodyMapError, match="front.chest"):
        body_map.parse({"side": [{"id": "front", "label": "Front", "regions": [region, region]}]})


def test_the_schools_categories_are_suggested_and_left_to_the_dsl(app, teacher, staff_client):
    from kiosk.safeguarding import categories
    with app.app_context():
        first = categories.catalogue()[0]
    page = html.unescape(teacher.get("/staff/concerns/new").get_data(as_text=True))
    assert "The DSL team decides the case's categories" in page and first.label in page
    assert concern(teacher, category=[first.code]).status_code == 302
    assert entries(app, "staff_concern")[0]["suggested_categories"] == [
        {"code": first.code, "label": first.label}]
    case = html.unescape(staff_client.get("/staff/reports/1").get_data(as_text=True))
    assert f"Categories suggested: {first.label}" in case
    assert concern(teacher, category=["no_such_category"]).status_code == 400
