"""Exports: the case chronology as PDF and printable page, and anonymous counts as CSV."""
import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from flask import render_template
from pypdf import PdfReader

from kiosk.safeguarding.exports import chronology_pdf, counts, counts_csv, present
from kiosk.safeguarding.exports.counts import CountRow
from kiosk.safeguarding.exports.typeset import pieces, unshowable
from kiosk.safeguarding.reports import School, parse_submission, store_report
from kiosk.services import services

from helpers import a_report

UTC = timezone.utc
MORNING = datetime(2026, 11, 18, 10, 30, tzinfo=UTC)  # Wed 18 Nov 2026, 10:30 in London (GMT)
MARKUP = "<b>x</b> & co"
UNICODE_NAME = "Zoë Łukasz"
WORDS = "Mama mówi że nie wolno. Ammi ne kaha: مجھے ڈر لگتا ہے " + "verylongword" * 30


def entry(number, at, kind, title, text="", corrects=None, corrected_by=None):
    return {"id": number, "at": at, "kind": kind, "title": title, "text": text,
            "by": "dsl@school.example", "corrects": corrects, "corrected_by": corrected_by}


def a_case(case_id, **fields):
    """A case as the chronology contract describes it."""
    case = {
        "id": case_id, "created_at": MORNING, "source": "kiosk", "kiosk": "Class 4 iPad",
        "reported_by": "", "urgency": "urgent",
        "reasons": ["adult involved + asked for pictures"],
        "due_at": MORNING + timedelta(minutes=10), "status": "acknowledged", "owner": "",
        "merged_into": None,
        "choices": [
            {"question": "What happened?", "label": "Someone asked me for pictures"},
            {"question": "What happened?", "label": "Something online upset me"},
            {"question": "Who was it?", "label": "An adult"}],
        "words": "", "words_source": "", "name": "", "happened": "", "entries": []}
    return case | fields


def a_chronology():
    """Two cases: one with a correction, one with Unicode, markup-looking text and 200 entries."""
    corrected = a_case(12, status="closed", owner="dsl@school.example", entries=[
        entry(3, MORNING + timedelta(minutes=20), "decision",
              "Decision: refer to children's social care (MASH)", "Parents not told: risk",
              corrected_by=4),
        entry(1, MORNING + timedelta(minutes=5), "acknowledged", "Acknowledged"),
        entry(4, MORNING + timedelta(minutes=25), "decision",
              "Decision: police 101", "Wrong route recorded before", corrects=3),
        entry(5, MORNING + timedelta(hours=2), "closed", "Closed", "Referred; see MASH ref"),
    ])
    busy = a_case(
        13, source="staff", kiosk="", reported_by="teacher@school.example", urgency="same-day",
        reasons=["staff concern"], name=MARKUP, happened="Last Friday at break",
        words=WORDS + "\n" + MARKUP, words_source="vosk", choices=[],
        entries=[entry(100 + n, MORNING + timedelta(hours=n), "note", f"Note {n}",
                       f"Spoke to {UNICODE_NAME} about {MARKUP}, part {n}. " * (1 + n % 4))
                 for n in range(200)])
    return {
        "title": f"Chronology for {UNICODE_NAME}", "school": "Example School",
        "timezone": "Europe/London", "generated_at": MORNING,
        "generated_by": "dsl@school.example (Designated Safeguarding Lead)",
        "pupil": {"name": UNICODE_NAME, "year_group": "Year 6"},
        "cases": [corrected, busy]}


@pytest.fixture(scope="module")
def pdf_text():
    pdf = chronology_pdf(a_chronology())
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    pages = [page.extract_text() for page in reader.pages]
    return pages


def squash(text):
    """Extracted PDF text with wrapping undone, to look for phrases."""
    return re.sub(r"\s+", " ", text)


def test_present_formats_every_time_in_the_school_zone():
    data = present(a_chronology())
    assert data["generated_at"] == "Wed 18 Nov 2026, 10:30"
    summer = present(a_chronology() | {"generated_at": datetime(2026, 6, 1, 9, 5, tzinfo=UTC)})
    assert summer["generated_at"] == "Mon 1 Jun 2026, 10:05"  # BST
    first = data["cases"][0]
    assert [e["id"] for e in first["entries"]] == [1, 3, 4, 5]  # time order
    assert first["entries"][1]["notes"] == ["Corrected by entry #4"]
    assert first["entries"][2]["notes"] == ["Corrects entry #3"]
    assert first["choice_groups"] == [
        {"question": "What happened?",
         "labels": ["Someone asked me for pictures", "Something online upset me"]},
        {"question": "Who was it?", "labels": ["An adult"]}]


def test_present_refuses_a_time_without_a_zone():
    with pytest.raises(ValueError, match="no time zone"):
        present(a_chronology() | {"generated_at": datetime(2026, 11, 18, 10, 30)})


