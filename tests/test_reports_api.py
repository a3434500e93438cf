"""Sending a report: stored once, durably, with triage; bad input stores nothing."""
import json

import pytest

from helpers import a_report, kiosk_device
from kiosk import DEFAULT_SCHOOL_DAY, create_app
from kiosk.db import get_db
from kiosk.safeguarding.exports.counts import counts
from kiosk.safeguarding.reports import open_reports, summary


def count(db, table="reports"):
    return db[table].count


def test_send_stores_report_with_urgency_reasons_and_due_time(client, db):
    response = client.post("/api/reports", json=a_report(
        safe=["yes"], what=["pictures"], who=["adult"]) | {"words": "he said send pics"})
    assert response.status_code == 201
    assert response.json["status"] == "stored"
    report = next(db.query("SELECT * FROM reports"))
    assert report["urgency"] == "urgent"
    assert "adult involved + asked for pictures" in json.loads(report["reasons"])
    assert report["due_at"] == "2026-11-18T10:40:00+00:00"  # ten minutes, urgent
    assert report["words"] == "he said send pics"
    assert report["name"] == "" and report["status"] == "new"


def test_same_day_report_is_due_at_the_cut_off(client, db):
    client.post("/api/reports", json=a_report())
    report = next(db.query("SELECT * FROM reports"))
    assert report["urgency"] == "same-day"
    assert report["due_at"] == "2026-11-18T15:00:00+00:00"


def test_report_keeps_what_the_pupil_saw(client, db):
    client.post("/api/reports", json=a_report(what=["unkind", "online"]))
    choices = json.loads(next(db.query("SELECT choices FROM reports"))["choices"])
    assert choices == [
        {"page": "what", "question": "What happened?", "tile": "unkind",
         "label": "Someone was unkind", "concept": "unkind"},
        {"page": "what", "question": "What happened?", "tile": "online",
         "label": "Something online upset me", "concept": "online"},
    ]


def test_retried_send_is_stored_once(client, db):
    report = a_report()
    first = client.post("/api/reports", json=report)
    again = client.post("/api/reports", json=report)
    assert (first.status_code, again.status_code) == (201, 200)
    # The same answer, but for the hearing-back pictures: given once, on the first store
    # (the server keeps only their hash, so a retry cannot be told them again).
    said, said_again = dict(first.json), dict(again.json)
    assert len(said.pop("hearing_code")) == 3 and said_again.pop("hearing_code") is None
    assert said == said_again
    assert count(db) == 1
    assert count(db, "notifications") == 1  # and the DSL is told once


def test_name_is_kept_only_when_given(client, db):
    client.post("/api/reports", json=a_report() | {"name": "  Sam  "})
    assert next(db.query("SELECT name FROM reports"))["name"] == "Sam"


def test_kiosk_can_read_no_report(client):
    client.post("/api/reports", json=a_report())
    assert client.get("/api/reports").status_code == 405
    assert client.get("/staff/reports/1").status_code == 302  # to the staff login
    assert client.get("/staff/api/notifications?since=0").status_code == 401  # JSON: log in


BAD = [
    ({"client_id": None, "answers": {"safe": ["yes"]}}, "'client_id' must be a random UUID"),
    ({"client_id": "1234", "answers": {"safe": ["yes"]}}, "'client_id' must be a random UUID"),
    ({"answers": {"safe": ["yes"]}, "sneaky": 1}, "unexpected field 'sneaky'"),
    ({}, "missing field 'answers'"),
    ({"answers": {}}, "'answers' must be a non-empty object"),
    ({"answers": []}, "'answers' must be a non-empty object"),
    ({"answers": {"safe": []}}, "a report needs at least one answer"),
    ({"answers": {"nowhere": ["yes"]}}, "unknown page 'nowhere'"),
    ({"answers": {"safe": ["maybe"]}}, "unknown tile 'maybe' on page 'safe'"),
    ({"answers": {"safe": ["yes", "no"]}}, "page 'safe' takes one answer"),
    ({"answers": {"what": ["unkind", "unkind"]}}, "a tile is chosen twice"),
    ({"answers": {"what": "unkind"}}, "must be a list of tile ids"),
    ({"answers": {"review": ["x"]}}, "page 'review' does not take answers"),
    ({"answers": {"safe": ["yes"]}, "words": "x" * 2001}, "'words' is too long"),
    ({"answers": {"safe": ["yes"]}, "name": "x" * 81}, "'name' is too long"),
    ({"answers": {"safe": ["yes"]}, "words": 42}, "'words' must be text"),
]


@pytest.mark.parametrize("change, message", BAD)
def test_bad_report_is_refused_and_nothing_stored(client, db, change, message):
    body = {"client_id": a_report()["client_id"]} | change
    response = client.post("/api/reports", json=body)
    assert response.status_code == 400
    assert message in response.json["error"]
    assert count(db) == 0 and count(db, "notifications") == 0


