"""Alert screens: a browser that keeps sounding content-free alerts after its login ends.

When a reader opens the dashboard, the browser also gets an alert-screen token (an
httpOnly cookie; only its hash is kept). With that token alone, a socket joins the
alerts room, which hears where and when something happened, never what. A token ends
when its owner is logged out everywhere (a switched-off account, a changed role or
password do that too), when they are no longer a reader, when nobody has opened the
dashboard on that browser for ALERT_SCREEN_DAYS, or when someone presses "Stop alerts".
"""
import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from ..db import writing

COOKIE = "alert_screen"
RENEW_AFTER = timedelta(days=1)  # a dashboard opened later than this gets a fresh token


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue(db, user_id, session_id, now):
    """A new alert-screen token for this user's browser; returns the token."""
    token = secrets.token_urlsafe(32)
    with writing(db):
        db["alert_screens"].insert({"token_hash": _hash(token), "user_id": user_id,
                                    "session_id": session_id, "created_at": now.isoformat(),
                                    "ended_at": "", "ended_why": ""})
    return token


def find(db, token):
    if not token:
        return None
    return next(db.query("SELECT * FROM alert_screens WHERE token_hash = ?", [_hash(token)]),
                None)


def live(db, token, now, days, roles):
    """(screen, user) while this token may still alert, else None (ending it if it has
    run out or its owner may no longer read reports)."""
    screen = find(db, token)
    if screen is None or screen["ended_at"]:
        return None
    why = why_ended(db, screen, now, days, roles)
    if why:
        end(db, screen["id"], now, why)
        return None
    return screen, next(db.query("SELECT * FROM users WHERE id = ?", [screen["user_id"]]))


def why_ended(db, screen, now, days, roles):
    """Why a screen not yet marked ended may no longer alert, or "" while it may."""
    if now - datetime.fromisoformat(screen["created_at"]) > timedelta(days=days):
        return "expired"
    user = next(db.query("SELECT role, active FROM users WHERE id = ?", [screen["user_id"]]),
                None)
    if user is None or not user["active"]:
        return "account switched off"
    if user["role"] not in roles:
        return "role changed"
    return ""


def needs_renewal(screen, now):
    return now - datetime.fromisoformat(screen["created_at"]) > RENEW_AFTER


def end(db, screen_id, now, why):
    """End one alert screen, unless it has ended already."""
    with writing(db):
        db.execute("UPDATE alert_screens SET ended_at = ?, ended_why = ? "
                   "WHERE id = ? AND ended_at = ''", [now.isoformat(), why, screen_id])


def end_for_user(db, user_id, now, why):
    """End every alert screen of a user (logged out everywhere); returns how many."""
    at = (now or datetime.now(timezone.utc)).isoformat()
    with writing(db):
        cursor = db.execute("UPDATE alert_screens SET ended_at = ?, ended_why = ? "
                            "WHERE user_id = ? AND ended_at = ''", [at, why, user_id])
    return cursor.rowcount
