"""Pupil reports: check a submission, store it once, list and acknowledge them."""
import json
import re
from dataclasses import dataclass, field

from .. import audit, notify
from ..content.body_page import KIND as BODY
from ..content.loading import REPORTED_KINDS
from ..db import writing
from .schoolday import due_time_for
from .triage import triage

MAX_WORDS = 2000
MAX_NAME = 80
CLIENT_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
FIELDS = {"client_id", "answers", "words", "name", "language", "words_source", "about"}
# Who the worry is about: the pupil themself (""), or another child, told by a friend
# (policy 004: "a friend or parent may inform someone in school").
ABOUT = ("", "someone_else")
# Who turned the pupil's words into text: they typed them, or a recogniser heard
# them and the pupil confirmed the transcript.
WORDS_SOURCES = ("", "vosk", "pocketsphinx")


class BadReport(ValueError):
    """A submission that cannot be stored; the message says why in plain words."""


@dataclass(frozen=True)
class Submission:
    client_id: str
    answers: dict  # page id -> list of tile ids, in journey order
    words: str
    name: str
    language: str
    words_source: str = ""
    about: str = ""


def _text(payload, key, limit):
    value = payload.get(key) or ""
    if not isinstance(value, str):
        raise BadReport(f"'{key}' must be text")
    value = value.replace("\x00", "").strip()
    if len(value) > limit:
        raise BadReport(f"'{key}' is too long: at most {limit} characters")
    return value


def _answers(raw, content):
    if not isinstance(raw, dict) or not raw:
        raise BadReport("'answers' must be a non-empty object of page: [tile, ...]")
    answers = {}
    for page_id in content.pages:  # journey order, whatever order the client sent
        if page_id in raw:
            answers[page_id] = _tiles_for(content.pages[page_id], raw[page_id])
    unknown = sorted(set(raw) - set(answers))
    if unknown:
        raise BadReport(f"unknown page '{unknown[0]}'")
    answers = {page: tiles for page, tiles in answers.items() if tiles}
    if not answers:
        raise BadReport("a report needs at least one answer")
    return answers


def _tiles_for(page, tiles):
    if page.kind not in REPORTED_KINDS:
        raise BadReport(f"page '{page.id}' does not take answers")
    what = "place" if page.kind == BODY else "tile"  # a body page's answers are places
    if not isinstance(tiles, list) or not all(isinstance(t, str) for t in tiles):
        raise BadReport(f"answers for '{page.id}' must be a list of {what} ids")
    for tile_id in tiles:
        if page.answer(tile_id) is None:
            raise BadReport(f"unknown {what} '{tile_id[:40]}' on page '{page.id}'")
    if len(set(tiles)) != len(tiles):
        raise BadReport(f"a tile is chosen twice on page '{page.id}'")
    if page.kind == "choice" and len(tiles) > 1:
        raise BadReport(f"page '{page.id}' takes one answer")
    return tiles


def parse_submission(payload, content):
    """Check a pupil's submission strictly; raise BadReport with a plain reason."""
    if not isinstance(payload, dict):
        raise BadReport("the report must be a JSON object")
    extra = sorted(set(payload) - FIELDS)
    if extra:
        raise BadReport(f"unexpected field '{extra[0]}'")
    client_id = payload.get("client_id")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise BadReport("'client_id' must be a random UUID made by the kiosk")
    if "answers" not in payload:
        raise BadReport("missing field 'answers'")
    language = _text(payload, "language", 16) or "en"
    words_source = payload.get("words_source") or ""
    if words_source not in WORDS_SOURCES:
        raise BadReport("'words_source' must be 'vosk' or 'pocketsphinx' when the words "
                        "were spoken, or left out when they were typed")
    about = payload.get("about") or ""
    if about not in ABOUT:
        raise BadReport("'about' must be 'someone_else' for a worry about another child, "
                        "or left out")
    words = _text(payload, "words", MAX_WORDS)
    return Submission(client_id, _answers(payload["answers"], content), words,
                      _text(payload, "name", MAX_NAME), language,
                      words_source if words else "", about)


