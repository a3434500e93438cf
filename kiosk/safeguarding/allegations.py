"""Allegations about staff: to the head (or the chair of governors), hidden from the person named.

Policy: "Any concern about staff misuse is always referred directly to the headteacher,
unless the concern is about the headteacher in which case the complaint is referred to
the Chair of Governors and the LADO (Local Authority's Designated Officer)." So a case
marked as about a member of staff goes to the head, or to the chair when it names the
head; the person it names may no longer read or touch it in any way, whatever their
role; and the chair reads only the cases about the head.

The mark is a case entry (kind "about_staff"); the `allegations` table mirrors it in the
same transaction so every page and push can ask "may this person see this case?" fast.
"""
from flask import current_app, has_app_context

from ..db import writing
from . import cases, outbox
from .cases import CaseError, Decision, Field, _add, _open_case, _text
from .chronology import describes
from ..accounts.users import (CHAIR_ROLE, READER_ROLES, ROLE_NAMES, SIGN_OFF_ROLE,
                              display_name, get_user)

KIND = "about_staff"
EMAIL_PURPOSE = "about_staff"
MARKERS = ("dsl", "deputy", "head")  # besides the member of staff who logged the concern

cases.add_decision(Decision("lado_referred", "Referred to the LADO", refers=True, fields=(
    Field("lado_reference", "LADO reference", required=False),)))
cases.add_decision(Decision("lado_no_referral", "LADO consulted: no referral", fields=(
    Field("lado_officer", "LADO officer consulted"),)))


def named_in(db, report_id):
    """Ids of the staff a case names."""
    return {row["staff_user_id"] for row in db.query(
        "SELECT staff_user_id FROM allegations WHERE report_id = ?", [report_id])}


def about_head(db, report_id):
    return bool(next(db.query("SELECT 1 FROM allegations WHERE report_id = ? AND about_head",
                              [report_id]), None))


def naming(db, user_id):
    """Ids of the cases that name this person."""
    return {row["report_id"] for row in db.query(
        "SELECT report_id FROM allegations WHERE staff_user_id = ?", [user_id])}


def head_cases(db):
    """Ids of the cases about the head: all the chair may read."""
    return {row["report_id"] for row in db.query(
        "SELECT DISTINCT report_id FROM allegations WHERE about_head")}


def may_read(db, user, report_id):
    """Whether this person may read or act on this case at all."""
    if user["role"] == CHAIR_ROLE:
        return about_head(db, report_id)
    return user["id"] not in named_in(db, report_id)


def visible(db, user, reports):
    """Those of these reports (rows or summaries) this person may see in a list."""
    if user is None:
        return list(reports)
    if user["role"] == CHAIR_ROLE:
        allowed = head_cases(db)
        return [r for r in reports if r["id"] in allowed]
    hidden = naming(db, user["id"])
    return [r for r in reports if r["id"] not in hidden] if hidden else list(reports)


def audience(db, report_id):
    """None when everyone on the DSL team may hear of this case; else the ids of the only
    accounts that may (the readers it does not name, and the chair when it names the head)."""
    if report_id is None:
        return None
    named = named_in(db, report_id)
    if not named:
        return None
    roles = READER_ROLES if about_head(db, report_id) else tuple(
        r for r in READER_ROLES if r != CHAIR_ROLE)
    marks = ", ".join("?" * len(roles))
    return {row["id"] for row in db.query(
        f"SELECT id FROM users WHERE active = 1 AND role IN ({marks})", list(roles))} - named


def _recipients(db, staff):
    """Who the case goes to: the head, or the chair of governors when it names the head."""
    role = CHAIR_ROLE if staff["role"] == SIGN_OFF_ROLE else SIGN_OFF_ROLE
    return role, [p for p in outbox.accounts(db, (role,)) if p["id"] != staff["id"]]


def _check_marker(report, user):
    if user["role"] not in MARKERS and user["id"] != report["reported_by"]:
        raise CaseError("Only the DSL team, the head, or the member of staff who logged the "
                        "concern can mark a case as about a member of staff.", 403)