def test_pdf_has_the_record_on_every_page(pdf_text):
    assert len(pdf_text) > 5  # 200 entries cannot fit on a few pages
    total = len(pdf_text)
    for number, text in enumerate(pdf_text, start=1):
        assert "CONFIDENTIAL: safeguarding record" in text
        assert f"Page {number} of {total}" in text
        assert f"Chronology for {UNICODE_NAME}" in text


def test_pdf_shows_cases_decisions_and_corrections(pdf_text):
    text = squash(" ".join(pdf_text))
    for phrase in ("Example School", "Pupil: Zoë Łukasz, Year 6",
                   "Generated Wed 18 Nov 2026, 10:30 by dsl@school.example",
                   "Decision: refer to children's social care (MASH)", "Decision: police 101",
                   "Corrected by entry #4", "Corrects entry #3", "Pupil kiosk: Class 4 iPad",
                   "teacher@school.example", "What the pupil chose", "An adult",
                   "adult involved + asked for pictures", "transcribed by speech recognition",
                   "Note 199", "Last Friday at break", "Mama mówi że nie wolno",
                   "cannot set as written"):
        assert phrase in text, phrase


def test_pdf_says_when_it_cannot_set_a_script():
    assert unshowable("ہمیں ڈر لگتا ہے") and unshowable("שלום")
    assert not unshowable(f"{UNICODE_NAME}: Mama mówi że nie wolno {MARKUP}\n")


def test_pdf_shows_pupil_text_literally(pdf_text):
    text = squash(" ".join(pdf_text))
    assert MARKUP in text
    assert f"Spoke to {UNICODE_NAME} about {MARKUP}, part 7." in text


def test_pdf_starts_each_case_on_a_new_page(pdf_text):
    second = next(n for n, text in enumerate(pdf_text) if "Case 13" in text)
    assert second == 1 and "Case 12" in pdf_text[0]


def test_pdf_sets_a_note_longer_than_a_page_over_several_pages():
    long_note = " ".join(f"w{n}" for n in range(4000)) + "\n" * 300 + "end"
    chronology = a_chronology()
    chronology["cases"][0]["entries"].append(entry(9, MORNING, "note", "Long note", long_note))
    chronology["cases"][0]["happened"] = "Many times. " * 600
    reader = PdfReader(io.BytesIO(chronology_pdf(chronology)))
    text = squash(" ".join(page.extract_text() for page in reader.pages))
    assert [int(n) for n in re.findall(r"\bw(\d+)\b", text)] == list(range(4000))
    assert "(#9 continued)" in text and "When it happened (continued)" in text


@pytest.mark.parametrize("value", [
    "", "short", "word " * 2000, "x" * 5000, "line\n" * 400, "a\n\n\n" + "b " * 900],
    ids=["empty", "short", "many words", "one long run", "many lines", "blank lines"])
def test_pieces_keep_every_letter_and_stay_short(value):
    parts = pieces(value)
    assert "".join("".join(parts).split()) == "".join(value.split())
    assert all(len(part) <= 500 and part.count("\n") <= 12 for part in parts)


def test_pdf_of_a_chronology_with_no_cases():
    pdf = chronology_pdf(a_chronology() | {"cases": [], "pupil": None, "school": ""})
    assert "No cases." in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


def render_page(app, chronology):
    with app.test_request_context():
        return render_template("staff/chronology.html", chronology=present(chronology),
                               user={"email": "dsl@school.example", "role": "dsl"},
                               pdf_url="/staff/chronology.pdf")


def test_printable_page_escapes_pupil_text(app):
    html = render_page(app, a_chronology())
    assert MARKUP not in html
    assert "&lt;b&gt;x&lt;/b&gt; &amp; co" in html
    assert UNICODE_NAME in html


def test_printable_page_has_every_section(app):
    html = render_page(app, a_chronology())
    for phrase in ("CONFIDENTIAL: safeguarding record", "Download PDF", "/staff/chronology.pdf",
                   "print.css", "Wed 18 Nov 2026, 10:30", "What the pupil chose",
                   "The concern as recorded", "Corrected by entry #4", "Corrects entry #3",
                   "<del>Decision: refer to children&#39;s social care (MASH)</del>",
                   "Note 199", "Case 12", "Case 13"):
        assert phrase in html, phrase


# Counts go through the real pipeline: parse, triage and store as the kiosk would.

def send(db, at, told=None, **answers):
    """Store a report made at the given moment, as a kiosk would; returns it."""
    content = services().content
    submission = parse_submission(a_report(**answers) | (told or {}), content)
    report, _ = store_report(db, School(content, services().school), submission, at)
    return report


