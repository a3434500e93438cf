"""The escalation ladder: a report or "Get an adult" not acknowledged in time is raised to
deputies, then the head, on the dashboards and by email.

Each step records exactly who was told and how: the accounts emailed, and those of the
role with a dashboard open. A step with nobody to tell (no active account with the role,
or no email and none of them watching) is recorded as its own kind, `escalation_nobody`,
never as "escalated", and the next step follows at once instead of waiting its time.

The same check reminds the owners of overdue case tasks (task_reminders.py).
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import audit, notify
from . import help_requests, outbox, task_reminders
from ..db import writing
from .email_text import help_escalation, report_escalation
from ..mailer import Mailer
from .reports import get_report, summary
from ..ticker import Ticker
from ..accounts.users import ROLE_NAMES

log = logging.getLogger(__name__)
ACTOR = "escalation ladder"
TAKEN = ("escalated", "escalation_nobody")


@dataclass(frozen=True)
class Step:
    about: str        # "report" or "help"
    item: dict        # the report or help request
    number: int       # its place in the ladder, from 1
    to: str           # the role told
    due: datetime     # when the step fell due

    @property
    def role_name(self):
        return ROLE_NAMES.get(self.to, self.to)


def _taken(db, about, item_id):
    """Roles already told (or found to have nobody) about this: role -> nobody."""
    table, column = outbox.EVENTS[about]
    return {row["role"]: row["kind"] == "escalation_nobody" for row in db.query(
        f"SELECT kind, json_extract(detail, '$.to') AS role FROM {table} "
        f"WHERE {column} = ? AND kind IN ('escalated', 'escalation_nobody')", [item_id])}


def _ladder(about, item, due_at, rungs, taken, now):
    """The steps due for one item: by their time, or at once after a step with nobody."""
    steps, after_nobody = [], False
    for number, rung in enumerate(rungs, 1):
        if rung["to"] in taken:
            after_nobody = taken[rung["to"]]
            continue
        at = due_at + timedelta(minutes=rung["after_minutes"])
        # Every overdue step is taken, in order, even after the server was down.
        if at <= now or after_nobody:
            steps.append(Step(about, item, number, rung["to"], min(at, now)))
        after_nobody = False
    return steps


def help_due_at(request, config):
    """When a "Get an adult" nobody has answered starts up the ladder."""
    return datetime.fromisoformat(request["at"]) + timedelta(
        minutes=config["HELP_ESCALATE_MINUTES"])


def due_steps(db, now, config):
    """Steps whose time has come for reports and help requests still not acknowledged."""
    ladder, steps = config["ESCALATION"], []
    # Only the few unacknowledged reports, from their own index (migration _m017), not
    # years of closed ones; status = 'new' written out to match that index.
    for report in db.query("SELECT * FROM reports INDEXED BY reports_unacknowledged "
                           "WHERE status = 'new' AND merged_into IS NULL AND closed_at IS NULL "
                           "ORDER BY id"):
        steps += _ladder("report", report, datetime.fromisoformat(report["due_at"]),
                         ladder.get(report["urgency"], ()), _taken(db, "report", report["id"]),
                         now)
    for row in db.query("SELECT id FROM help_requests WHERE acknowledged_at IS NULL "
                        "ORDER BY id"):
        request = help_requests.get(db, row["id"])
        steps += _ladder("help", request, help_due_at(request, config), ladder.get("urgent", ()),
                         _taken(db, "help", request["id"]), now)
    return steps


def _current(db, step):
    """The item again, under the write lock, if it still needs this step."""
    if step.about == "report":
        item = get_report(db, step.item["id"])
        still = (item is not None and item["status"] == "new" and item["merged_into"] is None
                 and item["closed_at"] is None)
    else:
        item = help_requests.get(db, step.item["id"])
        still = item is not None and not item["acknowledged_at"]
    return item if still and step.to not in _taken(db, step.about, item["id"]) else None


def _who(db, step, config, watching):
    """Who this step tells, by email and by an open dashboard, and why nobody if nobody."""
    people = outbox.accounts(db, [step.to])
    emailing = people if outbox.email_on(config) else []
    seeing = [user for user in watching if user["role"] == step.to]
    told = list(dict.fromkeys(outbox.display_name(u) for u in emailing + seeing))
    if not people:
        why = f"no active account has the role {step.role_name}"
    elif not told:
        why = f"email is not set up and no {step.role_name} has a dashboard open"
    else:
        why = ""
    detail = {"to": step.to, "step": step.number, "told": told,
              "emailed": [u["email"] for u in emailing],
              "emailed_names": [outbox.display_name(u) for u in emailing],
              "dashboards": [outbox.display_name(u) for u in seeing],
              "watching": [outbox.display_name(u) for u in watching],
              "email": "on" if outbox.email_on(config) else "not set up",
              "nobody": not told}
    if why:
        detail["why"] = why
    return detail, emailing


def _words(step, item, config):
    if step.about == "report":
        return lambda person: report_escalation(item, step.number, step.role_name, config)
    return lambda person: help_escalation(item, step.number, step.role_name, config)


def _notification(db, step, item, detail, now):
    # "why": the reason there was nobody ("" when someone was told), for the loud state.
    told = {"step": step.number, "role_name": step.role_name, "told": detail["told"],
            "nobody": detail["nobody"], "why": detail.get("why", "")}
    if step.about == "report":
        return notify.record(db, "report.escalated", item["id"], {
            **summary(item), "escalated_to": step.to, **told}, now.isoformat())
    return notify.record(db, "help.escalated", None, {
        **help_requests.payload(item), "to": step.to, **told}, now.isoformat())


def _take(db, step, now, config, watching):
    """Record one step and queue its email; (notification, what was done), or None if it
    is no longer due (acknowledged meanwhile, or another checker took it)."""
    with writing(db):
        # Checked again under the write lock: the server and the CLI may both be checking.
        item = _current(db, step)
        if item is None:
            return None
        detail, emailing = _who(db, step, config, watching)
        detail["due_at"] = (item["due_at"] if step.about == "report"
                            else help_due_at(item, config).isoformat())
        kind = "escalation_nobody" if detail["nobody"] else "escalated"
        outbox.record_event(db, step.about, item["id"], kind, detail, now.isoformat())
        outbox.queue(db, step.about, item["id"], "escalation", step.number, emailing,
                     _words(step, item, config), now)
        notification = _notification(db, step, item, detail, now)
        audit.record(db, "case.escalated" if step.about == "report" else "help.escalated",
                     at=now, actor=ACTOR, target=f"{step.about}:{item['id']}",
                     detail={"to": step.to, "told": len(detail["told"]),
                             "nobody": detail["nobody"]})
    done = {"about": step.about, f"{step.about}_id": item["id"], "id": item["id"],
            "to": step.to, "role_name": step.role_name, "step": step.number,
            "told": detail["told"], "nobody": detail["nobody"], "why": detail.get("why", ""),
            "emailed": detail["emailed"] if outbox.email_on(config) else None}
    return notification, done


def escalate(db, now, config, broker, watching=()):
    """Take every step now due, and the next at once after a step with nobody to tell.
    One dict per step taken, saying what was done; each pushed live as it is taken."""
    done, rounds = [], 1 + max((len(r) for r in config["ESCALATION"].values()), default=0)
    for _ in range(rounds):  # each round can only follow on from a nobody in the last
        taken = [result for result in (_take(db, step, now, config, list(watching))
                                       for step in due_steps(db, now, config)) if result]
        for notification, step in taken:
            notify.push(broker, notification)
            done.append(step)
            if step["nobody"]:
                log.error("Nobody to tell at step %s (%s) for %s %s: %s", step["step"],
                          step["role_name"], step["about"], step["id"], step["why"])
        if not any(step["nobody"] for _, step in taken):
            break
    return done


def check(app, db, watching=()):
    """One full check with the app's settings, clock and broker: arrival emails queued,
    steps taken, and due email sent. Each step says how its email went ("sent", "errors")."""
    config, clock = app.config, app.config["CLOCK"]
    broker = app.extensions["kiosk"].broker
    outbox.queue_arrivals(db, clock(), config)
    done = escalate(db, clock(), config, broker, watching)
    task_reminders.remind_overdue(db, clock(), config, broker)  # their email goes below too
    sent = {(r["about"], r["id"], r["step"]): r for r in outbox.deliver(
        db, clock, Mailer.from_config(config), broker) if r["purpose"] == "escalation"}
    for step in done:
        result = sent.get((step["about"], step["id"], step["step"]))
        step["sent"] = result["sent"] if result else 0
        step["email_error"] = "; ".join(result["errors"]) if result else ""
    return done


def _ladder_job(app, watching):
    def job(db):
        config = app.config
        done = escalate(db, config["CLOCK"](), config, app.extensions["kiosk"].broker,
                        watching(db) if watching else ())
        for step in done:
            log.info("%s %s: step %s (%s), told %s", step["about"], step["id"], step["step"],
                     step["role_name"], ", ".join(step["told"]) or "nobody")
        reminded = task_reminders.remind_overdue(db, config["CLOCK"](), config,
                                                 app.extensions["kiosk"].broker)
        if any(step["emailed"] for step in done + reminded):
            outbox.wake(app)  # the email goes now, from the delivery ticker
    return job


def ticker(app, interval=None, watching=None):
    """The ladder checked every ESCALATION_CHECK_SECONDS (or `interval`) in the background.
    watching(db) -> the readers with a dashboard open, for the record of who was told."""
    return Ticker(app, "escalation", interval or app.config["ESCALATION_CHECK_SECONDS"],
                  _ladder_job(app, watching))


def start(app, watching=None):
    """Start checking the ladder in the background; returns the Ticker."""
    return ticker(app, watching=watching).start()
