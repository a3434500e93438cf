"""The dashboard's data: its rows, the names and places they point at, "Get an adult",
sign-offs waiting, email warnings; and the routes that serve them fresh.

dashboard.js draws every row (first page, live updates, the Closed view) from the same
data: a report's summary() plus its latest escalation, with kiosks and people by id.
"""
import contextlib
import json
from datetime import timedelta

from flask import abort, current_app, jsonify, request

from ..safeguarding import cases, categories, help_requests
from .. import notify
from ..db import get_db, writing
from ..safeguarding.reports import closed_reports, open_reports, summary
from ..accounts.users import SIGN_OFF_ROLE
from . import bp
from .auditing import log, now
from .auth import panels_shown, reader_required, shown

CLOSED_PAGE = 50
WARNINGS_FOR = timedelta(hours=24)  # an email failure older than this is in the case record


@contextlib.contextmanager
def snapshot(db):
    """Reads that all see one commit, so a page and its catch-up cursor agree."""
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN")  # deferred: in WAL mode, a read snapshot without a lock
    try:
        yield db
    finally:
        db.conn.execute("COMMIT")


def directory(db):
    """Kiosks (name, place) and people (name) by id, for the rows that point at them."""
    return {
        "kiosks": {row["id"]: {"name": row["name"], "place": row["place"] or ""}
                   for row in db.query("SELECT id, name, place FROM kiosks")},
        "people": {row["id"]: row["name"] or row["email"]
                   for row in db.query("SELECT id, name, email FROM users")},
    }


def _escalation(notification):
    payload = json.loads(notification["payload"])
    return {"at": notification["at"], "step": payload.get("step"),
            "to": payload.get("escalated_to"), "role_name": payload.get("role_name"),
            "told": payload.get("told"), "nobody": bool(payload.get("nobody")),
            "why": payload.get("why", "")}


def escalations(db, report_ids):
    """These reports' latest escalation steps, as their report.escalated notifications
    said (looked up by report, so years of escalated cases are not read)."""
    return {row["report_id"]: _escalation(row) for row in db.query(
        "SELECT * FROM notifications WHERE id IN (SELECT max(id) FROM notifications "
        "WHERE kind = 'report.escalated' AND report_id IN (SELECT value FROM json_each(?)) "
        "GROUP BY report_id)", [json.dumps(report_ids)])}


def rows_for(db, reports):
    """Dashboard rows for these reports: the summary and how far each has escalated."""
    reports = shown(db, reports)  # not the cases closed to whoever is asking
    steps = escalations(db, [report["id"] for report in reports]) if reports else {}
    kinds = categories.of_cases(db, [report["id"] for report in reports]) if reports else {}
    return [dict(summary(report), escalation=steps.get(report["id"]),
                 categories=kinds.get(report["id"], [])) for report in reports]


def waiting_sign_off(db):
    """Open cases whose decision not to refer waits for the head teacher's sign-off."""
    # From the open cases (index reports_open), each looked up in its own entries, so
    # the years of closed cases' decisions are not read.
    candidates = db.query(
        "SELECT r.id FROM reports r INDEXED BY reports_open "
        "WHERE r.status NOT IN ('closed', 'merged') AND EXISTS (SELECT 1 "
        "FROM report_events e WHERE e.report_id = r.id AND e.kind = 'decision') "
        "ORDER BY r.id")
    return [row["id"] for row in candidates if cases.sign_off_state(db, row["id"]) == "needed"]


def email_warnings(db, at):
    """email.failed notifications of the last day not since followed by a sent one."""
    latest = {}
    for row in db.query("SELECT * FROM notifications WHERE kind IN ('email.failed', "
                        "'email.sent') AND at >= ? ORDER BY id",
                        [(at - WARNINGS_FOR).isoformat()]):
        note = dict(row, payload=json.loads(row["payload"]))
        p = note["payload"]
        latest[(p.get("about"), p.get(f"{p.get('about')}_id"), p.get("purpose"),
                p.get("step"))] = note
    return [note for note in latest.values() if note["kind"] == "email.failed"]


def panels(db):
    """Everything beside the rows that a dashboard refreshes as cases move on."""
    return panels_shown(db, {"directory": directory(db), "help": help_requests.open_requests(db),
                             "sign_off": waiting_sign_off(db), "warnings": email_warnings(db, now())})


def first_page(db):
    """The open rows, the panels and the catch-up cursor, all from one commit."""
    with snapshot(db):
        return dict(panels(db), rows=rows_for(db, open_reports(db)),
                    cursor=notify.latest_id(db))


def sign_off_title(user):
    return ("Waiting for your sign-off" if user["role"] == SIGN_OFF_ROLE
            else "Waiting for the head teacher's sign-off")


@bp.get("/api/board")
@reader_required
def board_panels(user):
    """The panels fresh (after a case moved on, or a name the page did not know)."""
    return jsonify(panels(get_db()))


@bp.get("/api/reports")
@reader_required
def closed_cases(user):
    """The Closed view: ?q= searches, ?category= (the DSL's) narrows, ?page= pages, 50
    cases a page."""
    try:
        page = max(int(request.args.get("page", "1")), 1)
    except ValueError:
        abort(400, "page must be a number")
    query = request.args.get("q", "")[:200]
    db = get_db()
    category = request.args.get("category", "")
    if category and category not in {c.code for c in categories.catalogue()}:
        abort(400, "category must be one of the school's categories")
    reports, total = closed_reports(db, query, page, CLOSED_PAGE, category=category or None)
    with writing(db):
        log("cases.listed", "reports", {"view": "closed", "page": page, "matches": total,
                                        "category": category})
    return jsonify(rows=rows_for(db, reports), total=total, page=page,
                   pages=max((total + CLOSED_PAGE - 1) // CLOSED_PAGE, 1),
                   directory=directory(db))


def timezone_name():
    return current_app.config["SCHOOL_DAY"]["timezone"]
