"""Hearing back: three pictures with the thank-you; at any kiosk they say only what the
DSL chose on the case. Codes are kept hashed, expire, are slowed per kiosk, audited."""
import io
import json
import re
import sqlite3
import tomllib
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from pypdf import PdfReader

from helpers import DSL_PASSWORD, a_report, csrf_from, kiosk_device, log_in, rows
from kiosk import PROJECT_ROOT
from kiosk.accounts.users import create_user
from kiosk.content import easyread
from kiosk.content import hearing_back as content
from kiosk.db import get_db
from kiosk.devices import kiosks
from kiosk.safeguarding import hearing_back
from kiosk.safeguarding.cases import CaseError
from kiosk.safeguarding.reports import Sender, parse_submission, store_report
from kiosk.services import services

PICTURES = list(content.load().pictures)


def send(client):
    response = client.post("/api/reports", json=a_report())
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json["hearing_code"]


def check(client, code):
    return client.post("/api/hearing-back", json={"code": code})


def wrong(code):
    """A code that is not this one (the last picture changed)."""
    return code[:2] + [next(p for p in PICTURES if p != code[2])]


def post(client, path, **form):
    token = csrf_from(client.get("/staff/account"))
    return client.post(path, data=dict(form, csrf_token=token))


def choose(staff_client, choice, report_id=1):
    return post(staff_client, f"/staff/reports/{report_id}/hearing-back", choice=choice)


def acknowledge(staff_client, report_id=1):
    assert post(staff_client, f"/staff/reports/{report_id}/acknowledge").status_code == 302


def audit_of(app, action):
    return rows(app, "SELECT * FROM audit WHERE action = ? ORDER BY id", [action])


def stored_without_code(app, count, source="kiosk"):
    """Reports stored as the API stores them, but without a code (to issue by hand)."""
    with app.test_request_context():
        db, svc = get_db(), services()
        return [store_report(db, svc.reporting, parse_submission(a_report(), svc.content),
                             app.config["CLOCK"](), Sender(source=source))[0]
                for _ in range(count)]


# -- the code given with the thank-you ---------------------------------------------------

def test_a_kiosk_report_gets_three_pictures_once(app, client):
    body = a_report()
    first = client.post("/api/reports", json=body)
    assert first.status_code == 201
    code = first.json["hearing_code"]
    assert len(code) == 3 and set(code) <= set(PICTURES)
    again = client.post("/api/reports", json=body)  # a retried send: same report
    assert again.status_code == 200 and again.json["hearing_code"] is None
    assert len(rows(app, "SELECT * FROM hearing_codes")) == 1
    assert check(client, code).json == {"status": "waiting"}


def test_codes_in_use_are_never_given_twice_and_free_again_once_expired(app, clock):
    reports = stored_without_code(app, 9)
    with app.app_context():
        db = get_db()
        codes = [hearing_back.issue(db, r, clock(), pictures=["a", "b"]) for r in reports[:8]]
        assert len({tuple(c) for c in codes}) == 8  # all 2 x 2 x 2 codes, each once
        assert hearing_back.issue(db, reports[8], clock(), pictures=["a", "b"]) is None
        assert hearing_back.issue(db, reports[0], clock(), pictures=["a", "b"]) is None
        clock.now += timedelta(days=22)
        assert hearing_back.issue(db, reports[8], clock(), pictures=["a", "b"]) is not None
    assert len(audit_of(app, "hearing_back.none_free")) == 1


def test_a_staff_concern_gets_no_code(app, clock):
    report, = stored_without_code(app, 1, source="staff")
    with app.app_context():
        assert hearing_back.issue(get_db(), report, clock()) is None
    assert rows(app, "SELECT * FROM hearing_codes") == []


def test_the_code_is_kept_only_as_a_keyed_hash(app, client):
    code = send(client)
    key = hearing_back.code_key(app.extensions["kiosk.audit_key"])
    row, = rows(app, "SELECT * FROM hearing_codes")
    assert row["code_hash"] == hearing_back.code_hash(key, code)
    assert row["code_hash"] != hearing_back.code_hash(b"another key" * 3, code)
    conn = sqlite3.connect(app.config["DATABASE"])
    dump = "\n".join(conn.iterdump())
    conn.close()
    for shown in ("|".join(code), ",".join(code), json.dumps(code), " ".join(code)):
        assert shown not in dump
    for entry in rows(app, "SELECT * FROM audit WHERE action LIKE 'hearing_back.%'"):
        assert not any(re.search(rf"\b{p}\b", entry["detail"]) for p in PICTURES)


