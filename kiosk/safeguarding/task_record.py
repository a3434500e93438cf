"""How each step of a task reads on the case page, the printable chronology and the PDF:
the entry kinds of tasks.py and their words."""
from datetime import date

from .chronology import describes

KINDS = {"task": "Task", "review": "Review"}
ADDED, COMPLETED, CANCELLED_KIND = "task_added", "task_done", "task_cancelled"
REASSIGNED, RESCHEDULED, REMINDED = "task_reassigned", "task_rescheduled", "task_reminded"


def long_date(value):
    """A date as people write it: Thursday 19 November 2026."""
    value = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{value:%A} {value.day} {value:%B %Y}"


def _what(detail):
    """ "Task" or "Review", and the task's words with its number."""
    kind = KINDS.get(detail.get("task_kind"), "Task")
    return kind, f"{detail.get('title', '')} (task {detail.get('task_id')})"


def _because(detail):
    return f" Reason: {detail['reason']}" if detail.get("reason") else ""


@describes(ADDED)
def _added(detail):
    kind, what = _what(detail)
    due = long_date(detail["due_date"]) if detail.get("due_date") else ""
    if kind == "Review":
        return f"Review date set: {what}", f"Review due {due}. Owner: {detail.get('owner')}."
    return f"Task added: {what}", f"Owner: {detail.get('owner')}. Due: {due}."


@describes(COMPLETED)
def _done(detail):
    kind, what = _what(detail)
    return f"{kind} done: {what}", f"Outcome: {detail.get('outcome', '')}"


@describes(CANCELLED_KIND)
def _cancelled(detail):
    kind, what = _what(detail)
    return f"{kind} cancelled: {what}", f"Reason: {detail.get('reason', '')}"


@describes(REASSIGNED)
def _reassigned(detail):
    kind, what = _what(detail)
    return (f"{kind} given to {detail.get('owner')}: {what}",
            f"From {detail.get('from_owner')} to {detail.get('owner')}.{_because(detail)}")


@describes(RESCHEDULED)
def _rescheduled(detail):
    kind, what = _what(detail)
    return (f"{kind} due date changed: {what}",
            f"From {long_date(detail['from_date'])} to "
            f"{long_date(detail['due_date'])}.{_because(detail)}")


@describes(REMINDED)
def _reminded(detail):
    kind, what = _what(detail)
    due = f"{what}, due {long_date(detail['due_date'])}"
    if not detail.get("on_dashboard", True):
        return (f"{kind} overdue: owner could not be reminded",
                f"{due}: {detail.get('owner')} was not told ({detail.get('why_no_email')}).")
    email = (f"by email to {detail['emailed'][0]}" if detail.get("emailed")
             else f"not by email ({detail.get('why_no_email', 'email is not set up')})")
    return (f"{kind} overdue: owner reminded",
            f"{due}: {detail.get('owner')} reminded on the dashboard, {email}.")
