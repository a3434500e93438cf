"""Tasks on a case: something to do, by whom, by which school day; and review dates.

Every step (added, done, cancelled, given to someone else, due date moved, owner reminded)
is an entry on the case's record. The `case_tasks` table only mirrors where each task
stands now, so the dashboard and the reminder check can find overdue tasks without
reading every case; it is changed in the same transaction as the entry it mirrors.
A review date is a task of kind "review", shown as "Review due".
"""
from datetime import date, timedelta

from flask import current_app

from ..db import writing
from . import allegations, cases
from .cases import CaseError, _add, _open_case, _text
from .schoolday import SchoolDay
from ..accounts.users import TEAM_ROLES, display_name, get_user
from .task_record import (ADDED, CANCELLED_KIND, COMPLETED, KINDS, REASSIGNED,  # noqa: F401
                          REMINDED, RESCHEDULED, long_date)

REVIEW_TITLE = "Review the case"
OPEN, DONE, CANCELLED = "open", "done", "cancelled"
MAX_TITLE = 200
FURTHEST_DAYS = 2 * 366  # a due date further off than this is surely a typing slip


def school_day(school=None):
    """The school's days and time zone: as given, else from the running app's settings."""
    return school or SchoolDay.from_config(current_app.config["SCHOOL_DAY"])


def today(now, school=None):
    """The date it is now in the school's time zone."""
    return now.astimezone(school_day(school).timezone).date()


def _due_date(value, now, school):
    """A due date from a form (YYYY-MM-DD) or a date: today or later, on a school day."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            raise CaseError("A due date is needed.")
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise CaseError(f"The due date '{value[:20]}' is not a date: give it as "
                            "year-month-day, such as 2026-11-20.") from None
    if not isinstance(value, date):
        raise CaseError("A due date is needed.")
    school, first = school_day(school), today(now, school)
    if value < first:
        raise CaseError(f"The due date {long_date(value)} has passed: choose today or a "
                        "later school day.")
    if value > first + timedelta(days=FURTHEST_DAYS):
        raise CaseError(f"The due date {long_date(value)} is more than two years away: "
                        "check the year.")
    if not school.is_school_day(value):
        raise CaseError(f"{long_date(value)} is not a school day: choose a school day, "
                        f"such as {long_date(school.next_school_day(value))}.")
    return value


def _owner(db, report_id, owner_id):
    """An active DSL, deputy or head whom the case does not name."""
    if owner_id is None or isinstance(owner_id, bool) or not isinstance(owner_id, int):
        raise CaseError("Choose who will do it: the DSL, a deputy DSL or the head teacher.")
    owner = get_user(db, owner_id)
    if owner is None or not owner["active"] or owner["role"] not in TEAM_ROLES:
        raise CaseError("The owner must be an active DSL, deputy DSL or head teacher.")
    if owner["id"] in allegations.named_in(db, report_id):
        raise CaseError("This case names that person: a task on it cannot be given to them.")
    return owner


def _title(value, kind):
    if kind not in KINDS:
        raise CaseError("A task is a task or a review date.")
    value = _text(value, "What is to be done", required=kind != "review")
    if len(value) > MAX_TITLE:
        raise CaseError(f"What is to be done is too long: at most {MAX_TITLE} characters "
                        "(write more in a note).")
    return value or REVIEW_TITLE


def add_task(db, report_id, user, now, title, owner_id, due_date, kind="task", school=None):
    """A task (or, with kind "review", a review date) on an open case: (entry id,
    notification). Other workflows call this for their own deadlines."""
    with writing(db):
        report = _open_case(db, report_id)
        title = _title(title, kind)
        owner = _owner(db, report_id, owner_id)
        due = _due_date(due_date, now, school)
        table = db["case_tasks"]
        table.insert({"report_id": report_id, "kind": kind, "title": title,
                      "owner_id": owner["id"], "due_date": due.isoformat(), "status": OPEN,
                      "changed_at": now.isoformat()})
        task_id = table.last_pk
        entry_id, notification = _add(db, report, ADDED, user, now, {
            "task_id": task_id, "task_kind": kind, "title": title, "owner_id": owner["id"],
            "owner": display_name(owner), "due_date": due.isoformat()})
        table.update(task_id, {"added_entry": entry_id})
        return entry_id, notification


def _open_task(db, report_id, task_id):
    """The case and one of its tasks still open, or a refusal saying why not."""
    report = _open_case(db, report_id)
    if task_id is None:
        raise CaseError("Say which task.")
    task = next(db.query("SELECT * FROM case_tasks WHERE id = ? AND report_id = ?",
                         [task_id, report_id]), None)
    if task is None:
        raise CaseError(f"There is no task {task_id} on this case.")
    if task["status"] != OPEN:
        raise CaseError(f"{KINDS[task['kind']]} {task_id} ({task['title']}) is already "
                        f"{task['status']}: nothing more can change on it.", 409)
    return report, task


def _about(task):
    return {"task_id": task["id"], "task_kind": task["kind"], "title": task["title"]}


def _finish(db, report_id, user, now, task_id, text, what, kind, status):
    with writing(db):
        report, task = _open_task(db, report_id, task_id)
        text = _text(text, what)
        db["case_tasks"].update(task["id"], {"status": status, "changed_at": now.isoformat()})
        key = "outcome" if status == DONE else "reason"
        return _add(db, report, kind, user, now, dict(_about(task), **{key: text}))


def complete_task(db, report_id, user, now, task_id, outcome):
    """Mark a task done, with what came of it."""
    return _finish(db, report_id, user, now, task_id, outcome, "The outcome", COMPLETED, DONE)


def cancel_task(db, report_id, user, now, task_id, reason):
    """Cancel a task no longer needed, saying why."""
    return _finish(db, report_id, user, now, task_id, reason, "The reason for cancelling",
                   CANCELLED_KIND, CANCELLED)


def reassign_task(db, report_id, user, now, task_id, owner_id, reason=""):
    """Give an open task to someone else on the DSL team."""
    with writing(db):
        report, task = _open_task(db, report_id, task_id)
        owner = _owner(db, report_id, owner_id)
        if owner["id"] == task["owner_id"]:
            raise CaseError(f"{display_name(owner)} already owns this task.", 409)
        reason = _text(reason, "The reason", required=False)
        before = get_user(db, task["owner_id"])
        db["case_tasks"].update(task["id"], {"owner_id": owner["id"],
                                             "changed_at": now.isoformat()})
        return _add(db, report, REASSIGNED, user, now, dict(
            _about(task), from_owner=display_name(before), owner_id=owner["id"],
            owner=display_name(owner), reason=reason))


def change_due_date(db, report_id, user, now, task_id, due_date, reason="", school=None):
    """Move an open task's due date (to today or a later school day)."""
    with writing(db):
        report, task = _open_task(db, report_id, task_id)
        due = _due_date(due_date, now, school)
        if due.isoformat() == task["due_date"]:
            raise CaseError(f"This task is already due on {long_date(due)}.", 409)
        reason = _text(reason, "The reason", required=False)
        db["case_tasks"].update(task["id"], {"due_date": due.isoformat(),
                                             "changed_at": now.isoformat()})
        return _add(db, report, RESCHEDULED, user, now, dict(
            _about(task), from_date=task["due_date"], due_date=due.isoformat(),
            reason=reason))


