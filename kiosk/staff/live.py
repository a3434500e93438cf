"""Socket.IO for dashboards and alert screens, on the /staff namespace.

A logged-in DSL, deputy or head joins the staff room (every notification) and a room
named after its login session, so when the session ends (logout, logout everywhere, a
changed role or password, idle) its dashboard is told and closed. A browser with only
an alert-screen cookie (notify/screens.py) joins the alerts room instead: content-free
alerts only. Anyone else is refused.
"""
from flask import has_request_context, request
from flask_socketio import ConnectionRefusedError, join_room

from .. import notify
from ..db import get_db
from ..extensions import socketio
from ..accounts.users import CHAIR_ROLE, READER_ROLES
from ..safeguarding import allegations
from ..notify import SocketIOBroker
from .alert_screen import outstanding, screen_for_request
from .auditing import log
from .identity import current_user, login_state
from . import bp
from .rooms import (GatedBroker, close_ended_screens, close_ended_sessions, live_sessions,
                    open_screens, screen_room, session_room, user_room)


SWEEP_SECONDS = 1


def _reader():
    user = current_user()
    return user if user is not None and user["role"] in READER_ROLES else None


@socketio.on("connect", namespace=notify.STAFF_NAMESPACE)
def connect(auth=None):
    """A dashboard connects with its login cookie, an alert screen with its own cookie."""
    user = current_user()
    if user is not None and user["role"] in READER_ROLES:
        session_id = login_state().session_id
        if user["role"] != CHAIR_ROLE:  # the chair hears only of the cases about the head
            join_room(notify.STAFF_ROOM)
        join_room(user_room(user["id"]))
        join_room(session_room(session_id))
        live_sessions[request.sid] = session_id
        return
    held = screen_for_request(get_db())
    if held is not None and held[1]["role"] == CHAIR_ROLE:
        log("refused", "socket:/staff", {"why": "an alert screen is not for the chair"})
        held = None
    if held is not None:
        screen = held[0]
        join_room(notify.ALERTS_ROOM)
        join_room(screen_room(screen["id"]))
        open_screens[request.sid] = screen["id"]
        return
    if user is not None:
        log("refused", "socket:/staff", {"why": f"role {user['role']} may not connect"})
    raise ConnectionRefusedError("staff login required")


def _hearing():
    """What the person asking may catch up on (notify.page asks this): everything but
    the cases that name them; for the chair, the cases about the head alone."""
    user = current_user() if has_request_context() else None
    if user is None:
        return None
    db = get_db()
    if user["role"] == CHAIR_ROLE:
        return notify.Hearing(only=frozenset(allegations.head_cases(db)))
    hidden = allegations.naming(db, user["id"])
    return notify.Hearing(hidden=frozenset(hidden)) if hidden else None


notify.hearing_for_request = _hearing


@socketio.on("disconnect", namespace=notify.STAFF_NAMESPACE)
def disconnect(*args):
    live_sessions.pop(request.sid, None)
    open_screens.pop(request.sid, None)


def _cursor(data):
    try:
        return int((data or {}).get("since", 0))
    except (TypeError, ValueError, AttributeError):
        return None


@socketio.on("catch_up", namespace=notify.STAFF_NAMESPACE)
def catch_up(data):
    """{since: id} -> a page of what was missed: {notifications, more}. An alert screen
    gets {alerts, cursor}: every alert still calling, whatever it missed."""
    if _reader() is None:
        if request.sid in open_screens:
            return outstanding(get_db())
        return {"error": "staff login required"}
    cursor = _cursor(data)
    if cursor is None:
        return {"error": "since must be a notification number"}
    return notify.page(get_db(), cursor)


def sweep_seconds(config):
    """How often to sweep: every second. A login can end where no push of this process
    sees it (the command line, another process), and one query a second is cheap."""
    return SWEEP_SECONDS


def sweep(db):
    """Close dashboards whose login has ended, gone idle or too old, or whose account is
    no longer a reader, since they connected; and alert screens that have ended."""
    ended = close_ended_sessions(db)
    close_ended_screens(db)
    return ended


@bp.record_once
def _gate_pushes(state):
    """Every push first closes ended logins' dashboards (rooms.GatedBroker)."""
    svc = state.app.extensions["kiosk"]
    if isinstance(svc.broker, SocketIOBroker):
        svc.broker = GatedBroker(svc.broker)
