"""Growing delays after repeated failures, counted per key (an account, an address, both).

Nothing is ever locked: after `free` failures each further try must wait, twice as long
each time up to `longest_seconds`, so guessing stays slow while the owner of a key can
always try again soon. A key's failures are forgotten `forget_hours` after its last one.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Rule:
    free: int                 # failures before any delay
    longest_seconds: float    # the delay never grows past this
    first_seconds: float = 1  # the first delay; each failure after doubles it
    forget_hours: float = 24

    def delay(self, failures):
        """Seconds a key with this many failures waits after its last one."""
        if failures < self.free:
            return 0
        return min(self.longest_seconds, self.first_seconds * 2 ** (failures - self.free))


def _row(db, scope, key):
    return next(db.query("SELECT * FROM login_throttle WHERE scope = ? AND key = ?",
                         [scope, key]), None)


def _failures(row, rule, now):
    """The failures still remembered for a key (0 once forgotten)."""
    if row is None:
        return 0
    last = datetime.fromisoformat(row["last_failed"])
    return 0 if now - last > timedelta(hours=rule.forget_hours) else row["failures"]


def wait_seconds(db, scope, key, rule, now):
    """Seconds until this key may try again (0: now)."""
    row = _row(db, scope, key)
    failures = _failures(row, rule, now)
    if not failures:
        return 0
    ready = datetime.fromisoformat(row["last_failed"]) + timedelta(seconds=rule.delay(failures))
    return max(0.0, (ready - now).total_seconds())


def failed(db, scope, key, rule, now):
    """Count one failure (in the caller's transaction); returns the failures remembered."""
    failures = _failures(_row(db, scope, key), rule, now) + 1
    db.execute("INSERT INTO login_throttle (scope, key, failures, last_failed) "
               "VALUES (?, ?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET "
               "failures = excluded.failures, last_failed = excluded.last_failed",
               [scope, key, failures, now.isoformat()])
    return failures


def forget(db, scope, key):
    """Forget one key's failures (a success from it)."""
    db.execute("DELETE FROM login_throttle WHERE scope = ? AND key = ?", [scope, key])


def like_prefix(text):
    """A LIKE pattern matching keys that start with `text` exactly."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
