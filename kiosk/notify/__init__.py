"""Live events for staff: stored first, then pushed, so a dashboard can always catch up.

Callers only `record` (inside their own transaction) and then `push` once it has
committed. How a push travels is the broker's business: one process today through
Socket.IO rooms; a broker over a shared queue could replace it without touching callers.
"""
import json
from dataclasses import dataclass

from .alerts import alert_for

STAFF_ROOM = "staff"      # logged-in dashboards: every notification, as stored
ALERTS_ROOM = "alerts"    # alert screens (no login): the content-free alert only
STAFF_NAMESPACE = "/staff"
PAGE = 500                # notifications in one catch-up reply


class SocketIOBroker:
    """Push to every dashboard and alert screen connected to this process."""

    def __init__(self, socketio):
        self.socketio = socketio

    def publish(self, notification, rooms=None, alert_rooms=None):
        """To every dashboard and alert screen; or, for a case only some may hear of
        (one about a member of staff), to just those people's rooms."""
        if rooms is not None:
            if rooms:
                self.socketio.emit("notification", notification, to=list(rooms),
                                   namespace=STAFF_NAMESPACE)
        else:
            self.socketio.emit("notification", notification, to=STAFF_ROOM,
                               namespace=STAFF_NAMESPACE)
        alert = alert_for(notification)
        to = ALERTS_ROOM if alert_rooms is None else list(alert_rooms)
        if alert is not None and to:
            self.socketio.emit("alert", alert, to=to, namespace=STAFF_NAMESPACE)


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


@dataclass(frozen=True)
class Hearing:
    """Which reports' notifications one reader may catch up on: all but `hidden`, or,
    when `only` is given, those reports' alone (and nothing that is not about a report)."""
    hidden: frozenset = frozenset()
    only: frozenset | None = None


# Set by the staff face: () -> the Hearing of whoever is asking now (None: everything).
# A hook, so the platform need not know why some cases are closed to some people.
hearing_for_request = None


def _filter(hearing):
    if hearing is None:
        return "", []
    if hearing.only is not None:
        return " AND report_id IN (SELECT value FROM json_each(?))", [json.dumps(
            sorted(hearing.only))]
    if hearing.hidden:
        return (" AND (report_id IS NULL OR report_id NOT IN (SELECT value FROM json_each(?)))",
                [json.dumps(sorted(hearing.hidden))])
    return "", []


def since(db, cursor, limit=PAGE, hearing=None):
    """Notifications after `cursor`, oldest first: what a returning dashboard missed."""
    where, args = _filter(hearing)
    rows = db.query(f"SELECT * FROM notifications WHERE id > ?{where} ORDER BY id LIMIT ?",
                    [int(cursor), *args, limit])
    return [dict(row, payload=json.loads(row["payload"])) for row in rows]


def page(db, cursor, limit=PAGE):
    """One page of catch-up after `cursor`: {"notifications", "more"}; while "more" is
    true the dashboard asks again from the last id it got, until it has everything.
    Only what the person asking may hear of (hearing_for_request)."""
    hearing = hearing_for_request() if hearing_for_request is not None else None
    found = since(db, cursor, limit + 1, hearing)
    return {"notifications": found[:limit], "more": len(found) > limit}


def latest_id(db):
    row = next(db.query("SELECT max(id) AS id FROM notifications"))
    return row["id"] or 0
