"""Kiosk devices: enrolment by a one-time code, device tokens, revocation, the staff PIN.

Codes and device tokens are stored only as SHA-256 hashes (they are long random
values, so a fast hash is enough); the staff PIN is short, so it gets scrypt.
"""
import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit, throttle
from ..db import writing

# No 0/O, 1/I/L or U/V: a code read off a screen is typed right on an iPad.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
CODE_LENGTH = 8
MAX_NAME, MAX_PLACE = 60, 80
PIN = re.compile(r"^[0-9]{6,12}$")
PIN_SETTING = "staff_pin_hash"
CLI_ACTOR = "server command line"
ENROL_SCOPE = "enrol"  # wrong enrolment codes, counted per address (kiosk/throttle.py)
ENROL_LONGEST_WAIT = 15 * 60
DEVICE_COOKIE = "kiosk_device"  # an enrolled device's token, in its browser


class KioskError(ValueError):
    """A kiosk request that cannot be done; the message says why in plain words."""


class KioskWait(KioskError):
    """Too many wrong enrolment codes from one address: it must wait before the next."""


@dataclass(frozen=True)
class PinResult:
    """What a typed staff PIN led to, with the numbers the kiosk tells staff."""
    outcome: str  # "ok", "wrong", "locked" or "unset"
    attempts_left: int = 0
    minutes_left: int = 0

    @property
    def ok(self):
        return self.outcome == "ok"


def _sha256(value):
    return hashlib.sha256(value.encode()).hexdigest()


def _at(text):
    return datetime.fromisoformat(text) if text else None


def _new_code():
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_code(code):
    """A code as typed ("7kq4 m2xp", "7KQ4-M2XP") in the form it was hashed."""
    return re.sub(r"[\s-]", "", str(code or "")).upper()


def _clean(text, what, limit, required=True):
    text = "".join(ch for ch in str(text or "") if ch.isprintable() or ch.isspace())
    text = " ".join(text.split())  # names are shown and typed: no runs of spaces
    if required and not text:
        raise KioskError(f"the kiosk {what} is empty: give it one, e.g. \"Class 4 iPad\"")
    if len(text) > limit:
        raise KioskError(f"the kiosk {what} is too long: at most {limit} characters")
    return text


def find_kiosk(db, name):
    """The kiosk called name (any letter case), or None."""
    return next(db.query("SELECT * FROM kiosks WHERE name = ? COLLATE NOCASE",
                         [" ".join(str(name or "").split())]), None)


def get_kiosk(db, kiosk_id):
    """The kiosk with this id, or None."""
    return next(db.query("SELECT * FROM kiosks WHERE id = ?", [kiosk_id]), None)


def _known(db, name):
    kiosk = find_kiosk(db, name)
    if kiosk is None:
        raise KioskError(f"there is no kiosk called '{name}': list-kiosks shows them all")
    return kiosk


def _code_fields(now, hours):
    code = _new_code()
    return code, {"enrol_code_hash": _sha256(normalise_code(code)),
                  "enrol_expires": (now + timedelta(hours=hours)).isoformat()}


def create_kiosk(db, name, place, now, created_by, hours=24):
    """Add a kiosk waiting to be enrolled; returns (kiosk, its one-time code)."""
    name, place = _clean(name, "name", MAX_NAME), _clean(place, "place", MAX_PLACE, False)
    code, fields = _code_fields(now, hours)
    with writing(db):
        if find_kiosk(db, name):
            raise KioskError(f"a kiosk called '{name}' already exists: choose another name, "
                             "or use enrol-code to enrol a new device as it")
        table = db["kiosks"]
        table.insert(dict(fields, name=name, place=place, created_at=now.isoformat(),
                          created_by=created_by))
        kiosk = get_kiosk(db, table.last_pk)
        audit.record(db, "kiosk.created", at=now, actor=created_by, target=f"kiosk:{kiosk['id']}",
                     detail={"name": name, "place": place, "code_expires": fields["enrol_expires"]})
    return kiosk, code


def new_enrol_code(db, name, now, hours=24, actor=CLI_ACTOR):
    """A fresh one-time code for an existing kiosk (a new or replaced device)."""
    code, fields = _code_fields(now, hours)
    with writing(db):
        kiosk = _known(db, name)
        if kiosk["revoked_at"]:
            raise KioskError(f"the kiosk '{kiosk['name']}' was revoked and stays revoked: "
                             "create a new kiosk with another name")
        db["kiosks"].update(kiosk["id"], fields)
        audit.record(db, "kiosk.code", at=now, actor=actor, target=f"kiosk:{kiosk['id']}",
                     detail={"name": kiosk["name"], "code_expires": fields["enrol_expires"]})
    return get_kiosk(db, kiosk["id"]), code


