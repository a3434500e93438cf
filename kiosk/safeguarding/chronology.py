"""A case's record in words, as the case page, the printable page and the PDF show it."""
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from .cases import entries
from ..accounts.users import ROLE_NAMES, display_name, get_user


def _by(entry):
    if not entry["by_user"]:
        if entry["kind"].startswith("escalat"):
            return "System (escalation ladder)"
        return "System (email)" if entry["kind"].startswith("email_") else "System"
    name = entry.get("by_name") or entry["email"]
    return f"{name} ({ROLE_NAMES.get(entry['role'], entry['role'])})"


def _clock(iso):
    """A time in the school's time zone, to the second, for words inside an entry."""
    zone = ZoneInfo(current_app.config["SCHOOL_DAY"]["timezone"] if has_app_context()
                    else "UTC")
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%H:%M:%S %Z") if iso else ""


def _decision_text(d):
    """The reason, then the decision's own fields (a crime reference...) by their labels."""
    from .cases import DECISIONS
    decision = DECISIONS.get(d.get("decision"))
    extra = [f"{f.label}: {d[f.name]}" for f in (decision.fields if decision else ())
             if d.get(f.name)]
    return ". ".join([d.get("reason", "")] + extra) if extra else d.get("reason", "")


def _listed(names):
    return ", ".join(names) if names else "nobody"


def _escalation(kind, d):
    """(title, text) for a step of the ladder: exactly who was told and how, or nobody."""
    role = ROLE_NAMES.get(d.get("to"), d.get("to", ""))
    if kind == "escalation_nobody":
        return (f"NOBODY TO TELL at escalation step {d.get('step')} ({role})",
                f"{d.get('why', '')}. Nobody was told; the next step, if any, was taken at once.")
    title = f"Escalated to {role} (step {d.get('step')}): not acknowledged in time"
    if "told" not in d:  # a step recorded before steps named who was told
        return f"Escalated to {role}: not acknowledged in time", (
            "Recorded before steps named who was told; " + (
                "email was not set up" if d.get("email_to") is None
                else f"{d['email_to']} to be emailed") + ".")
    emailed = d.get("emailed_names", d.get("emailed"))  # names; addresses before names
    email = (f"by email: {_listed(emailed)}" if d.get("email") == "on"
             else "by email: nobody (email is not set up)")
    return title, (f"Told: {_listed(d['told'])}; {email}; on an open dashboard: "
                   f"{_listed(d.get('dashboards'))}. Dashboards open at the time: "
                   f"{_listed(d.get('watching'))}.")


def _email(kind, d):
    """(title, text) for how an email went: sent, failed (and when it is tried again)."""
    purpose = {"arrival": "on arrival", "task_overdue": "reminding the owner of an overdue task",
               "about_staff": "about a concern about staff"}.get(
        d.get("purpose"), f"for escalation step {d.get('step')}")
    to = d.get("to") or []
    if kind == "email_sent":
        return f"Email {purpose} sent to {len(to)}", _listed(to)
    if kind == "email_failed":
        return (f"Email {purpose} could not be sent (try {d.get('attempts')})",
                f"To {_listed(to)}: {d.get('error', '')}. Trying again at "
                f"{_clock(d.get('next_try_at'))}.")
    if kind == "email_not_sent":
        return f"Nobody emailed {purpose}", d.get("why", "")
    return f"Email {purpose} not sent", f"To {_listed(to)}: {d.get('why', '')}."


# Entry kinds added by a workflow (imagery, tasks, pupils...) say how they read here:
# kind -> function(detail) -> (title, text). Registered with @describes(kind, ...).
DESCRIBERS = {}


def describes(*kinds):
    def decorate(function):
        for kind in kinds:
            DESCRIBERS[kind] = function
        return function
    return decorate


def describe(entry):
    """(title, text) for one entry."""
    d, kind = entry["detail"], entry["kind"]
    if kind in DESCRIBERS:
        return DESCRIBERS[kind](d)
    titles = {
        "acknowledged": ("Acknowledged", ""),
        "assigned": ("Owner assigned", d.get("owner", "")),
        "note": ("Note", d.get("text", "")),
        "decision": (f"Decision: {d.get('title', '')}", _decision_text(d)),
        "sign_off": ("Head teacher signed off the decision not to refer", d.get("text", "")),
        "closed": ("Case closed", d.get("text", "")),
        "linked_pupil": ("Linked to pupil",
                         f"{d.get('name', '')} {('(' + d['year_group'] + ')') if d.get('year_group') else ''}".strip()),
    }
    if kind in ("escalated", "escalation_nobody"):
        return _escalation(kind, d)
    if kind in ("email_sent", "email_failed", "email_not_sent", "email_cancelled"):
        return _email(kind, d)
    if kind in ("escalation_email", "escalation_email_failed"):
        who = ROLE_NAMES.get(d.get("to"), d.get("to", ""))
        if kind == "escalation_email":
            return f"Escalation email sent to {d.get('sent', 0)} ({who})", ""
        return f"Escalation email to {who} failed", (
            f"{d.get('sent', 0)} of {d.get('of', 0)} sent: {d.get('error', '')}")
    if kind == "merged":
        if "into" in d:
            return f"Merged into case {d['into']} as a duplicate", d.get("reason", "")
        return f"Case {d.get('from')} merged into this case as a duplicate", d.get("reason", "")
    if kind in titles:
        return titles[kind]
    text = d.get("text") or d.get("error") or ""
    return kind.replace("_", " ").capitalize(), text


def present_entries(db, report_id):
    """The case's entries as the pages show them."""
    shown = []
    for entry in entries(db, report_id):
        title, text = describe(entry)
        shown.append({"id": entry["id"], "at": datetime.fromisoformat(entry["at"]),
                      "kind": entry["kind"], "title": title, "text": text, "by": _by(entry),
                      "corrects": entry["corrects"], "corrected_by": entry["corrected_by"],
                      "detail": entry["detail"]})
    return shown


def case_record(db, report):
    """One case in the export contract (see exports)."""
    owner = get_user(db, report["owner_id"]) if report["owner_id"] else None
    reporter = get_user(db, report["reported_by"]) if report["reported_by"] else None
    return {
        "id": report["id"], "created_at": datetime.fromisoformat(report["created_at"]),
        "source": report["source"], "kiosk": report["kiosk"] or "",
        "reported_by": display_name(reporter),
        "urgency": report["urgency"], "reasons": json.loads(report["reasons"]),
        "due_at": datetime.fromisoformat(report["due_at"]), "status": report["status"],
        "owner": display_name(owner), "merged_into": report["merged_into"],
        # page, tile and body: where a "Show me where" answer is, for its drawn picture.
        "choices": [{"question": c["question"], "label": c["label"],
                     **{k: c[k] for k in ("page", "tile", "body") if k in c}}
                    for c in json.loads(report["choices"])],
        "words": report["words"] or "", "words_source": report["words_source"] or "",
        "name": report["name"] or "", "happened": report["happened"] or "",
        "about": report["about"] if "about" in report.keys() else "",
        "entries": present_entries(db, report["id"]),
    }


def chronology(db, title, reports, user, now, school, timezone, pupil=None):
    """The whole export: header facts and each case's record."""
    return {"title": title, "school": school, "timezone": timezone, "generated_at": now,
            "generated_by": f"{display_name(user)} ({ROLE_NAMES[user['role']]})",
            "pupil": {"name": pupil["name"], "year_group": pupil["year_group"]} if pupil else None,
            "cases": [case_record(db, report) for report in reports]}