# -- the check at a kiosk ----------------------------------------------------------------

def test_the_kiosk_hears_only_what_the_dsl_chose(app, client, staff_client):
    code = send(client)
    elsewhere = kiosk_device(app, "Library kiosk")
    assert check(elsewhere, code).json == {"status": "waiting"}
    acknowledge(staff_client)
    assert choose(staff_client, "read").status_code == 302
    answer = check(elsewhere, code)
    assert answer.status_code == 200 and answer.json == {"status": "read"}
    assert answer.headers["Cache-Control"] == "no-store"
    assert choose(staff_client, "talk").status_code == 302
    assert check(client, code).json == {"status": "talk"}
    assert rows(app, "SELECT last_checked_at FROM hearing_codes")[0]["last_checked_at"]


def test_a_closed_case_with_no_choice_says_an_adult_read_it(app, client, staff_client):
    code = send(client)
    acknowledge(staff_client)
    post(staff_client, "/staff/reports/1/decisions", decision="mash", reason="Referred.")
    assert post(staff_client, "/staff/reports/1/close", summary="Done.").status_code == 302
    assert check(client, code).json == {"status": "read"}


def test_a_merged_duplicate_hears_what_its_case_hears(app, client, staff_client):
    first, duplicate = send(client), send(client)
    acknowledge(staff_client, 1)
    acknowledge(staff_client, 2)
    assert post(staff_client, "/staff/reports/2/merge", into="1",
                reason="The same worry sent twice.").status_code == 302
    assert check(client, duplicate).json == {"status": "read"}  # an adult read it to merge
    choose(staff_client, "talk", report_id=1)
    assert check(client, duplicate).json == check(client, first).json == {"status": "talk"}


def test_a_code_stops_working_when_it_expires(app, client, clock, staff_client):
    code = send(client)
    acknowledge(staff_client)
    clock.now += timedelta(days=20, hours=23)
    assert check(client, code).json == {"status": "waiting"}
    clock.now += timedelta(hours=2)
    assert check(client, code).json == {"status": "unknown"}
    assert log_in(staff_client).status_code == 302  # weeks later: a new login
    refused = choose(staff_client, "read")
    assert refused.status_code == 409 and "expired" in refused.get_data(as_text=True)
    assert rows(app, "SELECT choice FROM hearing_codes")[0]["choice"] == ""


def test_the_days_a_code_works_are_a_setting(app, client, clock):
    app.config["HEARING_BACK_DAYS"] = 2
    code = send(client)
    clock.now += timedelta(days=2, seconds=1)
    assert check(client, code).json == {"status": "unknown"}


def test_wrong_codes_lock_one_kiosk_for_a_while(app, client, clock):
    code = send(client)
    for _ in range(4):
        assert check(client, wrong(code)).json == {"status": "unknown"}
    locked = check(client, wrong(code))
    assert locked.status_code == 429
    assert locked.json == {"status": "locked", "seconds": 900}
    assert json.loads(audit_of(app, "hearing_back.checked")[-1]["detail"]) == {
        "kiosk": "Test kiosk", "result": "locked", "locked_seconds": 900}
    clock.now += timedelta(minutes=5)
    assert check(client, code).json == {"status": "locked", "seconds": 600}  # even right
    other = kiosk_device(app, "Hall kiosk")
    assert check(other, code).json == {"status": "waiting"}  # another kiosk is not locked
    clock.now += timedelta(minutes=10, seconds=1)
    assert check(client, code).json == {"status": "waiting"}


def test_a_right_code_does_not_reset_the_count_of_wrong_ones(app, client):
    """Otherwise anyone with a code of their own could keep guessing others'."""
    code = send(client)
    for _ in range(4):
        check(client, wrong(code))
    assert check(client, code).json == {"status": "waiting"}
    assert check(client, wrong(code)).status_code == 429


