"""Checking a login: password, then (for readers) an authenticator code; slowing guesses.

Failures are counted per typed email and source address, and per email across every
address the account has never logged in from. Each count, past its free tries, makes the
next try wait (doubling, up to a cap), so guessing stays slow; nothing is ever locked,
so someone who knows only an email cannot shut its owner out, and the owner's usual
address never waits for an attack from elsewhere. Unknown emails are counted and answered
exactly as known ones, so the answer never tells who has an account.
"""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from .. import throttle
from . import totp
from .users import READER_ROLES, get_user, password_matches

WRONG = "That email and password do not match an account."
WRONG_CODE = "That code is not right. Check the time on your phone and try the newest code."
REUSED_CODE = "That code has been used already. Wait for the next one."
SWITCHED_OFF = "This account is switched off. Ask school IT."
PAIR, ACCOUNT = "login", "login-account"  # throttle scopes
PLACE_DAYS = 90  # an address an account logged in from stays its own this long


@dataclass(frozen=True)
class Attempt:
    outcome: str          # "ok", "needs_code", "wrong", "wait"
    user: dict | None
    message: str = ""


def rules(limits):
    """The two throttles from the settings: {"attempts", "minutes", "account_attempts"}."""
    longest = limits["minutes"] * 60
    return (throttle.Rule(free=limits["attempts"], longest_seconds=longest),
            throttle.Rule(free=limits["account_attempts"], longest_seconds=longest))


def _keys(email, source):
    email = (email or "").strip().lower()
    return f"{email}|{source}", email


def wait_message(seconds):
    """What someone told to wait reads; the same whether or not the account exists."""
    if seconds > 90:
        amount = math.ceil(seconds / 60)
        unit = f"minute{'s' if amount != 1 else ''}"
    else:
        amount = max(1, math.ceil(seconds))
        unit = f"second{'s' if amount != 1 else ''}"
    return f"Too many failed attempts for this account. Wait {amount} {unit}, then try again."


def is_familiar(db, user, source, now):
    """Whether this account has logged in from this address lately."""
    if user is None or not source:
        return False
    row = next(db.query("SELECT last_ok FROM login_places WHERE user_id = ? AND ip = ?",
                        [user["id"], source]), None)
    return row is not None and now - datetime.fromisoformat(row["last_ok"]) < timedelta(
        days=PLACE_DAYS)


def wait_seconds(db, email, user, source, now, limits):
    """How long this email must wait at this address before its next try (0: now)."""
    pair_rule, account_rule = rules(limits)
    pair_key, account_key = _keys(email, source)
    wait = throttle.wait_seconds(db, PAIR, pair_key, pair_rule, now)
    if not is_familiar(db, user, source, now):
        wait = max(wait, throttle.wait_seconds(db, ACCOUNT, account_key, account_rule, now))
    return wait


def _failed(db, email, user, source, now, limits):
    """Count one failure against the email at this address, and account-wide from here
    unless this is an address the account logs in from."""
    pair_rule, account_rule = rules(limits)
    pair_key, account_key = _keys(email, source)
    throttle.failed(db, PAIR, pair_key, pair_rule, now)
    if not is_familiar(db, user, source, now):
        throttle.failed(db, ACCOUNT, account_key, account_rule, now)
    if user is not None:  # shown to IT; the delays come from the throttle alone
        db["users"].update(user["id"], {"failed_logins": user["failed_logins"] + 1})


def count_failure(db, user, now, limits, source=""):
    """A wrong password somewhere other than the login form counts towards the delays."""
    _failed(db, user["email"], user, source, now, limits)


def succeeded(db, user, source, now):
    """A whole login worked: forget this address's failures and remember the address."""
    throttle.forget(db, PAIR, _keys(user["email"], source)[0])
    db["users"].update(user["id"], {"failed_logins": 0})
    db.execute("INSERT INTO login_places (user_id, ip, last_ok) VALUES (?, ?, ?) "
               "ON CONFLICT (user_id, ip) DO UPDATE SET last_ok = excluded.last_ok",
               [user["id"], source or "", now.isoformat()])


def _known(db, email):
    row = db.execute("SELECT id FROM users WHERE email = ?",
                     [(email or "").strip().lower()]).fetchone()
    return get_user(db, row[0]) if row else None


def check_password(db, email, password, now, limits, source=""):
    """First step of a login. limits: {"attempts": 5, "minutes": 15, "account_attempts": 20}."""
    known = _known(db, email)
    wait = wait_seconds(db, email, known, source, now, limits)
    if wait:
        return Attempt("wait", known, wait_message(wait))
    user = password_matches(db, email, password)  # a real hash check, known or not
    if user is None:
        _failed(db, email, known, source, now, limits)
        return Attempt("wrong", known, WRONG)
    if not user["active"]:
        return Attempt("wrong", user, SWITCHED_OFF)
    if user["role"] in READER_ROLES:
        return Attempt("needs_code", user)
    succeeded(db, user, source, now)
    return Attempt("ok", user)


def check_code(db, user_id, code, now, limits, source=""):
    """Second step for readers: a fresh authenticator code, each usable once."""
    user = get_user(db, user_id)
    if user is None or not user["active"]:
        return Attempt("wrong", user, SWITCHED_OFF)
    wait = wait_seconds(db, user["email"], user, source, now, limits)
    if wait:
        return Attempt("wait", user, wait_message(wait))
    step = totp.matching_step(user["totp_secret"], code, now) if user["totp_secret"] else None
    if step is not None and step <= user["totp_last_step"]:
        # A code seen once (over a shoulder, in a proxy log) must not let anyone in again.
        _failed(db, user["email"], user, source, now, limits)
        return Attempt("wrong", user, REUSED_CODE)
    if step is None:
        _failed(db, user["email"], user, source, now, limits)
        return Attempt("wrong", user, WRONG_CODE)
    db["users"].update(user_id, {"failed_logins": 0, "totp_last_step": step})
    succeeded(db, user, source, now)
    return Attempt("ok", get_user(db, user_id))
