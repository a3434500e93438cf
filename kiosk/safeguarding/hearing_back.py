"""Hearing back: a pupil who sent a worry learns later, at any kiosk, that an adult read it.

The thank-you gives the pupil three pictures (a code). Pressing them at a kiosk says
only what the DSL chose on the case, "read" or "talk", and nothing of the report. The
code is kept only as an HMAC under a key derived from the audit key, so the database
alone cannot tell anyone which pictures open which case; it works until it expires.
Wrong guesses are slowed per kiosk (the throttle), and every issue and check is in the
audit log, never with the pictures themselves. The DSL's choice is a case entry; the
table hearing_codes only mirrors it for the kiosk's one look-up.
"""
import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from .. import audit, throttle
from ..accounts.users import READER_ROLES
from ..content import hearing_back as content
from ..db import writing
from .cases import CaseError, _acknowledge_first, _add, _open_case
from .chronology import describes
from .reports import get_report

KIND = "hearing_back"  # the case entry of a choice
CHOICES = ("read", "talk")
SCOPE = "hearing-back"  # the throttle's scope; its keys are kiosk ids
DEFAULT_DAYS, DEFAULT_ATTEMPTS, DEFAULT_LOCK_MINUTES = 21, 5, 15
DRAWS = 64  # tries for a code no unexpired one has, before giving none


class BadCode(ValueError):
    """What a kiosk sent is not three of the pictures; the message says what is wrong."""


def code_key(audit_key):
    """The key codes are hashed with: from the audit key, never the audit key itself."""
    return hmac.new(audit_key, b"hearing back code key", hashlib.sha256).digest()


def code_hash(key, code):
    return hmac.new(key, ("hearing:" + "|".join(code)).encode(), hashlib.sha256).hexdigest()


def lock_rule(attempts=DEFAULT_ATTEMPTS, minutes=DEFAULT_LOCK_MINUTES):
    """`attempts` wrong codes at one kiosk, then it waits `minutes` before the next check."""
    return throttle.Rule(free=attempts, longest_seconds=minutes * 60,
                         first_seconds=minutes * 60, forget_hours=minutes / 60)


def parse_code(value, pictures):
    """The code a kiosk sent, as a list of picture ids; BadCode naming the fault."""
    if not isinstance(value, list) or len(value) != content.CODE_LENGTH:
        raise BadCode(f"the code must be a list of {content.CODE_LENGTH} picture names")
    for item in value:
        if not isinstance(item, str) or item not in pictures:
            raise BadCode(f"'{str(item)[:40]}' is not one of the pictures")
    return list(value)


def _row(db, report_id):
    return next(db.query("SELECT * FROM hearing_codes WHERE report_id = ?", [report_id]), None)


def _live(row, now):
    return datetime.fromisoformat(row["expires_at"]) > now


def _find(db, digest, now):
    """The unexpired code with this hash, or None (an expired one may share it)."""
    rows = db.query("SELECT * FROM hearing_codes WHERE code_hash = ?", [digest])
    return next((row for row in rows if _live(row, now)), None)


def issue(db, report, now, days=DEFAULT_DAYS, pictures=None):
    """A new code for a kiosk report, or None: a staff concern, one already given (the
    pictures are never kept, so a retried send cannot be told them again), or no free code."""
    if report["source"] != "kiosk":
        return None
    pictures = list(pictures or content.catalogue().pictures)
    key = code_key(audit.current_key(db))
    with writing(db):
        if _row(db, report["id"]) is not None:
            return None
        for _ in range(DRAWS):
            code = [secrets.choice(pictures) for _ in range(content.CODE_LENGTH)]
            if _find(db, code_hash(key, code), now) is None:
                break
        else:
            audit.record(db, "hearing_back.none_free", at=now, actor="system",
                         target=f"report:{report['id']}")
            return None
        expires = now + timedelta(days=days)
        db.execute("INSERT INTO hearing_codes (report_id, code_hash, created_at, expires_at) "
                   "VALUES (?, ?, ?, ?)", [report["id"], code_hash(key, code),
                                           now.isoformat(), expires.isoformat()])
        audit.record(db, "hearing_back.issued", at=now, actor=f"kiosk: {report['kiosk']}",
                     target=f"report:{report['id']}",
                     detail={"expires_at": expires.isoformat()})
    return code


