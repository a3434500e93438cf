"""Case page routes and panels for tasks and review dates (safeguarding/tasks.py)."""
from flask import request

from ..safeguarding import allegations, tasks
from ..accounts.users import TEAM_ROLES, display_name, list_users
from . import bp
from .auditing import now
from .auth import reader_required
from .case_panels import register
from .case_views import _act, _number
from ..db import get_db


@bp.post("/reports/<int:report_id>/tasks")
@reader_required
def add_task(user, report_id):
    """A task, or a review date (kind "review"), with its owner and due date."""
    return _act(report_id, tasks.ADDED, lambda: tasks.add_task(
        get_db(), report_id, user, now(), request.form.get("title"), _number("owner_id"),
        request.form.get("due_date", ""), request.form.get("kind", "task")))


@bp.post("/reports/<int:report_id>/tasks/<int:task_id>/done")
@reader_required
def complete_task(user, report_id, task_id):
    return _act(report_id, tasks.COMPLETED, lambda: tasks.complete_task(
        get_db(), report_id, user, now(), task_id, request.form.get("outcome")))


@bp.post("/reports/<int:report_id>/tasks/<int:task_id>/cancel")
@reader_required
def cancel_task(user, report_id, task_id):
    return _act(report_id, tasks.CANCELLED_KIND, lambda: tasks.cancel_task(
        get_db(), report_id, user, now(), task_id, request.form.get("reason")))


@bp.post("/reports/<int:report_id>/tasks/<int:task_id>/owner")
@reader_required
def reassign_task(user, report_id, task_id):
    return _act(report_id, tasks.REASSIGNED, lambda: tasks.reassign_task(
        get_db(), report_id, user, now(), task_id, _number("owner_id"),
        request.form.get("reason", "")))


@bp.post("/reports/<int:report_id>/tasks/<int:task_id>/due")
@reader_required
def change_due_date(user, report_id, task_id):
    return _act(report_id, tasks.RESCHEDULED, lambda: tasks.change_due_date(
        get_db(), report_id, user, now(), task_id, request.form.get("due_date", ""),
        request.form.get("reason", "")))


def _owners(db, report_id):
    """Who a task on this case can be given to: the active team it does not name."""
    named = allegations.named_in(db, report_id)
    return [{"id": u["id"], "name": display_name(u)} for u in list_users(db)
            if u["active"] and u["role"] in TEAM_ROLES and u["id"] not in named]


def _shown(task):
    return dict(task, due_words=tasks.long_date(task["due_date"]),
                label="Review due" if task["kind"] == "review" else "Task")


@register("tasks", "staff/_case_tasks.html", order=20, where="work")
def _case_tasks(db, row, user):
    """The case's tasks and review dates, overdue first, and the forms to work them."""
    today = tasks.today(now())
    found = [_shown(t) for t in tasks.tasks_on(db, row["id"], today)]
    works = row["status"] not in ("closed", "merged", "new")
    if not found and not works:
        return None
    return {"tasks": found, "works": works, "owners": _owners(db, row["id"]) if works else [],
            "today": today.isoformat(), "me": user["id"]}


def _may_see(db, user, found):
    """Those tasks on cases this person may read (a case naming them is closed to them)."""
    allowed = {r["id"] for r in allegations.visible(
        db, user, [{"id": t["report_id"]} for t in found])}
    return [t for t in found if t["report_id"] in allowed]


@register("tasks_dashboard", "staff/_dashboard_tasks.html", order=8, where="dashboard")
def _dashboard_tasks(db, row, user):
    """This person's tasks overdue or due today, and how many the team has overdue."""
    today = tasks.today(now())
    mine = [_shown(t) for t in _may_see(db, user, tasks.due_for(db, user["id"], today))]
    team_overdue = len(_may_see(db, user, tasks.overdue(db, today)))
    if not mine and not team_overdue:
        return None
    return {"mine": mine, "team_overdue": team_overdue}