def _staff_named(db, report_id, user, staff_user_id):
    if staff_user_id is None:
        raise CaseError("Choose the member of staff the concern is about.")
    staff = get_user(db, staff_user_id)
    if staff is None:
        raise CaseError(f"There is no staff account {staff_user_id}.")
    if staff["role"] == CHAIR_ROLE:
        raise CaseError("The chair of governors is not a member of staff: record a note "
                        "instead.")
    if staff["id"] == user["id"]:
        raise CaseError("You cannot mark a case as about yourself: ask the head teacher "
                        "or the DSL to record it.")
    if staff["id"] in named_in(db, report_id):
        raise CaseError(f"This case already names {display_name(staff)}.", 409)
    return staff


def mark_about_staff(db, report_id, user, now, staff_user_id, reason):
    """Mark a case as about a member of staff: from now on it goes to the head (or the
    chair of governors, when it is about the head) and is closed to the person named.
    Returns (entry id, notification)."""
    with writing(db):
        report = _open_case(db, report_id)
        _check_marker(report, user)
        staff = _staff_named(db, report_id, user, staff_user_id)
        reason = _text(reason, "The reason")
        goes_to, people = _recipients(db, staff)
        detail = {"staff_user_id": staff["id"], "staff": display_name(staff),
                  "staff_role": staff["role"], "reason": reason, "goes_to": goes_to,
                  "told": [display_name(p) for p in people]}
        detail["emailed"] = _email(db, report, people, now)
        entry_id, notification = _add(db, report, KIND, user, now, detail)
        db["allegations"].insert({"report_id": report["id"], "staff_user_id": staff["id"],
                                  "about_head": int(staff["role"] == SIGN_OFF_ROLE),
                                  "entry_id": entry_id, "at": now.isoformat()})
        return entry_id, notification


def _email(db, report, people, now):
    """Queue a content-free email to each recipient when email is set up; their names."""
    config = current_app.config if has_app_context() else {}
    if not people or not outbox.email_on(config):
        return []
    number = report["id"]
    words = (lambda person: (
        "A safeguarding case needs you",
        f"Case {number} has been marked as a concern about a member of staff, and the "
        f"school's policy sends it to you. Open the dashboard and find case {number}. "
        "What the case says is not in this email, on purpose."))
    outbox.queue(db, "report", number, EMAIL_PURPOSE, 0, people, words, now)
    return [display_name(p) for p in people]


def chair_sign_off(db, report_id, user, now, comment=""):
    """The chair of governors signs off a decision not to refer on a case about the head
    (the head, who would otherwise sign, may not read it)."""
    with writing(db):
        report = _open_case(db, report_id)
        if user["role"] != CHAIR_ROLE or not about_head(db, report_id):
            raise CaseError("Only the chair of governors signs off here, and only for a "
                            "case about the head teacher.", 403)
        if cases.sign_off_state(db, report_id) != "needed":
            raise CaseError("There is no decision not to refer waiting for sign-off.", 409)
        return _add(db, report, "sign_off", user, now,
                    {"text": _text(comment, "The comment", required=False),
                     "signer": CHAIR_ROLE})


def open_cases_for(db, user):
    """Open cases about staff this person may read, newest first, for their dashboard."""
    rows = list(db.query(
        "SELECT a.report_id, a.at, a.about_head, u.name, u.email, u.role FROM allegations a "
        "JOIN reports r ON r.id = a.report_id LEFT JOIN users u ON u.id = a.staff_user_id "
        "WHERE r.status NOT IN ('closed', 'merged') ORDER BY a.id DESC"))
    return [dict(row, staff=row["name"] or row["email"],
                 staff_role=ROLE_NAMES.get(row["role"], row["role"]))
            for row in rows if may_read(db, user, row["report_id"])]


@describes(KIND)
def _describe(detail):
    to = "the chair of governors" if detail.get("goes_to") == CHAIR_ROLE else "the head teacher"
    told = ", ".join(detail.get("told") or []) or "nobody (no active account)"
    emailed = ", ".join(detail.get("emailed") or []) or "nobody"
    role = ROLE_NAMES.get(detail.get("staff_role"), detail.get("staff_role", ""))
    return (f"Marked as about a member of staff: {detail.get('staff')} ({role})",
            f"{detail.get('reason', '')}. Goes to {to}: {told}; by email: {emailed}. "
            f"{detail.get('staff')} may not see this case.")


@describes("sign_off")
def _describe_sign_off(detail):
    """The core wording, unless the chair signed (a case about the head)."""
    who = "Chair of governors" if detail.get("signer") == CHAIR_ROLE else "Head teacher"
    return f"{who} signed off the decision not to refer", detail.get("text", "")