def test_only_an_enrolled_kiosk_may_check(app, client, staff_client, clock):
    code = send(client)
    assert check(app.test_client(), code).status_code == 403
    assert check(staff_client, code).status_code == 403
    with app.app_context():
        kiosks.revoke_kiosk(get_db(), "Test kiosk", clock())
    assert check(client, code).status_code == 403
    assert audit_of(app, "hearing_back.checked") == []


@pytest.mark.parametrize("body, message", [
    ({"code": ["star", "fish"]}, "a list of 3 picture names"),
    ({"code": "star fish tree"}, "a list of 3 picture names"),
    ({"code": ["star", "fish", "dragon"]}, "'dragon' is not one of the pictures"),
    ({"code": ["star", "fish", 3]}, "'3' is not one of the pictures"),
    ({}, "a list of 3 picture names"),
    (["star", "fish", "tree"], "a JSON object with a code"),
])
def test_bad_input_is_refused_plainly_and_not_counted(app, client, body, message):
    send(client)
    answer = client.post("/api/hearing-back", json=body)
    assert answer.status_code == 400 and message in answer.json["error"]
    assert rows(app, "SELECT * FROM login_throttle WHERE scope = 'hearing-back'") == []
    assert audit_of(app, "hearing_back.checked") == []


def test_not_json_is_refused(client):
    answer = client.post("/api/hearing-back", data="star fish tree")
    assert answer.status_code == 400 and "JSON" in answer.json["error"]


def test_every_issue_and_check_is_audited_without_the_code(app, client):
    code = send(client)
    check(client, code)
    check(client, wrong(code))
    issued, = audit_of(app, "hearing_back.issued")
    assert issued["target"] == "report:1" and issued["actor"] == "kiosk: Test kiosk"
    assert json.loads(issued["detail"]) == {"expires_at": "2026-12-09T10:30:00+00:00"}
    right, guess = audit_of(app, "hearing_back.checked")
    assert (right["target"], json.loads(right["detail"])) == (
        "report:1", {"kiosk": "Test kiosk", "result": "waiting"})
    assert (guess["target"], json.loads(guess["detail"])) == (
        "", {"kiosk": "Test kiosk", "result": "unknown"})


# -- the DSL's choice on the case --------------------------------------------------------

