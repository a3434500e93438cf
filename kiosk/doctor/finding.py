"""What a check found, and the small helpers the checks share (settings rows, times, sizes)."""
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..accounts.users import ROLE_NAMES

COMMAND = "flask --app kiosk doctor"
MiB = 1024 * 1024

TITLES = {
    "dsl": ROLE_NAMES["dsl"], "deputy": ROLE_NAMES["deputy"], "head": ROLE_NAMES["head"],
    "email": "Email (SMTP)", "address": "The address kiosks use (BASE_URL)",
    "listen": "Where the server listens", "kiosk": "Kiosks", "staff_pin": "Staff PIN",
    "backup": "Backup", "disk": "Disk space",
}


@dataclass(frozen=True)
class Finding:
    """One link in the chain: ok, or the problem and the exact fix."""
    key: str
    ok: bool
    problem: str = ""
    fix: str = ""
    found: str = ""  # what was checked and found, shown beside OK

    @property
    def title(self):
        return TITLES.get(self.key, self.key)


def gap(key, problem, fix):
    """A finding for a missing or broken link."""
    return Finding(key, False, problem, fix)


def get_setting(db, key):
    """A JSON value from the settings table, or None."""
    row = next(db.query("SELECT value FROM settings WHERE key = ?", [key]), None)
    return json.loads(row["value"]) if row else None


def put_setting(db, key, value):
    """Store a JSON value in the settings table (inside the caller's transaction)."""
    db["settings"].upsert({"key": key, "value": json.dumps(value)}, pk="key")


def when(config, moment):
    """A time as a person in the school reads it, e.g. "Wed 18 Nov 2026 10:30"."""
    school = ZoneInfo(config["SCHOOL_DAY"]["timezone"])
    return moment.astimezone(school).strftime("%a %d %b %Y %H:%M")


def size(count):
    """A number of bytes as people say it: "3.2 GB"."""
    for unit, scale in (("GB", 1024 ** 3), ("MB", MiB), ("KB", 1024)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"
