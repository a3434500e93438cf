""""Get an adult": a kept alert. Stored with its kiosk, place and time, shown on every
dashboard (live and in catch-up), emailed to the DSL team, acknowledged by a named adult
("I'm going"), and escalated like an urgent report when nobody says they are going.

Nothing about the pupil is kept: only which kiosk asked, and when.
"""
import json
from datetime import datetime, timedelta

from flask import current_app

from .. import audit, notify
from . import outbox
from ..db import writing
from .email_text import help_arrival
from ..accounts.users import ROLE_NAMES

QUIET_SECONDS = 30   # presses on one kiosk this close together are one request
SHOWN_AFTER_ACK = timedelta(hours=1)  # how long the first page keeps an acknowledged one


def _at(text):
    return datetime.fromisoformat(text)


def get(db, help_id):
    """The help request with this id (and who acknowledged it), or None."""
    return next(db.query(
        "SELECT h.*, u.name AS by_name, u.email AS by_email FROM help_requests h "
        "LEFT JOIN users u ON u.id = h.acknowledged_by WHERE h.id = ?", [help_id]), None)


def payload(row):
    """What a dashboard shows of a help request: where, when, and whether anyone is going."""
    shown = {"help_id": row["id"], "kiosk": row["kiosk"], "place": row["place"],
             "at": row["at"], "status": "acknowledged" if row["acknowledged_at"] else "waiting"}
    if row["acknowledged_at"]:
        shown.update(by_name=row["by_name"] or row["by_email"],
                     acknowledged_at=row["acknowledged_at"])
    return shown


def ask(db, kiosk, now, config):
    """A pupil pressed "Get an adult": (request, notification), or (the same request, None)
    when this kiosk asked moments ago and staff already know."""
    with writing(db):
        last = next(db.query("SELECT id, at FROM help_requests WHERE kiosk_id = ? "
                             "ORDER BY id DESC LIMIT 1", [kiosk["id"]]), None)
        if last and now - _at(last["at"]) < timedelta(seconds=QUIET_SECONDS):
            return get(db, last["id"]), None
        table = db["help_requests"]
        table.insert({"kiosk_id": kiosk["id"], "kiosk": kiosk["name"],
                      "place": kiosk["place"] or "", "at": now.isoformat()})
        request = get(db, table.last_pk)
        notification = notify.record(db, "help.new", None, payload(request), now.isoformat())
        audit.record(db, "help.asked", at=now, actor=f"kiosk: {kiosk['name']}",
                     target=f"help:{request['id']}",
                     detail={"kiosk": kiosk["name"], "place": kiosk["place"] or ""})
        outbox.queue_team(db, "help", request["id"], "arrival",
                          lambda person: help_arrival(request, ROLE_NAMES[person["role"]],
                                                      config), now, config)
    return request, notification


def acknowledge(db, help_id, user, now):
    """A named adult said "I'm going". The notification, or None when someone already had."""
    with writing(db):
        request = get(db, help_id)
        if request is None:
            raise LookupError(f"no help request {help_id}")
        if request["acknowledged_at"]:
            return None
        db["help_requests"].update(help_id, {"acknowledged_at": now.isoformat(),
                                             "acknowledged_by": user["id"]})
        request = get(db, help_id)
        outbox.record_event(db, "help", help_id, "acknowledged",
                            {"by_name": outbox.display_name(user)}, now.isoformat(), user["id"])
        return notify.record(db, "help.acknowledged", None, payload(request), now.isoformat())


def status_for_kiosk(db, help_id, kiosk_id):
    """"waiting" or "acknowledged" for the kiosk that asked; None for any other kiosk."""
    request = get(db, help_id)
    if request is None or request["kiosk_id"] != kiosk_id:
        return None
    return payload(request)["status"]


def _latest_step(db, help_id):
    row = next(db.query("SELECT at, kind, detail FROM help_events WHERE help_id = ? AND "
                        "kind IN ('escalated', 'escalation_nobody') ORDER BY id DESC LIMIT 1",
                        [help_id]), None)
    if row is None:
        return None
    detail = json.loads(row["detail"])
    return {"at": row["at"], "step": detail.get("step"), "to": detail.get("to"),
            "role_name": ROLE_NAMES.get(detail.get("to"), detail.get("to")),
            "told": detail.get("told", []), "nobody": row["kind"] == "escalation_nobody",
            "why": detail.get("why", "")}


def open_requests(db, now=None):
    """For the dashboard's first page, newest first: every request nobody has said they
    are going to, and those acknowledged in the last hour. Each carries its latest
    escalation step ("escalation", or None), so a reload shows how far it has gone."""
    now = now or current_app.config["CLOCK"]()
    since = (now - SHOWN_AFTER_ACK).isoformat()
    rows = db.query("SELECT id FROM help_requests WHERE acknowledged_at IS NULL OR "
                    "acknowledged_at >= ? ORDER BY id DESC LIMIT 100", [since])
    return [dict(payload(get(db, row["id"])), escalation=_latest_step(db, row["id"]))
            for row in rows]
