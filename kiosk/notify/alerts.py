"""Content-free alerts: what a screen that is not logged in may show of a notification.

An alert names where and when, never what a report says: an alert screen stays open on
a PC nobody is logged in to, so it shows "URGENT report from Class 4 iPad at 10:45: log
in to read", and the words stay behind a fresh login. Each alert has a `subject` (one
report, one "Get an adult", one email) so a later alert about it replaces the earlier.
"""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

# level: "urgent" (loud, sounds), "alert" (sounds), "warning" (shown, quiet),
# "done" (the subject is dealt with: shown muted, quiet).
READ = "log in to read"


def _clock_time(iso):
    """HH:MM in the school's time zone (UTC outside an app)."""
    zone = (ZoneInfo(current_app.config["SCHOOL_DAY"]["timezone"]) if has_app_context()
            else timezone.utc)
    return datetime.fromisoformat(iso).astimezone(zone).strftime("%H:%M") if iso else ""


def _report_from(payload):
    """ "report from Class 4 iPad at 10:45", or a staff concern's words for it."""
    when = _clock_time(payload.get("created_at"))
    if payload.get("source") == "staff":
        return f"staff concern logged at {when}"
    return f"report from {payload.get('kiosk') or 'a kiosk'} at {when}"


def _help_where(payload):
    kiosk, place = payload.get("kiosk") or "a kiosk", payload.get("place") or ""
    return f"{kiosk} ({place})" if place and place != kiosk else kiosk


def _nobody(step):
    """Why a step reached nobody, as the ladder recorded it (no account, or no way to reach one)."""
    if step.get("why"):
        return f"nobody could be told ({step['why']})"
    role = step.get("role_name") or step.get("to") or "next person"
    return f"no active {role} account can be told"


def _report_alert(kind, payload):
    what = _report_from(payload)
    urgent = payload.get("urgency") == "urgent"
    if kind == "report.new":
        if urgent:
            return "urgent", f"URGENT {what}: {READ}"
        return "alert", f"New {what}: {READ}"
    if kind == "report.escalated":
        if payload.get("nobody"):
            return "urgent", (f"NOBODY TO TELL: the {what} is not acknowledged and "
                              f"{_nobody(payload)}: {READ}")
        told = payload.get("role_name") or payload.get("escalated_to") or "the next person"
        return ("urgent" if urgent else "alert",
                f"Still not acknowledged: the {what}. {told} told: {READ}")
    if kind == "report.acknowledged":
        return "done", f"Acknowledged: the {what}"
    if kind in ("case.closed", "case.merged"):
        return "done", f"Dealt with: the {what}"
    return None


def _help_alert(kind, payload):
    where, when = _help_where(payload), _clock_time(payload.get("at"))
    if kind in ("help.new", "kiosk.help"):
        return "urgent", f"Get an adult pressed at {where} at {when}"
    if kind == "help.escalated":
        if payload.get("nobody"):
            return "urgent", (f"NOBODY TO TELL: Get an adult at {where} at {when} is not "
                              f"answered and {_nobody(payload)}")
        told = payload.get("role_name") or payload.get("to") or "the next person"
        return "urgent", f"Nobody is going yet: Get an adult at {where} at {when}. {told} told"
    if kind == "help.acknowledged":
        return "done", f"{payload.get('by_name') or 'Someone'} is going: Get an adult at {where}"
    return None


def _email_alert(kind, payload):
    if kind == "email.failed":
        return "warning", f"An alert email could not be sent: {READ} why"
    if kind == "email.sent":
        return "done", "An alert email that failed has now been sent"
    return None


def subject_of(kind, payload, report_id=None):
    """What an alert is about, so a later alert about the same thing replaces it."""
    if kind.startswith("email."):
        about = payload.get("about")
        return (f"email:{about}:{payload.get(f'{about}_id')}:"
                f"{payload.get('purpose', '')}:{payload.get('step', '')}")
    if kind.startswith("help.") or kind == "kiosk.help":
        return f"help:{payload.get('help_id', '')}"
    return f"report:{report_id or payload.get('id')}"


def alert_for(notification):
    """The content-free alert for a notification, or None when screens are not told."""
    kind, payload = notification["kind"], notification.get("payload") or {}
    if kind.startswith("report.") or kind.startswith("case."):
        made = _report_alert(kind, payload)
    elif kind.startswith("help.") or kind == "kiosk.help":
        made = _help_alert(kind, payload)
    elif kind.startswith("email."):
        made = _email_alert(kind, payload)
    else:
        made = None
    if made is None:
        return None
    level, text = made
    return {"id": notification.get("id"), "at": notification.get("at"), "kind": kind,
            "subject": subject_of(kind, payload, notification.get("report_id")),
            "level": level, "sound": level in ("urgent", "alert"), "text": text}
