"""Email that is not lost: queued in the database, sent by a ticker, retried with backoff.

A message is queued in the same transaction as what caused it (a "Get an adult", an
escalation step) or, for a report just stored, by `queue_arrivals`, which looks for
reports that have no arrival email yet; so a crash between storing and emailing loses
nothing. Each message has a unique key, so looking again never queues it twice.

`deliver` claims the due messages, sends them outside any transaction, and records how
each try went on the report's or help request's record and as an `email.sent` or
`email.failed` notification. A message is sent at least once: a crash after the SMTP
server took it and before it was marked sent sends it again, which is better than never.
"""
import json
import threading
import time
from datetime import timedelta

from flask import current_app

from .. import notify
from ..db import writing
from .email_text import report_arrival
from ..mailer import Mailer
from ..ticker import Ticker
from ..accounts.users import ROLE_NAMES

BACKOFF_SECONDS = (30, 60, 120, 300, 600, 1800)  # then every 30 minutes until it goes
LEASE_SECONDS = 300  # a message being sent is not claimed by another sender meanwhile
NOT_SET_UP = "email is not set up (no SMTP setting)"
TEAM_ROLES = ("dsl", "deputy", "head")
ARRIVALS_CURSOR = "outbox.arrivals_after_report"
EVENTS = {"report": ("report_events", "report_id"), "help": ("help_events", "help_id")}
WAKE = "kiosk.outbox_wake"
BATCH = 200


from ..accounts.users import display_name  # noqa: E402,F401  (named as in the record)


def accounts(db, roles):
    """Active accounts with these roles, oldest first: the people a message goes to."""
    marks = ", ".join("?" * len(roles))
    return list(db.query(f"SELECT id, email, name, role FROM users WHERE active = 1 AND "
                         f"role IN ({marks}) ORDER BY id", list(roles)))


def email_on(config):
    """True when the school has set SMTP up (a bad setting still counts: it fails loudly)."""
    return bool(config.get("SMTP"))


def record_event(db, about, item_id, kind, detail, at, by_user=None):
    """One entry on a report's record or a help request's, in the caller's transaction."""
    table, column = EVENTS[about]
    db[table].insert({column: item_id, "at": at, "kind": kind, "by_user": by_user,
                      "detail": json.dumps(detail)})


def queue(db, about, item_id, purpose, step, people, words, now):
    """Queue one message per person (inside the caller's transaction); the addresses.

    words(person) -> (subject, body). A message already queued (same key) is not again."""
    column = "report_id" if about == "report" else "help_id"
    for person in people:
        subject, body = words(person)
        key = f"{about}:{item_id}:{purpose}:{step or 0}:{person['email']}"
        db.execute(
            f"INSERT OR IGNORE INTO outbox (key, about, {column}, purpose, step, recipient, "
            "recipient_name, subject, body, created_at, attempts, next_try_at, last_error) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, '')",
            [key, about, item_id, purpose, step, person["email"], display_name(person),
             subject, body, now.isoformat(), now.isoformat()])
    return [person["email"] for person in people]


def queue_team(db, about, item_id, purpose, words, now, config):
    """Email the DSL team about this (queued), or record loudly why nobody is emailed."""
    team = accounts(db, TEAM_ROLES)
    why = (NOT_SET_UP if not email_on(config)
           else "" if team else "no active DSL, deputy or head account")
    if why:
        record_event(db, about, item_id, "email_not_sent",
                     {"purpose": purpose, "why": why}, now.isoformat())
        return []
    return queue(db, about, item_id, purpose, None, team, words, now)


# -- email on arrival for reports (stored elsewhere, so found here) -----------------------

def _arrivals_after(db):
    row = next(db.query("SELECT value FROM settings WHERE key = ?", [ARRIVALS_CURSOR]), None)
    return int(row["value"]) if row else 0


def _has_arrival(db, report_id):
    return next(db.query(
        "SELECT 1 FROM outbox WHERE report_id = ? AND purpose = 'arrival' UNION ALL "
        "SELECT 1 FROM report_events WHERE report_id = ? AND kind = 'email_not_sent' "
        "AND json_extract(detail, '$.purpose') = 'arrival' LIMIT 1",
        [report_id, report_id]), None) is not None