def kiosk_for_code(db, code, now):
    """The kiosk a live code would enrol; raises KioskError for a bad, used or old code."""
    wanted = normalise_code(code)
    if not wanted:
        raise KioskError("Type the enrolment code school IT gave you, like 7KQ4-M2XP.")
    kiosk = next(db.query("SELECT * FROM kiosks WHERE enrol_code_hash = ?",
                          [_sha256(wanted)]), None)
    if kiosk is None:
        raise KioskError("That code is not right. Check it and type it again.")
    if kiosk["revoked_at"]:
        raise KioskError(f"The kiosk '{kiosk['name']}' was revoked. Ask school IT for a new kiosk.")
    # A used code keeps its hash with no expiry, so it can be named as used.
    if not kiosk["enrol_expires"]:
        raise KioskError("That code has already been used. Ask school IT for a new one "
                         f"(enrol-code \"{kiosk['name']}\").")
    if _at(kiosk["enrol_expires"]) <= now:
        raise KioskError("That code has expired. Ask school IT for a new one "
                         f"(enrol-code \"{kiosk['name']}\").")
    return kiosk


def enrol_rule(attempts):
    """Wrong codes one address may type before each further try waits (at most 15 min)."""
    return throttle.Rule(free=attempts, longest_seconds=ENROL_LONGEST_WAIT)


def _wait_text(seconds):
    amount, unit = (math.ceil(seconds / 60), "minute") if seconds > 90 else (
        max(1, math.ceil(seconds)), "second")
    return f"{amount} {unit}{'s' if amount != 1 else ''}"


def checked_code(db, code, now, source, rule):
    """kiosk_for_code, with wrong codes from one address slowed down (throttle.Rule).

    Past the free tries every try waits, twice as long each time; each wrong code that
    starts a wait is in the audit log, so guessing leaves a trace without filling it."""
    if not normalise_code(code):
        return kiosk_for_code(db, code, now)  # says what to type; not a guess
    with writing(db):
        wait = throttle.wait_seconds(db, ENROL_SCOPE, source, rule, now)
        if not wait:
            try:
                return kiosk_for_code(db, code, now)
            except KioskError as exc:
                refusal = exc
            _count_wrong_code(db, source, rule, now)
    if wait:
        raise KioskWait(f"Too many wrong codes from this device. Wait {_wait_text(wait)}, "
                         "then type the code again.")
    raise refusal


def _count_wrong_code(db, source, rule, now):
    failures = throttle.failed(db, ENROL_SCOPE, source, rule, now)
    if failures >= rule.free:
        audit.record(db, "kiosk.enrol_slowed", at=now, actor="not logged in", ip=source,
                     target=f"address:{source}",
                     detail={"wrong_codes": failures, "wait_seconds": rule.delay(failures)})


def enrol(db, code, now, ip="", rule=None):
    """Make this device the code's kiosk; returns (kiosk, device token). The code works once.

    With a rule, wrong codes from this address are slowed down (checked_code)."""
    token = secrets.token_urlsafe(32)
    if rule is not None:
        checked_code(db, code, now, ip, rule)
    with writing(db):
        kiosk = kiosk_for_code(db, code, now)
        throttle.forget(db, ENROL_SCOPE, ip)
        db["kiosks"].update(kiosk["id"], {
            "token_hash": _sha256(token), "enrolled_at": now.isoformat(), "enrol_expires": "",
            "pin_failures": 0, "pin_locked_until": ""})
        audit.record(db, "kiosk.enrolled", at=now, actor=f"kiosk: {kiosk['name']}", ip=ip,
                     target=f"kiosk:{kiosk['id']}",
                     detail={"name": kiosk["name"], "replaced_device": bool(kiosk["token_hash"])})
    return get_kiosk(db, kiosk["id"]), token


def kiosk_for_token(db, token):
    """The kiosk a device token belongs to, or None; check revoked_at before trusting it."""
    if not token:
        return None
    return next(db.query("SELECT * FROM kiosks WHERE token_hash = ?", [_sha256(token)]), None)