def at(*parts):
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def term(db):
    """Reports over October and November 2026 (London on GMT from 25 October)."""
    send(db, at(2026, 10, 5, 9), {"words": "Kai keeps texting me", "name": "Sam Pupil"},
         safe=["yes"], what=["unkind", "online"])                                # same-day
    send(db, at(2026, 10, 10, 9), safe=["yes"], what=["pictures"], who=["adult"])  # urgent
    send(db, at(2026, 10, 12, 9), safe=["yes"], when=["today"])                  # no "what"
    send(db, at(2026, 10, 31, 23, 30), safe=["yes"], what=["unkind"])            # still October
    send(db, at(2026, 11, 2, 9), safe=["no"], what=["unkind"], what_more=["home"])  # urgent
    original = send(db, at(2026, 11, 3, 9), safe=["yes"], what=["online"])
    duplicate = send(db, at(2026, 11, 3, 9, 5), safe=["yes"], what=["online"])
    db["reports"].update(duplicate["id"], {"merged_into": original["id"]})
    return db


def table(rows):
    return {(r.month, r.category, r.urgency): r.reports for r in rows}


def test_counts_by_month_category_and_urgency(term):
    assert table(counts(term)) == {
        ("2026-10", "All reports", "urgent"): 1,
        ("2026-10", "All reports", "same-day"): 3,
        ("2026-10", "Someone asked me for pictures", "urgent"): 1,
        ("2026-10", "Someone was unkind", "same-day"): 2,
        ("2026-10", "Something online upset me", "same-day"): 1,
        ("2026-10", "Not said", "same-day"): 1,
        ("2026-11", "All reports", "urgent"): 1,
        ("2026-11", "All reports", "same-day"): 1,  # the merged duplicate is not counted
        ("2026-11", "Someone was unkind", "urgent"): 1,
        ("2026-11", "Something at home", "urgent"): 1,  # "what_more" is a "what" page too
        ("2026-11", "Something online upset me", "same-day"): 1,
    }


def test_counts_come_in_a_readable_order(term):
    october = [(r.category, r.urgency) for r in counts(term) if r.month == "2026-10"]
    assert october[:2] == [("All reports", "urgent"), ("All reports", "same-day")]
    assert october[-1] == ("Not said", "same-day")


def test_counts_say_nothing_about_who(term):
    csv_text = counts_csv(counts(term))
    for row in term.query("SELECT client_id, words, name FROM reports"):
        assert all(value not in csv_text for value in row.values() if value)
    assert "Kai" not in csv_text and "Sam" not in csv_text


@pytest.mark.parametrize("start, end, months", [
    ("2026-10", "2026-10", {"2026-10"}), ("2026-11", None, {"2026-11"}),
    (None, "2026-10", {"2026-10"}), ("2026-12", None, set()), ("", "", {"2026-10", "2026-11"}),
])
def test_counts_between_months(term, start, end, months):
    assert {r.month for r in counts(term, start, end)} == months


def test_month_is_the_school_month_not_utc(db):
    send(db, at(2026, 3, 31, 23, 30), safe=["yes"], what=["unkind"])  # 00:30 on 1 April, BST
    send(db, at(2026, 10, 31, 23, 30), safe=["yes"], what=["unkind"])  # 23:30 GMT, October
    assert {r.month for r in counts(db)} == {"2026-04", "2026-10"}
    assert {r.month for r in counts(db, "2026-04", "2026-04")} == {"2026-04"}
    assert {r.month for r in counts(db, tz="UTC")} == {"2026-03", "2026-10"}


@pytest.mark.parametrize("start, end, message", [
    ("2026-13", None, "start must be a month written YYYY-MM"),
    ("26-10", None, "start must be a month written YYYY-MM"),
    (None, "October", "end must be a month written YYYY-MM"),
    (None, "2026-10-01", "end must be a month written YYYY-MM"),
    ("2026-11", "2026-10", "start 2026-11 is after end 2026-10"),
])
def test_bad_months_are_refused(db, start, end, message):
    with pytest.raises(ValueError, match=message):
        counts(db, start, end)


def test_unknown_time_zone_is_refused(db):
    with pytest.raises(ValueError, match="unknown time zone"):
        counts(db, tz="Europe/Atlantis")


def test_csv_has_a_header_and_one_line_per_row(term):
    lines = counts_csv(counts(term)).splitlines()
    assert lines[0] == "month,category,urgency,reports"
    assert lines[1] == "2026-10,All reports,urgent,fewer than 5"  # small numbers hidden
    assert len(lines) == 1 + len(counts(term))


@pytest.mark.parametrize("label", ["=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)"])
def test_csv_defuses_formulas_in_labels(label):
    rows = [CountRow("2026-10", label, "urgent", 1), CountRow("2026-10", "Safe", "urgent", 1)]
    parsed = list(csv.reader(io.StringIO(counts_csv(rows))))
    assert parsed[1] == ["2026-10", "'" + label, "urgent", "fewer than 5"]
    assert parsed[2] == ["2026-10", "Safe", "urgent", "fewer than 5"]


def test_csv_of_no_reports_is_just_the_header(db):
    assert counts_csv(counts(db)) == "month,category,urgency,reports\r\n"