def queue_arrivals(db, now, config, after=None, persist=True):
    """Queue the DSL team's email for reports stored since the last look that need one
    (urgent ones; every one with EMAIL_EVERY_REPORT). Returns the last report id looked at.

    `after` is where this process last looked. The stored cursor moves when something
    is queued, or when `persist` says so: a busy server's looks mostly take no write
    lock, and a restart looks again only at the few reports since the last move."""
    every = bool(config.get("EMAIL_EVERY_REPORT"))
    stored = _arrivals_after(db)
    after = max(after or 0, stored)
    # The newest id first: a report stored while this looks is left for the next look.
    last = max(after, next(db.query("SELECT MAX(id) AS id FROM reports"))["id"] or 0)
    needing = [row["id"] for row in db.query(
        "SELECT id FROM reports WHERE id > ? AND id <= ? AND (urgency = 'urgent' OR ?) "
        "ORDER BY id LIMIT ?", [after, last, every, BATCH])]
    if not needing:
        if persist and last > stored:
            with writing(db):
                _move_cursor(db, last)
        return last
    with writing(db):
        for report_id in needing:
            if _has_arrival(db, report_id):
                continue  # queued by a look that crashed before the cursor moved
            report = next(db.query("SELECT * FROM reports WHERE id = ?", [report_id]))
            queue_team(db, "report", report_id, "arrival",
                       lambda person, r=report: report_arrival(r, _role(person), config),
                       now, config)
        _move_cursor(db, needing[-1] if len(needing) == BATCH or not persist else last)
    return needing[-1] if len(needing) == BATCH else last


def _move_cursor(db, report_id):
    db["settings"].upsert({"key": ARRIVALS_CURSOR, "value": str(report_id)}, pk="key")


def _role(person):
    return ROLE_NAMES.get(person["role"], person["role"])


# -- delivery ---------------------------------------------------------------------------

def backoff(attempts):
    """Seconds to wait after the given number of failed tries."""
    return BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1]


def _still_needed(db, about, item_id):
    """Whether the message still has a point: nobody has acknowledged what it is about."""
    if about == "report":
        row = next(db.query("SELECT status, merged_into, closed_at FROM reports WHERE id = ?",
                            [item_id]), None)
        return bool(row) and row["status"] == "new" and not row["merged_into"] \
            and not row["closed_at"]
    row = next(db.query("SELECT acknowledged_at FROM help_requests WHERE id = ?",
                        [item_id]), None)
    return bool(row) and not row["acknowledged_at"]


def _group_key(row):
    return (row["about"], row["report_id"] or row["help_id"], row["purpose"], row["step"])


def _due(db, now):
    return list(db.query(
        "SELECT * FROM outbox WHERE sent_at IS NULL AND cancelled_at IS NULL AND "
        "next_try_at <= ? ORDER BY id LIMIT ?", [now.isoformat(), BATCH]))


def _claim(db, now):
    """Due messages, grouped by what they are about; taken for a while so no other sender
    sends them too. Messages whose report or request was acknowledged are dropped."""
    if not _due(db, now):
        return {}  # the usual case: no write lock taken
    groups = {}
    with writing(db):
        for row in _due(db, now):
            groups.setdefault(_group_key(row), []).append(row)
        for key, rows in list(groups.items()):
            about, item_id, purpose, step = key
            ids = [row["id"] for row in rows]
            # An allegation about staff goes to the head (or chair) whatever the case's
            # state: acknowledging it does not tell them.
            if purpose in KEEP_SENDING or _still_needed(db, about, item_id):
                _set(db, ids, next_try_at=(now + timedelta(seconds=LEASE_SECONDS)).isoformat())
                continue
            del groups[key]
            _set(db, ids, cancelled_at=now.isoformat())
            record_event(db, about, item_id, "email_cancelled", {
                "purpose": purpose, "step": step, "to": [row["recipient"] for row in rows],
                "why": "acknowledged before it could be sent"}, now.isoformat())
    return groups


# Email that goes whatever the case's state: an allegation about staff goes to the head
# or chair once acknowledged too, and a task is overdue on a case being worked.
KEEP_SENDING = ("about_staff", "task_overdue")


def _set(db, ids, **fields):
    marks = ", ".join("?" * len(ids))
    assignments = ", ".join(f"{name} = ?" for name in fields)
    db.execute(f"UPDATE outbox SET {assignments} WHERE id IN ({marks})",
               [*fields.values(), *ids])


