"""The words of every email the kiosk sends: which report or kiosk, when, where to go.

Nothing a report says is in any of them: email leaves the school's control, can be
forwarded and shows on phone lock screens, and reading it there is not in the audit log.
A "Get an adult" email names the kiosk and its place, because that is where an adult
must go; it says nothing about the pupil.
"""
from datetime import datetime

from .schoolday import SchoolDay

URGENCY_WORDS = {"urgent": "Urgent (to be seen within minutes)",
                 "same-day": "Same day (to be seen today)"}
ESCALATION_SUBJECTS = {"urgent": "Urgent safeguarding report not acknowledged",
                       "same-day": "Safeguarding report not acknowledged by its due time"}
ARRIVAL_SUBJECTS = {"urgent": "Urgent safeguarding report: please read it now",
                    "same-day": "New safeguarding report"}
NOT_IN_EMAIL = "What the report says is not in this email, on purpose: read it on the dashboard."


def _when(moment, config):
    zone = SchoolDay.from_config(config["SCHOOL_DAY"]).timezone
    local = datetime.fromisoformat(moment).astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M %Z}"


def _base(config):
    # LISTEN_URL: where the running server listens on the school network (run.py sets it).
    return (config.get("BASE_URL") or config.get("LISTEN_URL") or "").rstrip("/")


def _opening(config, what):
    school = config.get("SCHOOL_NAME") or ""
    return f"{school}: {what}" if school else what[0].upper() + what[1:]


def _report_facts(report, config):
    base = _base(config)
    where = (f"Open the report: {base}/staff/reports/{report['id']}" if base
             else f"Open the dashboard and find report number {report['id']}.")
    return [f"Report number: {report['id']}",
            f"Urgency: {URGENCY_WORDS.get(report['urgency'], report['urgency'])}",
            f"Made: {_when(report['created_at'], config)}",
            f"Due to be acknowledged by: {_when(report['due_at'], config)}"], where


def report_escalation(report, step, role_name, config):
    """(subject, body) for a report not acknowledged by its due time."""
    facts, where = _report_facts(report, config)
    body = [_opening(config, "a safeguarding report has not been acknowledged."), "", *facts,
            "", f"You are receiving this as {role_name}: step {step} of the school's "
            "escalation ladder. Please make sure someone in the safeguarding team sees it now.",
            "", where, "", NOT_IN_EMAIL]
    subject = ESCALATION_SUBJECTS.get(report["urgency"], ESCALATION_SUBJECTS["same-day"])
    return subject, "\n".join(body) + "\n"


def report_arrival(report, role_name, config):
    """(subject, body) for a report just stored: urgent ones, or every one by setting."""
    urgent = report["urgency"] == "urgent"
    facts, where = _report_facts(report, config)
    why = ("the DSL team is emailed the moment an urgent report arrives" if urgent
           else "the school has asked for an email about every report")
    body = [_opening(config, "an urgent safeguarding report has arrived." if urgent
                     else "a new safeguarding report has arrived."), "", *facts, "",
            f"You are receiving this as {role_name}: {why}.", "", where, "", NOT_IN_EMAIL]
    return ARRIVAL_SUBJECTS["urgent" if urgent else "same-day"], "\n".join(body) + "\n"


def _help_place(request):
    return f"{request['kiosk']} ({request['place']})" if request["place"] else request["kiosk"]


def _dashboard(config):
    base = _base(config)
    return (f"Press \"I'm going\" on the dashboard so the others know: {base}/staff/" if base
            else "Press \"I'm going\" on the dashboard so the others know.")


def help_arrival(request, role_name, config):
    """(subject, body) for a pupil who has just pressed "Get an adult"."""
    body = [_opening(config, "a pupil pressed \"Get an adult\" on a kiosk and is waiting "
                     "for an adult."), "", f"Where: {_help_place(request)}",
            f"When: {_when(request['at'], config)}", "",
            "Please go now, or make sure someone does.", _dashboard(config), "",
            f"You are receiving this as {role_name}: the DSL team is emailed every time a "
            "pupil asks for an adult.", "", "Nothing about the pupil is in this email."]
    return f"Get an adult: a pupil is waiting at {request['kiosk']}", "\n".join(body) + "\n"


def help_escalation(request, step, role_name, config):
    """(subject, body) for a "Get an adult" nobody has said they are going to."""
    body = [_opening(config, "a pupil pressed \"Get an adult\" and nobody has said "
                     "\"I'm going\" yet."), "", f"Where: {_help_place(request)}",
            f"When: {_when(request['at'], config)}", "",
            f"You are receiving this as {role_name}: step {step} of the school's "
            "escalation ladder. Please go now, or make sure someone does.", _dashboard(config),
            "", "Nothing about the pupil is in this email."]
    return (f"Get an adult: nobody is going yet to {request['kiosk']}",
            "\n".join(body) + "\n")