def heard(db, row):
    """What the pupil hears now: the DSL's choice; "read" once the case is closed or
    merged without one (an adult has read it to do that); else "waiting"."""
    if row["choice"]:
        return row["choice"]
    report = get_report(db, row["report_id"])
    if report["status"] == "merged" and report["merged_into"]:
        into = _row(db, report["merged_into"])
        if into is not None and into["choice"]:
            return into["choice"]
    return "read" if report["status"] in ("closed", "merged") else "waiting"


def _answer(db, kiosk_key, code, now, rule):
    """(status, seconds to wait, the code's row or None); a wrong code is counted."""
    wait = throttle.wait_seconds(db, SCOPE, kiosk_key, rule, now)
    if wait:
        return "locked", wait, None  # not even looked up: a right code waits too
    row = _find(db, code_hash(code_key(audit.current_key(db)), code), now)
    if row is not None:
        # A right code does not forget the kiosk's wrong ones: anyone with a code of
        # their own could otherwise keep guessing other pupils'.
        db.execute("UPDATE hearing_codes SET last_checked_at = ? WHERE report_id = ?",
                   [now.isoformat(), row["report_id"]])
        return heard(db, row), 0, row
    throttle.failed(db, SCOPE, kiosk_key, rule, now)
    wait = throttle.wait_seconds(db, SCOPE, kiosk_key, rule, now)
    return ("locked" if wait else "unknown"), wait, None


def check(db, kiosk, code, now, rule):
    """(status, seconds to wait) for a code pressed at a kiosk: read, talk, waiting,
    unknown, or locked after too many wrong codes there. Audited, without the code."""
    with writing(db):
        status, wait, row = _answer(db, str(kiosk["id"]), code, now, rule)
        seconds = math.ceil(wait)
        detail = {"kiosk": kiosk["name"], "result": status}
        if seconds:
            detail["locked_seconds"] = seconds
        audit.record(db, "hearing_back.checked", at=now, actor=f"kiosk: {kiosk['name']}",
                     target=f"report:{row['report_id']}" if row else "", detail=detail)
    return status, seconds


def choose(db, report_id, user, now, choice):
    """The DSL chooses what the pupil hears: a case entry, mirrored for the kiosk."""
    with writing(db):
        report = _open_case(db, report_id)
        if user["role"] not in READER_ROLES:
            raise CaseError("Only the DSL team or the head teacher can choose what the "
                            "pupil hears.", 403)
        _acknowledge_first(report)
        words = content.catalogue().words
        if choice not in CHOICES:
            raise CaseError("Choose what the pupil hears: "
                            + " or ".join(f"\u201c{words[c].text}\u201d" for c in CHOICES))
        row = _row(db, report_id)
        if row is None:
            raise CaseError("This report has no picture code, so there is nothing for the "
                            "pupil to hear.", 409)
        if not _live(row, now):
            raise CaseError("The pupil's pictures have expired: no kiosk can say it now.", 409)
        if row["choice"] == choice:
            raise CaseError("The pupil already hears that.", 409)
        entry_id, notification = _add(db, report, KIND, user, now, {
            "choice": choice, "heard": words[choice].text, "before": row["choice"]})
        db.execute("UPDATE hearing_codes SET choice = ?, choice_entry = ? WHERE report_id = ?",
                   [choice, entry_id, report_id])
        return entry_id, notification


def state(db, report_id, now):
    """What the case page shows: whether a code was given, until when, and the choice
    (never the code); None when the report has none."""
    row = _row(db, report_id)
    if row is None:
        return None
    return {"issued_at": row["created_at"], "expires_at": row["expires_at"],
            "expired": not _live(row, now), "choice": row["choice"],
            "heard": heard(db, row), "last_checked_at": row["last_checked_at"]}


@describes(KIND)
def _describe(detail):
    title = f"Pupil will hear at a kiosk: \u201c{detail.get('heard', '')}\u201d"
    before = detail.get("before")
    was = {"read": "that an adult has read it", "talk": "that an adult would like to talk"}
    text = ("What any kiosk says when the pupil presses their pictures. "
            + (f"Before this, they heard {was.get(before, before)}." if before
               else "Before this, they heard \u201cNot yet\u201d."))
    return title, text
