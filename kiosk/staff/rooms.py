"""The live channel's rooms: which socket belongs to which login or alert screen, and
closing them when a login or a screen ends. Its own module so that logging out (auth)
can close dashboards without importing the socket handlers."""
from flask import current_app

from .. import notify
from ..accounts.users import READER_ROLES
from ..db import get_db
from ..extensions import socketio
from ..notify import screens

live_sessions = {}     # Socket.IO sid -> the login session it belongs to
open_screens = {}  # Socket.IO sid -> the alert screen it belongs to


def session_room(session_id):
    return f"session:{session_id}"


def screen_room(screen_id):
    return f"screen:{screen_id}"


def _close_room(room, event):
    """Tell every socket in the room why (`event`), then close each one."""
    participants = list(socketio.server.manager.get_participants(notify.STAFF_NAMESPACE, room))
    socketio.emit(event, {}, to=room, namespace=notify.STAFF_NAMESPACE)
    for sid, _ in participants:
        socketio.server.disconnect(sid, namespace=notify.STAFF_NAMESPACE)


def close_session_rooms(session_ids):
    """Tell the dashboards of ended sessions, then close their connections."""
    for session_id in session_ids:
        _close_room(session_room(session_id), "logged_out")


def disconnect_sessions(session_ids):
    """Close the dashboards of ended sessions, and the alert screens their owners may
    no longer keep (a logout everywhere ends those too)."""
    close_session_rooms(session_ids)
    if session_ids and open_screens:
        close_ended_screens(get_db())


def close_ended_screens(db):
    """Close alert-screen sockets whose screen has ended, run out, or whose owner is no
    longer a reader; returns their screen ids."""
    now = current_app.config["CLOCK"]()
    days = current_app.config["ALERT_SCREEN_DAYS"]
    ended = set()
    for screen_id in set(open_screens.values()):
        row = next(db.query("SELECT * FROM alert_screens WHERE id = ?", [screen_id]), None)
        why = "gone" if row is None else row["ended_why"] or screens.why_ended(
            db, row, now, days, READER_ROLES)
        if why:
            if row is not None and not row["ended_at"]:
                screens.end(db, screen_id, now, why)
            ended.add(screen_id)
    for screen_id in ended:
        _close_room(screen_room(screen_id), "alerts_ended")
    return ended
