"""Socket.IO for dashboards: only a logged-in DSL, deputy or head may connect.

Each connection also joins a room named after its login session, so when a session
ends (logout, logout everywhere, a changed role or password) its dashboards are closed.
"""
from flask import current_app, request
from flask_socketio import ConnectionRefusedError, join_room

from .. import notify, sessions
from ..db import get_db
from ..extensions import socketio
from ..users import READER_ROLES
from .auditing import log
from .auth import current_user, login_state


SWEEP_SECONDS = 30
_live = {}  # Socket.IO sid -> the login session it belongs to


def _session_room(session_id):
    return f"session:{session_id}"


def _reader():
    user = current_user()
    return user if user is not None and user["role"] in READER_ROLES else None


@socketio.on("connect", namespace=notify.STAFF_NAMESPACE)
def connect(auth=None):
    """A dashboard connects with its login cookie and joins the staff room."""
    user = current_user()
    if user is None or user["role"] not in READER_ROLES:
        if user is not None:
            log("refused", "socket:/staff", {"why": f"role {user['role']} may not connect"})
        raise ConnectionRefusedError("staff login required")
    session_id = login_state().session_id
    join_room(notify.STAFF_ROOM)
    join_room(_session_room(session_id))
    _live[request.sid] = session_id


@socketio.on("disconnect", namespace=notify.STAFF_NAMESPACE)
def disconnect(*args):
    _live.pop(request.sid, None)


@socketio.on("catch_up", namespace=notify.STAFF_NAMESPACE)
def catch_up(data):
    """The dashboard sends {since: id} on (re)connect and gets back what it missed."""
    if _reader() is None:
        return {"error": "staff login required"}
    try:
        cursor = int((data or {}).get("since", 0))
    except (TypeError, ValueError, AttributeError):
        return {"error": "since must be a notification number"}
    return {"notifications": notify.since(get_db(), cursor)}


def disconnect_sessions(session_ids):
    """Tell the dashboards of ended sessions, then close their connections."""
    manager = socketio.server.manager
    for session_id in session_ids:
        room = _session_room(session_id)
        participants = list(manager.get_participants(notify.STAFF_NAMESPACE, room))
        socketio.emit("logged_out", {}, to=room, namespace=notify.STAFF_NAMESPACE)
        for sid, _ in participants:
            socketio.server.disconnect(sid, namespace=notify.STAFF_NAMESPACE)


def sweep(db):
    """Close dashboards whose login has ended or gone idle since they connected.

    A session can end where no request of this process sees it (a command line role
    change, or nobody touching the dashboard for the idle time), so this runs on a timer."""
    now = current_app.config["CLOCK"]()
    idle = current_app.config["STAFF_IDLE_MINUTES"]
    ended = []
    for session_id in set(_live.values()):
        row = next(db.query("SELECT * FROM staff_sessions WHERE id = ?", [session_id]), None)
        if row is None or row["ended_at"] or sessions.is_idle(row, now, idle):
            sessions.end_id(db, session_id, now, "idle")
            ended.append(session_id)
    disconnect_sessions(ended)
    return ended
