"""The live channel's rooms: which socket belongs to which login or alert screen, and
closing them when a login or a screen ends. Its own module so that logging out (auth)
can close dashboards without importing the socket handlers."""
import json

from flask import current_app, has_app_context

from .. import notify
from ..accounts import sessions
from ..accounts.users import READER_ROLES
from ..db import get_db
from ..extensions import socketio
from ..notify import screens
from ..safeguarding import allegations


class _Sockets:
    """Socket.IO sid -> the login session (or alert screen) it belongs to, kept per app.

    A server has one app, but a test process makes many, and their timers can outlive
    their test: one app's checks must never see, let alone close, another app's sockets."""

    def __init__(self, key):
        self.key = key

    def _map(self):
        return current_app.extensions.setdefault(self.key, {}) if has_app_context() else {}

    def __setitem__(self, sid, value):
        self._map()[sid] = value

    def pop(self, sid, default=None):
        return self._map().pop(sid, default)

    def values(self):
        return list(self._map().values())

    def __contains__(self, sid):
        return sid in self._map()

    def __bool__(self):
        return bool(self._map())


live_sessions = _Sockets("kiosk.live_sessions")  # sid -> the login session it belongs to
open_screens = _Sockets("kiosk.open_screens")    # sid -> the alert screen it belongs to


def held_here():
    """(login session ids, alert screen ids) this app's sockets belong to now, sorted."""
    return sorted(set(live_sessions.values())), sorted(set(open_screens.values()))


def session_room(session_id):
    return f"session:{session_id}"


def user_room(user_id):
    """Every dashboard of one person: how a case only some may hear of reaches them."""
    return f"user:{user_id}"


def screen_room(screen_id):
    return f"screen:{screen_id}"


def _close_room(room, event):
    """Tell every socket in the room why (`event`), then close each one."""
    participants = list(socketio.server.manager.get_participants(notify.STAFF_NAMESPACE, room))
    socketio.emit(event, {}, to=room, namespace=notify.STAFF_NAMESPACE)
    for sid, _ in participants:
        if sid in live_sessions or sid in open_screens:  # this app's own sockets only
            socketio.server.disconnect(sid, namespace=notify.STAFF_NAMESPACE)


def close_session_rooms(session_ids):
    """Tell the dashboards of ended sessions, then close their connections."""
    for session_id in session_ids:
        _close_room(session_room(session_id), "logged_out")


def sessions_to_close(db, session_ids, now, idle_minutes, longest_hours):
    """{session id: why} for those of these logins that may no longer receive anything:
    ended (anywhere: another process, the command line), idle, too old, or whose account
    is switched off or no longer a reader. One query, so it is cheap enough for every push."""
    ids = sorted(set(session_ids))
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    found = {row["id"]: row for row in db.query(
        "SELECT staff_sessions.*, users.role AS role, users.active AS active FROM "
        f"staff_sessions LEFT JOIN users ON users.id = staff_sessions.user_id "
        f"WHERE staff_sessions.id IN ({marks})", ids)}
    closing = {}
    for session_id in ids:
        row = found.get(session_id)
        why = _why_closed(row, now, idle_minutes, longest_hours)
        if why:
            closing[session_id] = why
    return closing


def _why_closed(row, now, idle_minutes, longest_hours):
    if row is None:
        return "gone"
    if row["ended_at"]:
        return row["ended_why"] or "ended"
    if row["role"] not in READER_ROLES:
        return "role changed"
    if not row["active"]:
        return "account switched off"
    if sessions.is_idle(row, now, idle_minutes):
        return "idle"
    if sessions.is_too_old(row, now, longest_hours):
        return sessions.TOO_OLD
    return ""


def close_ended_sessions(db):
    """End and close every dashboard of this process whose login may no longer receive;
    returns their session ids."""
    config = current_app.config
    now = config["CLOCK"]()
    closing = sessions_to_close(db, live_sessions.values(), now,
                                config["STAFF_IDLE_MINUTES"], config["STAFF_SESSION_HOURS"])
    for session_id, why in closing.items():
        sessions.end_id(db, session_id, now, why)
    close_session_rooms(list(closing))
    return list(closing)


class GatedBroker:
    """A broker that first closes the dashboards whose login has ended, wherever it was
    ended, so not one more notification reaches them."""

    def __init__(self, inner):
        self.inner = inner

    def publish(self, notification):
        """Close ended logins' dashboards, then push as the inner broker does; a case
        closed to someone (an allegation about staff) goes only to those who may hear."""
        if not has_app_context():
            self.inner.publish(notification)
            return
        db = get_db()
        if live_sessions:
            close_ended_sessions(db)
        allowed = allegations.audience(db, notification.get("report_id"))
        if allowed is None:
            self.inner.publish(notification)
            return
        self.inner.publish(notification, rooms=[user_room(i) for i in sorted(allowed)],
                           alert_rooms=[screen_room(i) for i in _screens_of(db, allowed)])

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _screens_of(db, user_ids):
    """The alert screens still open for these people."""
    return [row["id"] for row in db.query(
        "SELECT id FROM alert_screens WHERE ended_at = '' AND user_id IN "
        "(SELECT value FROM json_each(?)) ORDER BY id", [json.dumps(sorted(user_ids))])]


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
