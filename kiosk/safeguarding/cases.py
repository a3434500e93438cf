"""A report worked as a case: owner, notes, decisions, head's sign-off, closing, merging.

Everything is an entry in report_events, which the database will not let anyone change
or delete; a correction is a new entry that points at the one it corrects. The columns
on reports (status, owner, pupil) only mirror the newest entries, for listing.
"""
import json
from dataclasses import dataclass

from .. import notify
from ..db import writing
from .reports import get_report, summary
from ..accounts.users import SIGN_OFF_ROLE, TEAM_ROLES, display_name, get_user

MAX_TEXT = 4000


@dataclass(frozen=True)
class Field:
    """A value a decision records besides its reason (a crime reference number...)."""
    name: str
    label: str
    required: bool = True
    max_length: int = 80


@dataclass(frozen=True)
class Decision:
    code: str
    title: str
    refers: bool = False  # a referral out to police or children's social care
    fields: tuple = ()  # Field values recorded with it, asked for on the form


# The outcomes the policies name (UKCIS guidance as the school policies adopt it).
DECISIONS = {d.code: d for d in (
    Decision("mash", "Referred to children's social care (MASH)", refers=True),
    Decision("police_999", "Police called on 999", refers=True),
    Decision("police_101", "Reported to police on 101", refers=True),
    Decision("ceop", "Reported to CEOP", refers=True),
    Decision("iwf", "Reported to IWF Report Remove"),
    Decision("parents_informed", "Parents or carers informed"),
    Decision("parents_not_informed", "Parents or carers not informed"),
    Decision("internal_support", "Support in school"),
    Decision("not_referred", "Decided not to refer to police or children's social care"),
    Decision("nfa", "No further action"),
)}
CORRECTABLE = ("note", "decision")


def add_decision(decision):
    """A workflow's own decision (LADO, Prevent...), offered with the others."""
    DECISIONS[decision.code] = decision


# Checks a case must pass before it closes, added by workflows (referral, imagery,
# tasks...): each is check(db, report) and raises CaseError saying what is missing.
CLOSE_CHECKS = []


def close_check(check):
    CLOSE_CHECKS.append(check)
    return check


class CaseError(ValueError):
    """An action the case does not allow now; the message says why."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


def _text(value, what, required=True):
    value = (value or "").replace("\x00", "").strip() if isinstance(value, str) else None
    if value is None:
        raise CaseError(f"{what} must be text")
    if required and not value:
        raise CaseError(f"{what} is needed")
    if len(value) > MAX_TEXT:
        raise CaseError(f"{what} is too long: at most {MAX_TEXT} characters")
    return value


def entries(db, report_id):
    """The case's entries, oldest first, each with who made it and what corrected it."""
    rows = list(db.query(
        "SELECT e.*, u.email, u.name AS by_name, u.role FROM report_events e LEFT JOIN users u ON u.id = e.by_user "
        "WHERE e.report_id = ? ORDER BY e.id", [report_id]))
    corrected_by = {row["corrects"]: row["id"] for row in rows if row["corrects"]}
    return [dict(row, detail=_detail(row["detail"]), corrected_by=corrected_by.get(row["id"]))
            for row in rows]


def _detail(raw):
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {"text": raw}  # entries from before details were structured
    return value if isinstance(value, dict) else {"text": str(value)}


def decisions_in_force(db, report_id):
    """Decisions not since corrected by a later entry."""
    return [e for e in entries(db, report_id)
            if e["kind"] == "decision" and not e["corrected_by"]]


def sign_off_state(db, report_id):
    """"not needed" (a referral was made, or no decision yet), "needed" or "signed"."""
    decisions = decisions_in_force(db, report_id)
    if not decisions or any(DECISIONS[d["detail"]["decision"]].refers for d in decisions):
        return "not needed"
    latest = max(d["id"] for d in decisions)
    # The head's sign-off of a reason for not referring despite the criteria (referral.py)
    # signs off the decision not to refer too: one signature, not two.
    signed = [e for e in entries(db, report_id)
              if e["kind"] in ("sign_off", "referral_not_made_signed") and e["id"] > latest]
    return "signed" if signed else "needed"


def _open_case(db, report_id):
    report = get_report(db, report_id)
    if report is None:
        raise CaseError(f"There is no case {report_id}.", 404)
    if report["status"] == "closed":
        raise CaseError(f"Case {report_id} is closed: nothing more can be added to it.", 409)
    if report["status"] == "merged":
        raise CaseError(f"Case {report_id} was merged into case {report['merged_into']}: "
                        "add to that case instead.", 409)
    return report