def revoke_kiosk(db, name, now, actor=CLI_ACTOR):
    """Refuse the kiosk's device from now on; its reports stay as they are."""
    with writing(db):
        kiosk = _known(db, name)
        if kiosk["revoked_at"]:
            raise KioskError(f"the kiosk '{kiosk['name']}' is already revoked")
        db["kiosks"].update(kiosk["id"], {"revoked_at": now.isoformat()})
        audit.record(db, "kiosk.revoked", at=now, actor=actor, target=f"kiosk:{kiosk['id']}",
                     detail={"name": kiosk["name"]})
    return get_kiosk(db, kiosk["id"])


def list_kiosks(db):
    """Every kiosk, by name."""
    return list(db.query("SELECT * FROM kiosks ORDER BY name COLLATE NOCASE"))


def state_of(kiosk, now):
    """("revoked" | "enrolled" | "waiting" | "code expired", since or until when)."""
    if kiosk["revoked_at"]:
        return "revoked", kiosk["revoked_at"]
    if kiosk["token_hash"]:
        return "enrolled", kiosk["enrolled_at"]
    if kiosk["enrol_expires"] and _at(kiosk["enrol_expires"]) > now:
        return "waiting", kiosk["enrol_expires"]
    return "code expired", kiosk["enrol_expires"]


def set_staff_pin(db, pin, now=None, actor=CLI_ACTOR):
    """Set the PIN staff type to leave kiosk mode (6 to 12 digits, kept as a scrypt hash)."""
    pin = str(pin or "")
    if not PIN.match(pin):
        raise KioskError("the staff PIN must be 6 to 12 digits, with nothing else")
    now = now or datetime.now(timezone.utc)
    hashed = generate_password_hash(pin, method="scrypt")
    with writing(db):
        db["settings"].upsert({"key": PIN_SETTING, "value": hashed}, pk="key")
        audit.record(db, "kiosk.pin_set", at=now, actor=actor, target="settings:staff_pin")


def _pin_hash(db):
    row = next(db.query("SELECT value FROM settings WHERE key = ?", [PIN_SETTING]), None)
    return row["value"] if row else ""


def _minutes_left(kiosk, now):
    until = _at(kiosk["pin_locked_until"])
    return math.ceil((until - now).total_seconds() / 60) if until and until > now else 0


def check_staff_pin(db, kiosk_id, pin, now, attempts, lock_minutes, ip=""):
    """Check a staff PIN typed on a kiosk; too many wrong ones lock that kiosk a while."""
    stored = _pin_hash(db)
    if not stored:
        return PinResult("unset")
    kiosk = get_kiosk(db, kiosk_id)
    if kiosk is None:
        raise KioskError(f"there is no kiosk {kiosk_id}")
    if _minutes_left(kiosk, now):
        return PinResult("locked", minutes_left=_minutes_left(kiosk, now))
    # scrypt is slow on purpose: check before taking the write lock reports need.
    right = check_password_hash(stored, str(pin or ""))
    with writing(db):
        kiosk = get_kiosk(db, kiosk_id)  # another try may have locked it meanwhile
        if _minutes_left(kiosk, now):
            return PinResult("locked", minutes_left=_minutes_left(kiosk, now))
        return _pin_outcome(db, kiosk, right, now, attempts, lock_minutes, ip)


def _pin_outcome(db, kiosk, right, now, attempts, lock_minutes, ip):
    log = dict(at=now, actor=f"kiosk: {kiosk['name']}", target=f"kiosk:{kiosk['id']}", ip=ip)
    if right:
        db["kiosks"].update(kiosk["id"], {"pin_failures": 0, "pin_locked_until": ""})
        audit.record(db, "kiosk.pin_ok", **log, detail={"name": kiosk["name"]})
        return PinResult("ok")
    failures = kiosk["pin_failures"] + 1
    if failures >= attempts:
        until = now + timedelta(minutes=lock_minutes)
        db["kiosks"].update(kiosk["id"], {"pin_failures": 0, "pin_locked_until": until.isoformat()})
        audit.record(db, "kiosk.pin_locked", **log, detail={
            "name": kiosk["name"], "failures": failures, "until": until.isoformat()})
        return PinResult("locked", minutes_left=lock_minutes)
    db["kiosks"].update(kiosk["id"], {"pin_failures": failures})
    audit.record(db, "kiosk.pin_failed", **log, detail={
        "name": kiosk["name"], "failures": failures, "attempts_left": attempts - failures})
    return PinResult("wrong", attempts_left=attempts - failures)