def choices_as_seen(content, answers, language="en"):
    """What the pupil saw and chose, kept with the report so later content edits cannot change it.

    Labels are kept in English for the DSL; a pupil who used another language also
    has the words they saw kept beside them ("label_seen", "question_seen").
    """
    strings = content.languages[language].strings if language in content.languages else {}
    seen = []
    for page_id, tiles in answers.items():
        page = content.pages[page_id]
        part = "places" if page.kind == BODY else "tiles"
        for tile_id in tiles:
            tile = page.answer(tile_id)
            choice = {"page": page_id, "question": page.prompt.text, "tile": tile_id,
                      "label": tile.label, "concept": getattr(tile, "concept", "")}
            if page.kind == BODY:
                # Marked as a place on the body picture, so the case page and the PDF
                # draw it whatever the content says later.
                choice["body"] = True
            if language != "en":
                label = strings.get(f"pages.{page_id}.{part}.{tile_id}")
                question = strings.get(f"pages.{page_id}.prompt")
                if label:
                    choice["label_seen"] = label[0]
                if question:
                    choice["question_seen"] = question[0]
            seen.append(choice)
    return seen


def categories(content, answers):
    """What happened, in the pupil's choices: labels from pages with role "categories"."""
    return [content.pages[page_id].tile(tile_id).label
            for page_id, tiles in answers.items() if content.pages[page_id].role == "categories"
            for tile_id in tiles]


def summary(report):
    """The fields a dashboard row shows: no pupil words and no name.

    People and kiosks are given by id (the dashboard holds their names and places), so
    a row made from a fresh report and one made from a stored row say the same."""
    return {
        "id": report["id"], "created_at": report["created_at"], "urgency": report["urgency"],
        "reasons": json.loads(report["reasons"]), "due_at": report["due_at"],
        "status": report["status"], "source": report["source"],
        "what": json.loads(report.get("categories") or "[]"),
        "named": bool(report["name"]), "has_words": bool(report["words"]),
        "kiosk": report["kiosk"], "kiosk_id": report.get("kiosk_id"),
        "reported_by": report.get("reported_by"), "owner_id": report.get("owner_id"),
        "merged_into": report.get("merged_into"), "closed_at": report.get("closed_at"),
        "about": report.get("about") or "",
    }


@dataclass(frozen=True)
class School:
    """What a report is judged by: the content (its pages and urgency rules), the school
    day (when it falls due) and the school's settings (e.g. pupils under 13)."""
    content: object
    day: object
    settings: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Sender:
    """Where a report came from: a kiosk (its row), or a member of staff logging what a
    pupil told them (`reported_by`, with when they say it `happened`)."""
    source: str = "kiosk"
    kiosk: dict | None = None
    reported_by: int | None = None
    happened: str = ""


def store_report(db, school, submission, now, sender=Sender()):
    """Store a report durably, once per client id. Returns (report, notification or None)."""
    existing = find_by_client_id(db, submission.client_id)
    if existing:
        return existing, None  # a retried send: already safe, tell nobody twice
    # Triage and the row are worked out before the write lock, so writers wait only
    # for each other's inserts, not for each other's rule matching.
    row = _report_row(school, submission, now, sender)
    with writing(db):
        # Checked again under the lock: the same send may have raced in from a retry.
        existing = find_by_client_id(db, submission.client_id)
        if existing:
            return existing, None
        # Plain SQL: sqlite-utils' insert reads the schema each time, inside the lock.
        inserted = db.execute(INSERT_REPORT, [row[column] for column in ROW_COLUMNS])
        report = dict(row, id=inserted.lastrowid)
        # Sealed into the audit chain in the same commit: from the moment it is stored,
        # a change to it is named by `audit verify`, not only after the sealing job.
        audit.seal_pending(db, now)
        notification = notify.record(db, "report.new", report["id"], summary(report),
                                     now.isoformat())
    return report, notification


ROW_COLUMNS = ("client_id", "created_at", "source", "kiosk", "kiosk_id", "language", "urgency",
               "reasons", "due_at", "choices", "categories", "words", "words_source", "name",
               "status", "reported_by", "happened", "about", "referral_criteria")
INSERT_REPORT = (f"INSERT INTO reports ({', '.join(ROW_COLUMNS)}) "
                 f"VALUES ({', '.join('?' * len(ROW_COLUMNS))})")


def _report_row(school, submission, now, sender):
    """The reports row for a submission, urgency and due time decided."""
    result = triage(school.content.rules, submission.answers, submission.words,
                    school.settings)
    kiosk = sender.kiosk
    return {
        "client_id": submission.client_id, "created_at": now.isoformat(),
        "source": sender.source, "kiosk": kiosk["name"] if kiosk else "",
        "kiosk_id": kiosk["id"] if kiosk else None, "language": submission.language,
        "urgency": result.level, "reasons": json.dumps(result.reasons),
        "due_at": due_time_for(now, result.level, school.day).isoformat(),
        "choices": json.dumps(choices_as_seen(school.content, submission.answers,
                                              submission.language)),
        "categories": json.dumps(categories(school.content, submission.answers)),
        "words": submission.words, "words_source": submission.words_source,
        "name": submission.name, "status": "new",
        "reported_by": sender.reported_by, "happened": sender.happened,
        "about": submission.about,
        # Fixed with the record: what it met when it arrived, whatever the rules say later.
        "referral_criteria": json.dumps(dict(result.refer)) if result.refer else "",
    }


