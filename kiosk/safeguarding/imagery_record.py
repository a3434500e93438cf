"""How the imagery steps read in the record (case page, printable page, PDF, transfer
files), and where a case's imagery work stands."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from . import cases, imagery
from .chronology import describes
from .imagery import ANSWERS, CRITERIA, OUTCOMES, QUESTIONS, VIEWING_REASONS


def _when(iso):
    """A date and time in the school's zone, in words, for a time given inside an entry."""
    zone = ZoneInfo(current_app.config["SCHOOL_DAY"]["timezone"] if has_app_context()
                    else "UTC")
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%d %B %Y at %H:%M %Z")


def _s(text):
    """Free text set inside a sentence of ours, without its own closing full stop."""
    return (text or "").rstrip(" .")


def _day(iso):
    return datetime.fromisoformat(iso).strftime("%A %d %B %Y")


def _answered(questions, answers):
    lines = []
    for key, text in questions:
        given = answers.get(key, {})
        note = f" ({_s(given['note'])})" if given.get("note") else ""
        lines.append(f"{text}: {ANSWERS.get(given.get('answer'), 'not answered')}{note}")
    return "; ".join(lines)


@describes(imagery.REVIEW)
def _review(d):
    met = [text for key, text in CRITERIA if d["criteria"].get(key, {}).get("answer") == "yes"]
    verdict = (f"CRITERIA FOR IMMEDIATE REFERRAL MET: {'; '.join(met)}. The policy says the "
               "case is referred to the police and/or children's social care immediately."
               if met else "No criterion for immediate referral was answered yes.")
    return ("Imagery: initial review meeting",
            f"Attended: {_s(d.get('attended'))}. Questions: "
            f"{_answered(QUESTIONS, d['questions'])}. Criteria for immediate referral: "
            f"{_answered(CRITERIA, d['criteria'])}. {verdict}")


@describes(imagery.VIEWING)
def _viewing(d):
    sex = ("The viewer was the same sex as the young person" if d.get("same_sex") == "yes"
           else f"The viewer was not the same sex as the young person, because: "
                f"{_s(d.get('not_same_sex_reason'))}")
    return ("Imagery viewed: viewing record, signed and dated",
            f"Viewed by {d.get('viewer', '')}. Also present: {_s(d.get('present'))}. "
            f"Why: {VIEWING_REASONS.get(d.get('reason'), '')}; {_s(d.get('why'))}. "
            f"Discussed with the head teacher: {ANSWERS.get(d.get('discussed_with_head'))}. "
            f"{sex}. What happened next: {_s(d.get('next'))}. "
            f"Signed and dated: {d.get('signature', '')}.")


@describes(imagery.STAFF_SUPPORT)
def _support(d):
    return (f"Imagery: support offered to {d.get('staff', '')}, who viewed it",
            d.get("support", ""))


@describes(imagery.DEVICE_SECURED)
def _secured(d):
    return (f"Device switched off and locked away: {d.get('device', '')}",
            f"Switched off, under lock and key at {_s(d.get('where'))}; held by "
            f"{_s(d.get('held_by'))} until the police collect it.")


@describes(imagery.DEVICE_HANDED)
def _handed(d):
    return (f"Device handed to the police: {d.get('device', '')}",
            f"Collected by {d.get('officer', '')} (number {d.get('officer_number', '')}) on "
            f"{_when(d['handed_at'])} (the device locked away in entry "
            f"{d.get('device_entry')}).")


@describes(imagery.DELETION_DEADLINE)
def _deadline(d):
    return (f"Imagery: deletion deadline {_day(d['deadline'])}",
            f"Given to {_s(d.get('told'))}: delete the imagery from all devices, online "
            "storage and social media by then. They were reminded that possessing it is "
            "illegal and that not deleting it is an offence the police may act on.")


@describes(imagery.DECISION_REVIEWED)
def _reviewed(d):
    return (f"Decision reviewed: {d.get('title', '')}",
            f"{OUTCOMES.get(d.get('outcome'), '')} (decision entry {d.get('decision_entry')}). "
            f"Reviewed by {_s(d.get('reviewers'))}. Why: {_s(d.get('text'))}. "
            f"Next review by {_day(d['next_review'])}.")


def state(db, report_id):
    """Where the case's imagery work stands, for its panel: each step's entries."""
    found = [e for e in cases.entries(db, report_id) if e["kind"] in imagery.KINDS]
    of = lambda kind: [e for e in found if e["kind"] == kind]  # noqa: E731
    reviewed = of(imagery.DECISION_REVIEWED)
    return {
        "started": bool(found), "review": (of(imagery.REVIEW) or [None])[0],
        "viewings": of(imagery.VIEWING), "supports": of(imagery.STAFF_SUPPORT),
        "devices": imagery.devices(db, report_id),
        "deadlines": of(imagery.DELETION_DEADLINE), "reviews": reviewed,
        "next_review": reviewed[-1]["detail"]["next_review"] if reviewed else None,
        "criteria_met": imagery.criteria_met(db, report_id),
        "decisions": cases.decisions_in_force(db, report_id),
    }