def _add(db, report, kind, user, now, detail, corrects=None, status=None, changes=None):
    """One entry, the mirrored columns, and a live notification, in the caller's transaction."""
    table = db["report_events"]
    table.insert({"report_id": report["id"], "at": now.isoformat(), "kind": kind,
                  "by_user": user["id"] if user else None,
                  "detail": json.dumps(detail, ensure_ascii=False), "corrects": corrects})
    entry_id = table.last_pk
    changes = dict(changes or {})
    if status:
        changes["status"] = status
    if changes:
        db["reports"].update(report["id"], changes)
    fresh = get_report(db, report["id"])
    return entry_id, notify.record(db, f"case.{kind}", report["id"], summary(fresh),
                                   now.isoformat())


def _acknowledge_first(report):
    if report["status"] == "new":
        raise CaseError("Acknowledge the report first.", 409)


def add_note(db, report_id, user, now, text, corrects=None):
    """A note on the case; with `corrects`, it replaces an earlier note or decision."""
    with writing(db):
        report = _open_case(db, report_id)
        text = _text(text, "The note")
        if corrects is not None:
            _check_correctable(db, report_id, corrects)
        return _add(db, report, "note", user, now, {"text": text}, corrects)


def _check_correctable(db, report_id, entry_id):
    target = next((e for e in entries(db, report_id) if e["id"] == entry_id), None)
    if target is None or target["kind"] not in CORRECTABLE:
        raise CaseError(f"Entry {entry_id} is not a note or decision on this case.")
    if target["corrected_by"]:
        raise CaseError(f"Entry {entry_id} was already corrected by entry "
                        f"{target['corrected_by']}: correct that one instead.", 409)
    return target


def _field_values(decision, given):
    """The decision's own fields from the form, each checked; {} when it has none."""
    values = {}
    for field in decision.fields:
        value = _text((given or {}).get(field.name, ""), field.label, field.required)
        if len(value) > field.max_length:
            raise CaseError(f"{field.label} is too long: at most {field.max_length} "
                            "characters.")
        if value:
            values[field.name] = value
    return values


def record_decision(db, report_id, user, now, code, reason, corrects=None, fields=None):
    """A decision with its reason (and its own fields, such as a crime reference number).
    A decision made after a sign-off needs a new sign-off."""
    with writing(db):
        report = _open_case(db, report_id)
        _acknowledge_first(report)
        if code not in DECISIONS:
            raise CaseError("Choose a decision from the list.")
        decision = DECISIONS[code]
        reason = _text(reason, "The reason")
        values = _field_values(decision, fields)
        if corrects is not None:
            _check_correctable(db, report_id, corrects)
        return _add(db, report, "decision", user, now,
                    dict({"decision": code, "title": decision.title, "reason": reason},
                         **values), corrects)


def sign_off(db, report_id, user, now, comment=""):
    """The head teacher signs off the decision not to refer."""
    with writing(db):
        report = _open_case(db, report_id)
        if user["role"] != SIGN_OFF_ROLE:
            raise CaseError("Only the head teacher can sign off a decision not to refer.", 403)
        if sign_off_state(db, report_id) != "needed":
            raise CaseError("There is no decision not to refer waiting for sign-off.", 409)
        return _add(db, report, "sign_off", user, now,
                    {"text": _text(comment, "The comment", required=False)})


def close(db, report_id, user, now, summary_text):
    """Close the case: only with a decision, and with the head's sign-off when not referred."""
    with writing(db):
        report = _open_case(db, report_id)
        _acknowledge_first(report)
        if not decisions_in_force(db, report_id):
            raise CaseError("Record at least one decision before closing the case.", 409)
        if sign_off_state(db, report_id) == "needed":
            raise CaseError("The head teacher must sign off the decision not to refer "
                            "before this case can close.", 409)
        for check in CLOSE_CHECKS:
            check(db, report)
        return _add(db, report, "closed", user, now,
                    {"text": _text(summary_text, "A closing summary")}, status="closed",
                    changes={"closed_at": now.isoformat()})


def assign(db, report_id, user, now, owner_id):
    """Give the case an owner from the DSL team."""
    with writing(db):
        report = _open_case(db, report_id)
        owner = get_user(db, owner_id)
        if owner is None or owner["role"] not in TEAM_ROLES or not owner["active"]:
            raise CaseError("The owner must be an active member of the DSL team or the head.")
        return _add(db, report, "assigned", user, now,
                    {"owner_id": owner["id"], "owner": display_name(owner)},
                    changes={"owner_id": owner["id"]})


def merge(db, duplicate_id, into_id, user, now, reason):
    """Merge a duplicate report into another case; both keep their own record."""
    with writing(db):
        if into_id is None:
            raise CaseError("Give the number of the case to merge into.")
        if duplicate_id == into_id:
            raise CaseError("A case cannot be merged into itself.")
        duplicate = _open_case(db, duplicate_id)
        into = _open_case(db, into_id)
        reason = _text(reason, "The reason")
        _add(db, into, "merged", user, now, {"from": duplicate_id, "reason": reason})
        return _add(db, duplicate, "merged", user, now, {"into": into_id, "reason": reason},
                    status="merged", changes={"merged_into": into_id})
