"""Live events for staff: stored first, then pushed, so a dashboard can always catch up.

Callers only `record` (inside their own transaction) and then `push` once it has
committed. How a push travels is the broker's business: one process today through
Socket.IO rooms; a broker over a shared queue could replace it without touching callers.
"""
import json

from .alerts import alert_for

STAFF_ROOM = "staff"      # logged-in dashboards: every notification, as stored
ALERTS_ROOM = "alerts"    # alert screens (no login): the content-free alert only
STAFF_NAMESPACE = "/staff"
PAGE = 500                # notifications in one catch-up reply


class SocketIOBroker:
    """Push to every dashboard and alert screen connected to this process."""

    def __init__(self, socketio):
        self.socketio = socketio

    def publish(self, notification):
        self.socketio.emit("notification", notification, to=STAFF_ROOM, namespace=STAFF_NAMESPACE)
        alert = alert_for(notification)
        if alert is not None:
            self.socketio.emit("alert", alert, to=ALERTS_ROOM, namespace=STAFF_NAMESPACE)


def record(db, kind, report_id, payload, at):
    """Store a notification in the caller's transaction; returns it as pushed."""
    table = db["notifications"]
    table.insert({"at": at, "kind": kind, "report_id": report_id,
                  "payload": json.dumps(payload)})
    return {"id": table.last_pk, "at": at, "kind": kind, "report_id": report_id,
            "payload": payload}


def push(broker, notification):
    """Send a stored notification live; a dashboard that misses it catches up later."""
    if broker is not None and notification is not None:
        broker.publish(notification)


def since(db, cursor, limit=PAGE):
    """Notifications after `cursor`, oldest first: what a returning dashboard missed."""
    rows = db.query("SELECT * FROM notifications WHERE id > ? ORDER BY id LIMIT ?",
                    [int(cursor), limit])
    return [dict(row, payload=json.loads(row["payload"])) for row in rows]


def page(db, cursor, limit=PAGE):
    """One page of catch-up after `cursor`: {"notifications", "more"}; while "more" is
    true the dashboard asks again from the last id it got, until it has everything."""
    found = since(db, cursor, limit + 1)
    return {"notifications": found[:limit], "more": len(found) > limit}


def latest_id(db):
    row = next(db.query("SELECT max(id) AS id FROM notifications"))
    return row["id"] or 0
