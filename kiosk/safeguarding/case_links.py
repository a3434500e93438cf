"""Reopening a closed case, and related cases linked without merging.

Reopening keeps the closing entry where it is: the record shows the case closed, then
reopened with a reason, and it closes again only through the same rules as before.
A link says two cases are about related events (the same pupils, the same group chat);
each case keeps its own record, and the link, and any unlinking, is an entry on both.
The table case_links holds only the links in force, for the case pages.
"""
from ..accounts.users import READER_ROLES
from ..db import writing
from . import allegations
from .cases import CaseError, _acknowledge_first, _add, _open_case, _text, entries
from .chronology import describes
from .reports import get_report

REOPENED, LINKED, UNLINKED = "reopened", "case_linked", "case_unlinked"


def reopen(db, report_id, user, now, reason):
    """Open a closed case again, with the reason; its closing entry stays in the record."""
    with writing(db):
        report = get_report(db, report_id)
        if report is None:
            raise CaseError(f"There is no case {report_id}.", 404)
        if user["role"] not in READER_ROLES:
            raise CaseError("Only the DSL team or the head teacher can reopen a case.", 403)
        if report["status"] == "merged":
            raise CaseError(f"Case {report_id} was merged into case {report['merged_into']}: "
                            "reopen that case instead.", 409)
        if report["status"] != "closed":
            raise CaseError(f"Case {report_id} is not closed, so it cannot be reopened.", 409)
        reason = _text(reason, "The reason for reopening")
        closing = [e for e in entries(db, report_id) if e["kind"] == "closed"]
        return _add(db, report, REOPENED, user, now,
                    {"reason": reason, "closed_entry": closing[-1]["id"] if closing else None},
                    status="acknowledged", changes={"closed_at": None})


def _pair(a, b):
    return (a, b) if a < b else (b, a)


def links(db, report_id):
    """[{id, status, reason, entry_id}] of the cases linked to this one now."""
    rows = db.query("SELECT l.*, r.id AS other, r.status FROM case_links l JOIN reports r "
                    "ON r.id = CASE WHEN l.low = ? THEN l.high ELSE l.low END "
                    "WHERE l.low = ? OR l.high = ? ORDER BY r.id", [report_id] * 3)
    return [{"id": row["other"], "status": row["status"], "reason": row["reason"],
             "entry_id": row["entry_id"]} for row in rows]


def _other_case(db, report_id, other_id, user):
    """The other case, checked: it exists, is not this one, and is open to this person."""
    if other_id is None:
        raise CaseError("Give the number of the related case.")
    if other_id == report_id:
        raise CaseError("A case cannot be linked to itself.")
    other = get_report(db, other_id)
    if other is None or not allegations.may_read(db, user, other_id):
        raise CaseError(f"There is no case {other_id} you can link to.")
    if other["status"] == "merged":
        raise CaseError(f"Case {other_id} was merged into case {other['merged_into']}: "
                        "link to that case instead.", 409)
    return other


def link(db, report_id, other_id, user, now, reason):
    """Link two related cases with the reason; an entry on each. The other case may be
    closed: the link is a cross-reference, not new work on it."""
    with writing(db):
        report = _open_case(db, report_id)
        _acknowledge_first(report)
        other = _other_case(db, report_id, other_id, user)
        if db["case_links"].count_where("low = ? AND high = ?", _pair(report_id, other_id)):
            raise CaseError(f"Case {report_id} is already linked to case {other_id}.", 409)
        reason = _text(reason, "The reason for linking")
        _add(db, other, LINKED, user, now, {"other": report_id, "reason": reason})
        entry_id, notification = _add(db, report, LINKED, user, now,
                                      {"other": other_id, "reason": reason})
        low, high = _pair(report_id, other_id)
        db["case_links"].insert({"low": low, "high": high, "entry_id": entry_id,
                                 "reason": reason})
        return entry_id, notification


def unlink(db, report_id, other_id, user, now, reason):
    """Take a link away (linked by mistake), with the reason; an entry on each case."""
    with writing(db):
        report = _open_case(db, report_id)
        if other_id is None:
            raise CaseError("Give the number of the linked case.")
        pair = _pair(report_id, other_id)
        if not db["case_links"].count_where("low = ? AND high = ?", pair) \
                or not allegations.may_read(db, user, other_id):
            raise CaseError(f"Case {report_id} is not linked to case {other_id}.", 409)
        reason = _text(reason, "The reason for unlinking")
        _add(db, get_report(db, other_id), UNLINKED, user, now,
             {"other": report_id, "reason": reason})
        entry_id, notification = _add(db, report, UNLINKED, user, now,
                                      {"other": other_id, "reason": reason})
        db["case_links"].delete(pair)
        return entry_id, notification


@describes(REOPENED)
def _reopened(detail):
    closed = detail.get("closed_entry")
    return ("Case reopened",
            detail.get("reason", "") + (f" (it was closed by entry #{closed})" if closed else ""))


@describes(LINKED)
def _linked(detail):
    return (f"Linked to related case {detail.get('other')} (not merged)",
            detail.get("reason", ""))


@describes(UNLINKED)
def _unlinked(detail):
    return f"Link to case {detail.get('other')} taken away", detail.get("reason", "")
