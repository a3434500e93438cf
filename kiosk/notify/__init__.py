"""Live events for staff: stored first, then pushed, so a dashboard can always catch up.

Callers only `record` (inside their own transaction) and then `push` once it has
committed. How a push travels is the broker's business: one process today through
Socket.IO rooms; a broker over a shared queue could replace it without touching callers.
"""
import json

STAFF_ROOM = "staff"
STAFF_NAMESPACE = "/staff"


class SocketIOBroker:
    """Push to every dashboard connected to this process."""

    def __init__(self, socketio):
        self.socketio = socketio

    def publish(self, notification):
        self.socketio.emit("notification", notification, to=STAFF_ROOM, namespace=STAFF_NAMESPACE)


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


def since(db, cursor, limit=500):
    """Notifications after `cursor`, oldest first: what a returning dashboard missed."""
    rows = db.query("SELECT * FROM notifications WHERE id > ? ORDER BY id LIMIT ?",
                    [int(cursor), limit])
    return [dict(row, payload=json.loads(row["payload"])) for row in rows]


def latest_id(db):
    row = next(db.query("SELECT max(id) AS id FROM notifications"))
    return row["id"] or 0
