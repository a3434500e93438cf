"""Immediate referral: a case that met the criteria cannot close without one.

The policies (UKCIS guidance) say a report is referred to police or children's social
care at once when it involves an adult, coercion or grooming, unusual or violent
content, imagery of a child under 13, or immediate risk of harm. Triage stores the
criteria a report met with the report itself (fixed, sealed). Such a case closes only
with a referral decision in force, or with the DSL's reason for not referring, which
quotes the criteria, and the head teacher's sign-off of that very reason.
"""
import json

from ..db import writing
from . import cases
from .cases import CaseError, _add, _open_case, _text, entries
from .chronology import describes

NOT_REFERRING = "referral_not_made"       # the DSL's reason, quoting the criteria
SIGNED_OFF = "referral_not_made_signed"   # the head's sign-off of one such reason
DSL_TEAM = ("dsl", "deputy")
SIGNERS = ("head",)  # and the chair of governors, when the case is about the head


def criteria_of(report):
    """{criterion id: its words} the report met when it arrived; {} when none."""
    raw = report["referral_criteria"] if "referral_criteria" in report.keys() else ""
    return json.loads(raw) if raw else {}


def quoted(criteria):
    return "; ".join(criteria.values())


def _referred(db, report_id):
    return [d for d in cases.decisions_in_force(db, report_id)
            if cases.DECISIONS.get(d["detail"].get("decision"), cases.Decision("", "")).refers]


def state(db, report):
    """Where the case stands: {"criteria", "referred", "reason" (newest entry), "signed"}."""
    criteria = criteria_of(report)
    if not criteria:
        return None
    found = entries(db, report["id"])
    reasons = [e for e in found if e["kind"] == NOT_REFERRING]
    reason = reasons[-1] if reasons else None
    signed = reason is not None and any(
        e["kind"] == SIGNED_OFF and e["detail"].get("signs_off") == reason["id"] for e in found)
    return {"criteria": criteria, "referred": bool(_referred(db, report["id"])),
            "reason": reason, "signed": signed}


@cases.close_check
def referral_or_signed_reason(db, report):
    """Refuse to close a case that met the criteria without a referral or a signed reason."""
    now = state(db, report)
    if now is None or now["referred"]:
        return
    met = f"This case met the criteria for immediate referral ({quoted(now['criteria'])})."
    if now["reason"] is None:
        raise CaseError(f"{met} Record a referral decision (children's social care, police, "
                        "CEOP), or record why you are not referring despite the criteria, "
                        "for the head teacher to sign off.", 409)
    if not now["signed"]:
        raise CaseError(f"{met} The head teacher must sign off the reason for not referring "
                        f"(entry {now['reason']['id']}) before this case can close.", 409)


def record_not_referring(db, report_id, user, now, reason):
    """The DSL's reason for not referring although the report met the criteria."""
    with writing(db):
        report = _open_case(db, report_id)
        cases._acknowledge_first(report)
        if user["role"] not in DSL_TEAM:
            raise CaseError("Only the DSL or a deputy DSL records why a case that met the "
                            "criteria is not referred.", 403)
        criteria = criteria_of(report)
        if not criteria:
            raise CaseError("This case did not meet the criteria for immediate referral: "
                            "record an ordinary decision instead.", 409)
        reason = _text(reason, "The reason for not referring")
        return _add(db, report, NOT_REFERRING, user, now,
                    {"criteria": criteria, "reason": reason})


def may_sign(db, report, user):
    from .allegations import about_head  # the head cannot sign a case about themselves
    if about_head(db, report["id"]):
        return user["role"] == "chair"
    return user["role"] in SIGNERS


def sign_off_not_referring(db, report_id, user, now, entry_id, comment=""):
    """The head teacher signs off one reason for not referring, named by its entry."""
    with writing(db):
        report = _open_case(db, report_id)
        if not may_sign(db, report, user):
            raise CaseError("Only the head teacher (the chair of governors, for a case about "
                            "the head) can sign off a reason for not referring.", 403)
        if entry_id is None:
            raise CaseError("Give the entry number of the reason you are signing off.")
        now_state = state(db, report)
        target = next((e for e in entries(db, report_id) if e["id"] == entry_id), None)
        if now_state is None or target is None or target["kind"] != NOT_REFERRING:
            raise CaseError(f"Entry {entry_id} is not a reason for not referring on this "
                            "case.")
        if target["id"] != now_state["reason"]["id"]:
            raise CaseError(f"Entry {entry_id} was replaced by a newer reason (entry "
                            f"{now_state['reason']['id']}): sign off that one.", 409)
        if now_state["signed"]:
            raise CaseError(f"Entry {entry_id} is already signed off.", 409)
        return _add(db, report, SIGNED_OFF, user, now,
                    {"signs_off": entry_id, "criteria": target["detail"]["criteria"],
                     "text": _text(comment, "The comment", required=False)})


@describes(NOT_REFERRING)
def _describe_reason(detail):
    return ("Not referring despite the criteria for immediate referral",
            f"Criteria met: {quoted(detail.get('criteria', {}))}. "
            f"Reason: {detail.get('reason', '')}")


@describes(SIGNED_OFF)
def _describe_signed(detail):
    text = f"Signed off entry {detail.get('signs_off')} (criteria: " \
           f"{quoted(detail.get('criteria', {}))})."
    return ("Reason for not referring signed off",
            f"{text} {detail['text']}" if detail.get("text") else text)
