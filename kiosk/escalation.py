"""The escalation ladder: a report not acknowledged in time is raised to deputies, then the head."""
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import audit, notify
from .db import writing
from .mailer import Mailer, MailError
from .reports import get_report, summary
from .schoolday import SchoolDay
from .ticker import Ticker
from .users import ROLE_NAMES

log = logging.getLogger(__name__)
ACTOR = "escalation ladder"
SUBJECTS = {"urgent": "Urgent safeguarding report not acknowledged",
            "same-day": "Safeguarding report not acknowledged by its due time"}
URGENCY_WORDS = {"urgent": "Urgent (to be seen within minutes)",
                 "same-day": "Same day (to be seen today)"}


@dataclass(frozen=True)
class Step:
    report: dict
    number: int       # its place in the report's ladder, from 1
    to: str           # the role told
    due: datetime     # when the step fell due

    @property
    def role_name(self):
        return ROLE_NAMES.get(self.to, self.to)


def _is_open(report):
    return (report is not None and report["status"] == "new"
            and report["merged_into"] is None and report["closed_at"] is None)


def _taken(db, report_id):
    """Roles already told about this report."""
    return {row["role"] for row in db.query(
        "SELECT json_extract(detail, '$.to') AS role FROM report_events "
        "WHERE report_id = ? AND kind = 'escalated'", [report_id])}


def due_steps(db, now, ladder):
    """Steps whose time has come for reports still not acknowledged, and not yet taken."""
    steps = []
    for report in db.query("SELECT * FROM reports WHERE status = 'new' AND merged_into IS "
                           "NULL AND closed_at IS NULL ORDER BY id"):
        taken, due_at = _taken(db, report["id"]), datetime.fromisoformat(report["due_at"])
        for number, rung in enumerate(ladder.get(report["urgency"], ()), 1):
            at = due_at + timedelta(minutes=rung["after_minutes"])
            # Every overdue step is taken, in order, even after the server was down.
            if at <= now and rung["to"] not in taken:
                steps.append(Step(report, number, rung["to"], at))
    return steps


def _recipients(db, role):
    return [row["email"] for row in db.query(
        "SELECT email FROM users WHERE role = ? AND active = 1 ORDER BY id", [role])]


def _take(db, step, now, mailer):
    """Record one step; (notification, addresses to email), or None if it is no longer due."""
    with writing(db):
        # Checked again under the write lock: the server and the CLI may both be checking.
        report = get_report(db, step.report["id"])
        if not _is_open(report) or step.to in _taken(db, report["id"]):
            return None
        recipients = _recipients(db, step.to) if mailer else []
        detail = {"to": step.to, "step": step.number, "due_at": report["due_at"],
                  "email_to": len(recipients) if mailer else None}
        db["report_events"].insert({"report_id": report["id"], "at": now.isoformat(),
                                    "kind": "escalated", "by_user": None,
                                    "detail": json.dumps(detail)})
        payload = {**summary(report), "escalated_to": step.to, "role_name": step.role_name,
                   "step": step.number}
        notification = notify.record(db, "report.escalated", report["id"], payload,
                                     now.isoformat())
        audit.record(db, "case.escalated", at=now, actor=ACTOR,
                     target=f"report:{report['id']}", detail={"to": step.to})
    return notification, recipients


def _when(moment, zone):
    local = datetime.fromisoformat(moment).astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M %Z}"


def email_text(report, step, config):
    """Subject and body: which report, how urgent, when, and where to read it.

    Nothing the report says: email leaves the school's control, can be forwarded and
    shows on phone lock screens, and reading it there would not be in the audit log."""
    zone = SchoolDay.from_config(config["SCHOOL_DAY"]).timezone
    school, base = config.get("SCHOOL_NAME") or "", (config.get("BASE_URL") or "").rstrip("/")
    where = (f"Open the report: {base}/staff/reports/{report['id']}" if base
             else f"Open the dashboard and find report number {report['id']}.")
    body = "\n".join([
        f"{school}: a safeguarding report has not been acknowledged." if school
        else "A safeguarding report has not been acknowledged.",
        "",
        f"Report number: {report['id']}",
        f"Urgency: {URGENCY_WORDS.get(report['urgency'], report['urgency'])}",
        f"Made: {_when(report['created_at'], zone)}",
        f"Due to be acknowledged by: {_when(report['due_at'], zone)}",
        "",
        f"You are receiving this as {step.role_name}: step {step.number} of the school's "
        "escalation ladder. Please make sure someone in the safeguarding team sees it now.",
        "",
        where,
        "",
        "What the report says is not in this email, on purpose: read it on the dashboard.",
    ])
    return SUBJECTS.get(report["urgency"], SUBJECTS["same-day"]), body + "\n"


def _email(db, step, now, config, mailer, recipients):
    """Email the step's role and record in the chronology how many went, or why not."""
    subject, body = email_text(step.report, step, config)
    sent, error = 0, ""
    if not recipients:
        error = f"no active account has the role {step.role_name}"
    else:
        try:
            sent = mailer.send([mailer.message(to, subject, body) for to in recipients])
        except MailError as exc:
            sent, error = exc.sent, str(exc)
    detail = {"to": step.to, "step": step.number, "sent": sent}
    if error:
        detail.update(of=len(recipients), error=error)
        log.error("Escalation email for report %s failed: %s", step.report["id"], error)
    with writing(db):
        db["report_events"].insert({
            "report_id": step.report["id"], "at": now.isoformat(), "by_user": None,
            "kind": "escalation_email_failed" if error else "escalation_email",
            "detail": json.dumps(detail)})
    return sent, error


def escalate(db, now, config, mailer, broker):
    """Take every step now due; one dict per step taken, saying what was done."""
    done = []
    for step in due_steps(db, now, config["ESCALATION"]):
        taken = _take(db, step, now, mailer)
        if taken is None:
            continue  # acknowledged meanwhile, or another checker took it
        notification, recipients = taken
        # Told live first: email is slower and may fail.
        notify.push(broker, notification)
        sent, error = _email(db, step, now, config, mailer, recipients) if mailer else (None, "")
        done.append({"report_id": step.report["id"], "to": step.to, "role_name": step.role_name,
                     "step": step.number, "emailed": sent, "email_error": error})
    return done


def check(app, db):
    """One check with the app's settings, clock and live broker."""
    config = app.config
    return escalate(db, config["CLOCK"](), config, Mailer.from_config(config),
                    app.extensions["kiosk"].broker)


def _check_and_log(app):
    def job(db):
        for step in check(app, db):
            log.info("Report %s escalated to %s", step["report_id"], step["role_name"])
    return job


def ticker(app, interval=None):
    """The ladder checked every ESCALATION_CHECK_SECONDS (or `interval`) in the background."""
    return Ticker(app, "escalation", interval or app.config["ESCALATION_CHECK_SECONDS"],
                  _check_and_log(app))


def start(app):
    """Start checking the ladder in the background; returns the Ticker."""
    mailer = Mailer.from_config(app.config)
    if mailer and mailer.problem():
        app.logger.error("Escalation email will not work: %s", mailer.problem())
    return ticker(app).start()
