"""Checking a login: password, then (for readers) an authenticator code; lockout on repeats."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import totp
from .users import READER_ROLES, get_user, password_matches

WRONG = "That email and password do not match an account."
WRONG_CODE = "That code is not right. Check the time on your phone and try the newest code."
REUSED_CODE = "That code has been used already. Wait for the next one."
SWITCHED_OFF = "This account is switched off. Ask school IT."


@dataclass(frozen=True)
class Attempt:
    outcome: str          # "ok", "needs_code", "wrong", "locked"
    user: dict | None
    message: str = ""


def _locked_message(user, now):
    until = datetime.fromisoformat(user["locked_until"])
    minutes = max(1, int((until - now).total_seconds() + 59) // 60)
    return (f"Too many failed attempts: this account is locked for {minutes} more "
            f"minute{'s' if minutes != 1 else ''}. School IT can unlock it sooner.")


def is_locked(user, now):
    return bool(user["locked_until"]) and datetime.fromisoformat(user["locked_until"]) > now


def count_failure(db, user, now, limits):
    """A wrong password somewhere other than the login form counts towards lockout too."""
    return _failed(db, user, now, limits)


def _failed(db, user, now, limits):
    """Count a failure; the last allowed one locks the account."""
    failures = user["failed_logins"] + 1
    changes = {"failed_logins": failures}
    if failures >= limits["attempts"]:
        changes.update(failed_logins=0,
                       locked_until=(now + timedelta(minutes=limits["minutes"])).isoformat())
    db["users"].update(user["id"], changes)
    return get_user(db, user["id"])


def check_password(db, email, password, now, limits):
    """First step of a login. limits: {"attempts": 5, "minutes": 15}."""
    user = password_matches(db, email, password)
    if user is None:
        known = db.execute("SELECT id FROM users WHERE email = ?",
                           [(email or "").strip().lower()]).fetchone()
        if known:
            user = _failed(db, get_user(db, known[0]), now, limits)
            if is_locked(user, now):
                return Attempt("locked", user, _locked_message(user, now))
        return Attempt("wrong", user, WRONG)
    if is_locked(user, now):
        return Attempt("locked", user, _locked_message(user, now))
    if not user["active"]:
        return Attempt("wrong", user, SWITCHED_OFF)
    if user["role"] in READER_ROLES:
        return Attempt("needs_code", user)
    db["users"].update(user["id"], {"failed_logins": 0})
    return Attempt("ok", user)


def check_code(db, user_id, code, now, limits):
    """Second step for readers: a fresh authenticator code, each usable once."""
    user = get_user(db, user_id)
    if user is None or not user["active"]:
        return Attempt("wrong", user, SWITCHED_OFF)
    if is_locked(user, now):
        return Attempt("locked", user, _locked_message(user, now))
    step = totp.matching_step(user["totp_secret"], code, now) if user["totp_secret"] else None
    if step is not None and step <= user["totp_last_step"]:
        # A code seen once (over a shoulder, in a proxy log) must not let anyone in again.
        user = _failed(db, user, now, limits)
        if is_locked(user, now):
            return Attempt("locked", user, _locked_message(user, now))
        return Attempt("wrong", user, REUSED_CODE)
    if step is None:
        user = _failed(db, user, now, limits)
        if is_locked(user, now):
            return Attempt("locked", user, _locked_message(user, now))
        return Attempt("wrong", user, WRONG_CODE)
    db["users"].update(user_id, {"failed_logins": 0, "totp_last_step": step})
    return Attempt("ok", get_user(db, user_id))
