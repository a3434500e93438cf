"""Staff sessions, kept on the server so they can end: idle, logout, or a changed account.

The browser holds only a random token (inside Flask's signed cookie); the database keeps
its hash, when it was last used and why it ended.
"""
import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from ..db import writing
from ..notify import screens


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _iso(now):
    return (now or datetime.now(timezone.utc)).isoformat()


def start(db, user_id, now):
    """A new session for a user who has just logged in; returns its token."""
    token = secrets.token_urlsafe(32)
    db["staff_sessions"].insert({"token_hash": _hash(token), "user_id": user_id,
                                 "created_at": _iso(now), "last_seen": _iso(now),
                                 "ended_at": "", "ended_why": ""})
    return token


def find(db, token):
    if not token:
        return None
    return next(db.query("SELECT * FROM staff_sessions WHERE token_hash = ?", [_hash(token)]),
                None)


def check(db, token, now, idle_minutes, longest_hours=None):
    """(session, None) while it is live, else (session or None, why it is not).

    A session ends when idle, and `longest_hours` after its login however active it is,
    so a stolen or forgotten one cannot be kept alive by use."""
    session = find(db, token)
    if session is None:
        return None, "not logged in"
    if session["ended_at"]:
        return session, session["ended_why"]
    if is_idle(session, now, idle_minutes):
        end(db, token, now, "idle")
        return session, "idle"
    if longest_hours is not None and is_too_old(session, now, longest_hours):
        end(db, token, now, TOO_OLD)
        return session, TOO_OLD
    return session, None


TOO_OLD = "too long since login"


def is_too_old(session, now, longest_hours):
    """Whether the login is older than the longest a session may last."""
    return now - datetime.fromisoformat(session["created_at"]) >= timedelta(hours=longest_hours)


def is_idle(session, now, idle_minutes):
    return now - datetime.fromisoformat(session["last_seen"]) > timedelta(minutes=idle_minutes)


def touch(db, session, now):
    """Record activity; at most once a minute, so reading pages does not mean writing."""
    if now - datetime.fromisoformat(session["last_seen"]) >= timedelta(minutes=1):
        db["staff_sessions"].update(session["id"], {"last_seen": _iso(now)})


def end(db, token, now, why):
    session = find(db, token)
    if session is not None:
        end_id(db, session["id"], now, why)


def end_id(db, session_id, now, why):
    """End one session by its id, unless it has ended already."""
    with writing(db):
        db.execute("UPDATE staff_sessions SET ended_at = ?, ended_why = ? "
                   "WHERE id = ? AND ended_at = ''", [_iso(now), why, session_id])


def end_all(db, user_id, now, why):
    """Log a user out everywhere; returns how many sessions ended."""
    with writing(db):  # committed here when the caller has no transaction of its own
        cursor = db.execute(
            "UPDATE staff_sessions SET ended_at = ?, ended_why = ? "
            "WHERE user_id = ? AND ended_at = ''", [_iso(now), why, user_id])
        # Everywhere includes the browsers still showing content-free alerts.
        screens.end_for_user(db, user_id, now, why)
    return cursor.rowcount


def live_ids(db, user_id):
    return [row["id"] for row in db.query(
        "SELECT id FROM staff_sessions WHERE user_id = ? AND ended_at = ''", [user_id])]