def find_by_client_id(db, client_id):
    return next(db.query("SELECT * FROM reports WHERE client_id = ?", [client_id]), None)


def get_report(db, report_id):
    return next(db.query("SELECT * FROM reports WHERE id = ?", [report_id]), None)


FINISHED = ("closed", "merged")  # cases that leave the dashboard's open list
# Written out, not bound, so they match the partial indexes of migration _m017, which
# the queries name (INDEXED BY): the plan then holds whatever the table's statistics say.
OPEN_SQL = "status NOT IN ('closed', 'merged')"
FINISHED_SQL = "status IN ('closed', 'merged')"
FINISHED_ORDER = "COALESCE(r.closed_at, r.created_at) DESC, r.id DESC"


# What summary() reads of a stored report. The pupil's words and name are read only as
# whether there are any (1 or 0), so a dashboard row never carries them.
SUMMARY_COLUMNS = ("id, created_at, urgency, reasons, due_at, status, source, categories, "
                   "words <> '' AS words, name <> '' AS name, kiosk, kiosk_id, reported_by, "
                   "owner_id, merged_into, closed_at, about")


def open_reports(db):
    """Every case still open, for the dashboard (the columns summary() reads):
    unacknowledged first, urgent first, newest first. All of them: a list that stops
    part-way hides reports."""
    return list(db.query(
        f"SELECT {SUMMARY_COLUMNS} FROM reports INDEXED BY reports_open WHERE {OPEN_SQL} "
        "ORDER BY status = 'new' DESC, "
        "urgency = 'urgent' DESC, created_at DESC, id DESC"))


def _like(text):
    """A LIKE pattern that matches the text anywhere, taking % and _ literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def closed_reports(db, query="", page=1, per_page=50, category=None):
    """(one page of closed and merged cases, most recently finished first; how many match).

    `query` matches a case number, or text in its kiosk, reasons, choices, the pupil's
    words or name, or the name of the pupil it is linked to; `category` keeps the cases
    the DSL gave that category (categories.py). Without either, the page and the count
    are read from the index of finished cases alone."""
    where, args, base = f"r.{FINISHED_SQL}", [], "FROM reports r INDEXED BY reports_finished"
    if category is not None:
        base = "FROM reports r JOIN case_categories c ON c.report_id = r.id AND c.code = ?"
        args.append(category)
    query = (query or "").strip()
    if query:
        fields = ("r.kiosk", "r.reasons", "r.choices", "r.words", "r.name", "p.name")
        matches = " OR ".join(f"{field} LIKE ? ESCAPE '\\'" for field in fields)
        where += f" AND (r.id = ? OR {matches})"
        args += [int(query) if query.isdigit() else -1] + [_like(query)] * len(fields)
        base += " LEFT JOIN pupils p ON p.id = r.pupil_id"
    base += f" WHERE {where}"
    total = db.execute(f"SELECT count(*) {base}", args).fetchone()[0]
    rows = list(db.query(f"SELECT r.* {base} ORDER BY {FINISHED_ORDER} LIMIT ? OFFSET ?",
                         args + [per_page, (max(page, 1) - 1) * per_page]))
    return rows, total


def events_for(db, report_id):
    return list(db.query(
        "SELECT e.*, u.email FROM report_events e LEFT JOIN users u ON u.id = e.by_user "
        "WHERE report_id = ? ORDER BY e.id", [report_id]))


def acknowledge(db, report_id, user_id, now):
    """Mark a report seen by a member of the DSL team. Returns the notification, or None
    when it was already acknowledged (two DSLs pressing at once is not an error)."""
    with writing(db):  # the lock first: a read then an upgrade fails while kiosks send
        report = get_report(db, report_id)
        if report is None:
            raise LookupError(f"no report {report_id}")
        if report["status"] != "new":
            return None
        db["reports"].update(report_id, {"status": "acknowledged"})
        db["report_events"].insert({"report_id": report_id, "at": now.isoformat(),
                                    "kind": "acknowledged", "by_user": user_id, "detail": ""})
        return notify.record(db, "report.acknowledged", report_id,
                             summary(dict(report, status="acknowledged")), now.isoformat())