@pytest.mark.parametrize("data, content_type, message", [
    ("{not json", "application/json", "the report must be JSON"),
    ("[1, 2]", "application/json", "the report must be a JSON object"),
    ("answers=1", "application/x-www-form-urlencoded", "the report must be JSON"),
])
def test_malformed_body_is_refused(client, db, data, content_type, message):
    response = client.post("/api/reports", data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.json["error"] == message
    assert count(db) == 0


def test_huge_body_is_refused_with_plain_words(client, db):
    response = client.post("/api/reports", data="x" * 100_000, content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"] == "That is too much to send at once."
    assert count(db) == 0


def test_pupil_sees_words_not_a_stack_trace(client):
    page = client.get("/kiosk/nowhere")
    html = page.get_data(as_text=True)
    assert page.status_code == 404
    assert "Please tell an adult" in html and "Traceback" not in html
    assert "/audio/" in html  # the same words, spoken


def test_unexpected_error_is_plain_words(app, client, monkeypatch):
    import kiosk.pupil.views as views

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(views, "store_report", explode)
    response = client.post("/api/reports", json=a_report())
    assert response.status_code == 500
    assert response.json == {"error": "Something went wrong on the server."}


def test_get_an_adult_tells_the_dashboard(client, db):
    assert client.post("/api/help").status_code == 201
    assert next(db.query("SELECT kind FROM notifications"))["kind"] == "help.new"


# What the thank-you may promise, worked out by the server from the stored report's due
# time: the clock is the test clock (Wednesday 18 November 2026, London, GMT).
TOLD = [
    ("10:30", "same-day", "today"),            # due at today's 15:00 cut-off
    ("07:15", "same-day", "today"),            # before school: due at 09:00 this morning
    ("16:00", "same-day", "next_school_day"),  # after the cut-off: due 09:00 tomorrow
    ("16:00", "urgent", "today"),              # urgent: due ten minutes from now
    ("23:55", "urgent", "next_school_day"),    # ten minutes from now is tomorrow
]


@pytest.mark.parametrize("at, urgency, told", TOLD)
def test_answer_says_when_an_adult_will_talk_to_the_pupil(client, db, clock, at, urgency, told):
    hour, minute = map(int, at.split(":"))
    clock.now = clock.now.replace(hour=hour, minute=minute)
    answers = {"safe": ["no"]} if urgency == "urgent" else {"safe": ["yes"], "what": ["unkind"]}
    response = client.post("/api/reports", json=a_report(**answers))
    assert response.status_code == 201
    assert next(db.query("SELECT urgency FROM reports"))["urgency"] == urgency
    assert response.json["told"] == told


def test_an_urgent_report_at_the_weekend_is_not_promised_today(client, clock):
    clock.now = clock.now.replace(day=21, hour=11)  # Saturday: nobody may be in school
    response = client.post("/api/reports", json=a_report(safe=["no"]))
    assert response.json["told"] == "next_school_day"


def test_friday_after_the_cut_off_is_the_next_school_day(client, clock):
    clock.now = clock.now.replace(day=20, hour=15, minute=30)  # Friday: due Monday morning
    assert client.post("/api/reports", json=a_report()).json["told"] == "next_school_day"


def test_told_follows_the_school_timezone(tmp_path, monkeypatch, clock):
    # 20:00 UTC on Wednesday is 01:00 on Thursday in Karachi: before school opens there,
    # so the report is due at 09:00 that same local day and the pupil hears "today".
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "karachi"))
    app = create_app({"TESTING": True, "CLOCK": clock, "VOSK_MODEL": "",
                      "SCHOOL_DAY": dict(DEFAULT_SCHOOL_DAY, timezone="Asia/Karachi")})
    clock.now = clock.now.replace(hour=20)
    response = kiosk_device(app).post("/api/reports", json=a_report())
    assert response.json["told"] == "today"


def test_a_retry_is_told_the_same(client, clock):
    clock.now = clock.now.replace(hour=16)
    report = a_report()
    first = client.post("/api/reports", json=report)
    again = client.post("/api/reports", json=report)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["told"] == again.json["told"] == "next_school_day"


def test_a_renamed_categories_page_still_says_what_happened(tmp_path, monkeypatch, content_dir):
    """The DSL's "What" and the governors' counts come from the role a page plays in
    content, not from its id: a school may rename its pages."""
    for path in [content_dir / "pages.toml", content_dir / "voice.toml",
                 content_dir / "urgency.toml", *(content_dir / "translations").glob("*.toml")]:
        path.write_text(path.read_text().replace("what_more", "more_things"))
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "CONTENT_DIR": str(content_dir)})
    kiosk = kiosk_device(app, "Renamed kiosk")
    response = kiosk.post("/api/reports", json=a_report(safe=["yes"], more_things=["home"]))
    assert response.status_code == 201
    with app.app_context():
        db = get_db()
        [row] = open_reports(db)
        assert summary(row)["what"] == ["Something at home"]
        assert {r.category for r in counts(db)} == {"All reports", "Something at home"}