def tasks_on(db, report_id, on_day):
    """The case's tasks: open ones overdue first, then open by due date, then finished."""
    rows = [dict(row, overdue=row["status"] == OPEN and row["due_date"] < on_day.isoformat(),
                 due_today=row["status"] == OPEN and row["due_date"] == on_day.isoformat())
            for row in db.query(
                "SELECT t.*, u.name AS owner_name, u.email AS owner_email FROM case_tasks t "
                "JOIN users u ON u.id = t.owner_id WHERE t.report_id = ? "
                "ORDER BY t.due_date, t.id", [report_id])]
    for row in rows:
        row["owner"] = row["owner_name"] or row["owner_email"]
    return sorted(rows, key=lambda r: (r["status"] != OPEN, not r["overdue"]))


def open_tasks(db, report_id):
    return [row for row in db.query(
        "SELECT t.*, u.name AS owner_name, u.email AS owner_email FROM case_tasks t "
        "JOIN users u ON u.id = t.owner_id WHERE t.report_id = ? AND t.status = ? "
        "ORDER BY t.due_date, t.id", [report_id, OPEN])]


def listed(task):
    owner = task["owner_name"] or task["owner_email"]
    return (f"{KINDS[task['kind']]} {task['id']} \"{task['title']}\" ({owner}, due "
            f"{long_date(task['due_date'])})")


def due_for(db, user_id, on_day):
    """One person's open tasks overdue or due today, on cases still open, oldest first."""
    return [dict(row, overdue=row["due_date"] < on_day.isoformat()) for row in db.query(
        "SELECT t.* FROM case_tasks t JOIN reports r ON r.id = t.report_id "
        "WHERE t.owner_id = ? AND t.status = ? AND t.due_date <= ? "
        "AND r.status NOT IN ('closed', 'merged') ORDER BY t.due_date, t.id",
        [user_id, OPEN, on_day.isoformat()])]


def overdue(db, on_day):
    """Every open task past its due date, on cases still open."""
    return list(db.query(
        "SELECT t.* FROM case_tasks t JOIN reports r ON r.id = t.report_id "
        "WHERE t.status = ? AND t.due_date < ? AND r.status NOT IN ('closed', 'merged') "
        "ORDER BY t.due_date, t.id", [OPEN, on_day.isoformat()]))


@cases.close_check
def no_open_tasks(db, report):
    """A case closes only when each of its tasks is done, or cancelled with a reason."""
    waiting = open_tasks(db, report["id"])
    if waiting:
        raise CaseError("This case has tasks still open: mark each done with its outcome, "
                        "or cancel it with a reason, before closing. Open: "
                        + "; ".join(listed(t) for t in waiting) + ".", 409)