def deliver(db, clock, mailer, broker):
    """Send every due message; one dict per group tried, saying how it went."""
    done = []
    for (about, item_id, purpose, step), rows in _claim(db, clock()).items():
        if mailer is None:
            errors = [NOT_SET_UP] * len(rows)
        else:
            errors = mailer.deliver([mailer.message(row["recipient"], row["subject"],
                                                    row["body"]) for row in rows])
        notifications, result = _settle(db, clock(), about, item_id, purpose, step, rows,
                                        errors)
        for notification in notifications:
            notify.push(broker, notification)
        done.append(result)
    return done


def _settle(db, now, about, item_id, purpose, step, rows, errors):
    """Record how one try went: each message, the record, and the dashboards' feed."""
    sent = [row for row, error in zip(rows, errors) if not error]
    failed = {}
    for row, error in zip(rows, errors):
        if error:
            failed.setdefault(error, []).append(row)
    ids = {f"{about}_id": item_id}
    base = {"purpose": purpose, "step": step}
    notifications = []
    with writing(db):
        if sent:
            for row in sent:
                _set(db, [row["id"]], sent_at=now.isoformat(), attempts=row["attempts"] + 1)
            record_event(db, about, item_id, "email_sent", dict(
                base, to=[row["recipient"] for row in sent],
                names=[row["recipient_name"] for row in sent],
                attempts=max(row["attempts"] for row in sent) + 1), now.isoformat())
            notifications.append(notify.record(db, "email.sent", None, dict(
                about=about, **ids, **base, recipients=len(sent)), now.isoformat()))
        for error, group in failed.items():
            attempts = max(row["attempts"] for row in group) + 1
            next_try = (now + timedelta(seconds=backoff(attempts))).isoformat()
            _set(db, [row["id"] for row in group], attempts=attempts, last_error=error,
                 next_try_at=next_try)
            record_event(db, about, item_id, "email_failed", dict(
                base, to=[row["recipient"] for row in group], error=error,
                attempts=attempts, next_try_at=next_try), now.isoformat())
            notifications.append(notify.record(db, "email.failed", None, dict(
                about=about, **ids, **base, recipients=len(group), error=error,
                attempts=attempts, next_try_at=next_try), now.isoformat()))
    result = {"about": about, "id": item_id, "purpose": purpose, "step": step,
              "sent": len(sent), "failed": sum(len(g) for g in failed.values()),
              "errors": list(failed)}
    return notifications, result


def pending(db, about, item_id):
    """Messages about this not yet sent (nor dropped), oldest first."""
    column = "report_id" if about == "report" else "help_id"
    return list(db.query(f"SELECT * FROM outbox WHERE {column} = ? AND sent_at IS NULL AND "
                         "cancelled_at IS NULL ORDER BY id", [item_id]))


# -- the delivery ticker ----------------------------------------------------------------

def wake_event(app):
    """The event the app's delivery ticker waits on between looks."""
    return app.extensions.setdefault(WAKE, threading.Event())


def wake(app=None):
    """Have the delivery ticker look at the outbox now: something was just stored."""
    wake_event(app or current_app._get_current_object()).set()


def _job(app):
    looked = {"after": None, "stored": 0.0}

    def job(db):
        config = app.config
        # The stored cursor moves at most every EMAIL_CHECK_SECONDS when nothing is queued
        # (a rate, not a time of day: the machine's monotonic clock, not the app's).
        persist = time.monotonic() - looked["stored"] >= config["EMAIL_CHECK_SECONDS"]
        looked["stored"] = time.monotonic() if persist else looked["stored"]
        looked["after"] = queue_arrivals(db, config["CLOCK"](), config, looked["after"],
                                         persist)
        deliver(db, config["CLOCK"], Mailer.from_config(config), app.extensions["kiosk"].broker)
    return job


def ticker(app, interval=None):
    """Delivery every EMAIL_CHECK_SECONDS (or `interval`), and at once when woken."""
    return Ticker(app, "email outbox", interval or app.config["EMAIL_CHECK_SECONDS"],
                  _job(app), wake=wake_event(app))


def start(app):
    """Start delivering queued email in the background; returns the Ticker."""
    mailer = Mailer.from_config(app.config)
    if mailer is None:
        app.logger.warning("Email is not set up (no SMTP setting): nobody will be emailed.")
    elif mailer.problem():
        app.logger.error("Email will not work: %s", mailer.problem())
    return ticker(app).start()
