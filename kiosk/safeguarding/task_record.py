"""How each step of a task reads on the case page, the printable chronology and the PDF."""
from .chronology import describes
from . import tasks


def _what(detail):
    """ "Task" or "Review", and the task's words with its number."""
    kind = tasks.KINDS.get(detail.get("task_kind"), "Task")
    return kind, f"{detail.get('title', '')} (task {detail.get('task_id')})"


def _because(detail):
    return f" Reason: {detail['reason']}" if detail.get("reason") else ""


@describes(tasks.ADDED)
def _added(detail):
    kind, what = _what(detail)
    due = tasks.long_date(detail["due_date"]) if detail.get("due_date") else ""
    if kind == "Review":
        return f"Review date set: {what}", f"Review due {due}. Owner: {detail.get('owner')}."
    return f"Task added: {what}", f"Owner: {detail.get('owner')}. Due: {due}."


@describes(tasks.COMPLETED)
def _done(detail):
    kind, what = _what(detail)
    return f"{kind} done: {what}", f"Outcome: {detail.get('outcome', '')}"


@describes(tasks.CANCELLED_KIND)
def _cancelled(detail):
    kind, what = _what(detail)
    return f"{kind} cancelled: {what}", f"Reason: {detail.get('reason', '')}"


@describes(tasks.REASSIGNED)
def _reassigned(detail):
    kind, what = _what(detail)
    return (f"{kind} given to {detail.get('owner')}: {what}",
            f"From {detail.get('from_owner')} to {detail.get('owner')}.{_because(detail)}")


@describes(tasks.RESCHEDULED)
def _rescheduled(detail):
    kind, what = _what(detail)
    return (f"{kind} due date changed: {what}",
            f"From {tasks.long_date(detail['from_date'])} to "
            f"{tasks.long_date(detail['due_date'])}.{_because(detail)}")


@describes(tasks.REMINDED)
def _reminded(detail):
    kind, what = _what(detail)
    email = (f"by email to {detail['emailed'][0]}" if detail.get("emailed")
             else f"not by email ({detail.get('why_no_email', 'email is not set up')})")
    return (f"{kind} overdue: owner reminded",
            f"{what}, due {tasks.long_date(detail['due_date'])}: {detail.get('owner')} "
            f"reminded on the dashboard, {email}.")
