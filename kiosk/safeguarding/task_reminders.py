"""Overdue tasks: the owner is reminded once for each school day a task stays overdue,
live on the dashboard, by email when email is set up, and in the case's record.

Run by the escalation check (escalation.py), on the server's ticker and from the
command line alike; the `task_reminders` row, unique per task and day and written in the
same transaction as the record's entry, is what stops a second reminder that day.
"""
import logging

from .. import notify
from ..db import writing
from . import allegations, cases, outbox, tasks
from .email_text import NOT_IN_EMAIL, _base, _opening
from .reports import get_report
from .schoolday import SchoolDay
from ..accounts.users import display_name, get_user

log = logging.getLogger(__name__)
PURPOSE = "task_overdue"  # in outbox.KEEP_SENDING: sent though the case is acknowledged


def reminder_words(task, config):
    """(subject, body) for the owner: which case and when it was due, not what it says."""
    base = _base(config)
    where = (f"Open the case: {base}/staff/reports/{task['report_id']}" if base
             else f"Open the dashboard and find case number {task['report_id']}.")
    kind = tasks.KINDS[task["kind"]].lower()
    body = [_opening(config, f"a {kind} on a safeguarding case you own is overdue."), "",
            f"Case number: {task['report_id']}", f"Task number: {task['id']}",
            f"Was due: {tasks.long_date(task['due_date'])}", "",
            "Please do it, or record on the case why it has changed.", "", where, "",
            NOT_IN_EMAIL.replace("the report says", "the task says")]
    return f"Overdue safeguarding {kind} on case {task['report_id']}", "\n".join(body) + "\n"


def _still_due(db, task_id, day):
    """The task again, under the write lock, if it is still open, overdue and not yet
    reminded today (another checker may have just done it)."""
    task = next(db.query("SELECT * FROM case_tasks WHERE id = ?", [task_id]), None)
    if task is None or task["status"] != tasks.OPEN or task["due_date"] >= day.isoformat():
        return None
    done = next(db.query("SELECT 1 FROM task_reminders WHERE task_id = ? AND day = ?",
                         [task_id, day.isoformat()]), None)
    return None if done else task


def _why_no_email(db, report, owner, config):
    """Why the owner is not emailed, or "" when they are."""
    if owner["id"] in allegations.named_in(db, report["id"]):
        # Marked about them after the task was given: the case is closed to them now.
        return "the case names the owner: give the task to someone else"
    if not owner["active"]:
        return "the owner's account is off: give the task to someone else"
    return "" if outbox.email_on(config) else outbox.NOT_SET_UP


def _remind(db, task_id, day, now, config):
    """Remind one task's owner; (notifications, what was done), or None if not due."""
    with writing(db):
        task = _still_due(db, task_id, day)
        report = task and get_report(db, task["report_id"])
        if report is None or report["status"] in ("closed", "merged"):
            return None
        owner = get_user(db, task["owner_id"])
        why_not = _why_no_email(db, report, owner, config)
        emailing = [] if why_not else [owner]
        reminders = db["task_reminders"]
        reminders.insert({"task_id": task["id"], "day": day.isoformat(),
                          "owner_id": owner["id"], "at": now.isoformat()})
        reminder_id = reminders.last_pk
        detail = {"task_id": task["id"], "task_kind": task["kind"], "title": task["title"],
                  "due_date": task["due_date"], "owner_id": owner["id"],
                  "owner": display_name(owner), "day": day.isoformat(),
                  "emailed": [person["email"] for person in emailing]}
        if why_not:
            detail["why_no_email"] = why_not
        # An owner whose account is off, or whom the case now names, sees no dashboard of it.
        detail["on_dashboard"] = not why_not or why_not == outbox.NOT_SET_UP
        entry_id, case_news = cases._add(db, report, tasks.REMINDED, None, now, detail)
        reminders.update(reminder_id, {"entry_id": entry_id})
        outbox.queue(db, "report", report["id"], PURPOSE, reminder_id, emailing,
                     lambda person: reminder_words(task, config), now)
        reminder = notify.record(db, "task.overdue", report["id"], {
            "task_id": task["id"], "kind": task["kind"], "owner_id": owner["id"],
            "owner": display_name(owner), "due_date": task["due_date"]}, now.isoformat())
    return [case_news, reminder], dict(detail, report_id=report["id"], entry=entry_id)


def remind_overdue(db, now, config, broker):
    """Remind the owner of every task overdue today, once; one dict per reminder."""
    school = SchoolDay.from_config(config["SCHOOL_DAY"])
    day = tasks.today(now, school)
    if not school.is_school_day(day):
        return []  # nobody is in to act on it; the next school day reminds
    done = []
    for task in tasks.overdue(db, day):
        result = _remind(db, task["id"], day, now, config)
        if result is None:
            continue
        for notification in result[0]:
            notify.push(broker, notification)
        done.append(result[1])
        log.info("Task %s on case %s overdue: %s reminded", task["id"], task["report_id"],
                 result[1]["owner"])
    return done