def test_each_choice_is_a_case_entry_in_the_record_and_the_pdf(app, client, staff_client):
    send(client)
    acknowledge(staff_client)
    choose(staff_client, "read")
    choose(staff_client, "talk")
    entries = rows(app, "SELECT * FROM report_events WHERE kind = 'hearing_back'")
    assert [json.loads(e["detail"])["choice"] for e in entries] == ["read", "talk"]
    assert rows(app, "SELECT choice_entry FROM hearing_codes")[0]["choice_entry"] == \
        entries[-1]["id"]
    assert len(audit_of(app, "case.hearing_back")) == 2
    pdf = staff_client.get("/staff/reports/1/chronology.pdf")
    text = re.sub(r"\s+", " ", "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages))
    assert "Pupil will hear at a kiosk: \u201cAn adult would like to talk to you." in text
    assert "Before this, they heard that an adult has read it." in text


def test_the_case_page_says_a_code_was_given_and_until_when(app, client, staff_client):
    code = send(client)
    page = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "What the pupil hears at a kiosk" in page
    assert 'data-iso="2026-12-09T10:30:00+00:00"' in page
    assert "nothing chosen yet" in page
    assert "Set what the pupil hears" not in page  # acknowledge first
    shown = re.search(r'<section class="hearing-back".*?</section>', page, re.S).group(0)
    assert not any(re.search(rf"\b{p}\b", shown, re.I) for p in code)
    acknowledge(staff_client)
    assert "Set what the pupil hears" in staff_client.get("/staff/reports/1").get_data(
        as_text=True)


def test_choices_are_refused_plainly(app, client, staff_client):
    send(client)
    refused = choose(staff_client, "read")
    assert refused.status_code == 409 and "Acknowledge the report first" in \
        refused.get_data(as_text=True)
    acknowledge(staff_client)
    refused = choose(staff_client, "sing")
    assert refused.status_code == 400 and "Choose what the pupil hears" in \
        refused.get_data(as_text=True)
    choose(staff_client, "read")
    again = choose(staff_client, "read")
    assert again.status_code == 409 and "already hears that" in again.get_data(as_text=True)
    assert len(rows(app, "SELECT * FROM report_events WHERE kind = 'hearing_back'")) == 1


def test_a_report_with_no_code_has_no_panel_and_no_choice(app, staff_client):
    stored_without_code(app, 1)
    acknowledge(staff_client)
    assert "What the pupil hears" not in staff_client.get("/staff/reports/1").get_data(
        as_text=True)
    refused = choose(staff_client, "read")
    assert refused.status_code == 409 and "no picture code" in refused.get_data(as_text=True)


def test_only_readers_may_choose(app, client, staff_client, clock):
    send(client)
    acknowledge(staff_client)
    with app.app_context():
        create_user(get_db(), "teacher@school.example", DSL_PASSWORD, "staff")
        teacher = app.test_client()
        log_in(teacher, "teacher@school.example")
        assert choose(teacher, "talk").status_code == 403
        it = {"id": None, "role": "it"}
        with pytest.raises(CaseError, match="Only the DSL team") as refused:
            hearing_back.choose(get_db(), 1, it, clock(), "talk")
        assert refused.value.status == 403
    assert rows(app, "SELECT choice FROM hearing_codes")[0]["choice"] == ""


# -- the words the kiosk shows -----------------------------------------------------------

def _speaker(app, code):
    from kiosk.pupil.journey import Speaker
    svc = services()
    languages = svc.content.languages
    return Speaker(languages[code], languages["en"], {"own": "v", "english": "v"}, 175,
                   svc.speech)


def test_journey_words_in_english_and_a_translation(app):
    from kiosk.pupil.hearing_back_words import journey_words
    with app.test_request_context():
        svc = services()
        english = journey_words(_speaker(app, "en"), svc.symbols, "default")
        welsh = journey_words(_speaker(app, "cy"), svc.symbols, "default")
    assert [p["id"] for p in english["pictures"]] == PICTURES
    star = english["pictures"][0]
    assert star["label"] == "Star" and star["symbol"] == "/symbols/default/star.svg"
    assert star["audio"].startswith("/audio/")
    assert set(english["words"]) == set(content.WORDS)
    assert english["words"]["ask"]["text"] == "Did an adult read my worry?"
    assert welsh["words"]["ask"]["text"] != english["words"]["ask"]["text"]
    assert welsh["words"]["ask"]["audio"] != english["words"]["ask"]["audio"]


@pytest.mark.parametrize("code", ["cy", "pl", "ur", "ar"])
def test_each_translation_names_every_picture_and_word_and_nothing_else(code):
    path = PROJECT_ROOT / "content" / "translations" / f"{code}.toml"
    section = tomllib.loads(path.read_text(encoding="utf-8"))["hearing_back"]
    names = set(content.load().pictures) | set(content.WORDS)
    assert set(section) == names
    for name, words in section.items():
        for sentence in easyread.sentences(words["text"]) + easyread.sentences(words["say"]):
            assert not easyread.too_long(sentence), (code, name)


def test_the_english_words_are_easy_read():
    for name, words in content.load().words.items():
        for sentence in easyread.sentences(words.text) + easyread.sentences(words.say):
            assert not easyread.too_long(sentence), name
            assert not easyread.more_than_one_idea(sentence), name


def test_every_picture_is_a_drawn_symbol_without_letters(symbols):
    for pid, words in content.load().pictures.items():
        pack, file_name = symbols.locate(words.concept, "default")
        svg = ET.parse(PROJECT_ROOT / "symbols" / pack / file_name).getroot()
        assert svg.get("viewBox") == "0 0 100 100" and svg.get("stroke") == "#1b1b1b"
        assert not svg.findall(".//{http://www.w3.org/2000/svg}text"), pid


@pytest.mark.parametrize("text, fault", [
    ("schema = 2", "schema = 1"),
    ("schema = 1\n[pictures]\na = {text = 'A', concept = 'a'}", "at least 6"),
    ("schema = 1\n" + "".join(f"[pictures.p{i}]\ntext = 'P'\nconcept = 'c'\n"
                              for i in range(6)) + "[words]\n", "words.ask is needed"),
])
def test_a_broken_content_file_is_named(text, fault):
    with pytest.raises(content.HearingBackError, match=re.escape(fault)):
        content.parse(tomllib.loads(text))
