"""The audit log: who did what, when. Append-only and chained by hashes.

Each entry's hash covers its own fields and the previous entry's hash, so changing,
removing or inserting an entry anywhere breaks every hash after it; `verify` finds the
first entry that no longer fits. The database refuses UPDATE and DELETE on the table
as well, so tampering needs deliberate work that the chain then exposes.
"""
import hashlib
import json
from dataclasses import dataclass

from .db import writing

GENESIS = "0" * 64
FIELDS = ("at", "user_id", "actor", "role", "action", "target", "detail", "ip")


def _digest(prev_hash, entry):
    body = json.dumps([entry[f] for f in FIELDS], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def record(db, action, *, at, actor, user_id=None, role="", target="", detail=None, ip=""):
    """Append one entry (inside the caller's transaction when there is one)."""
    entry = {"at": at.isoformat() if hasattr(at, "isoformat") else at, "user_id": user_id,
             "actor": actor, "role": role, "action": action, "target": str(target),
             "detail": json.dumps(detail or {}, sort_keys=True), "ip": ip or ""}
    with writing(db):
        last = next(db.query("SELECT hash FROM audit ORDER BY id DESC LIMIT 1"), None)
        prev_hash = last["hash"] if last else GENESIS
        entry.update(prev_hash=prev_hash, hash=_digest(prev_hash, entry))
        table = db["audit"]
        table.insert(entry)
        entry["id"] = table.last_pk
    return entry


@dataclass(frozen=True)
class Verdict:
    checked: int
    bad_id: int | None = None  # the first entry that does not fit the chain
    why: str = ""

    @property
    def ok(self):
        return self.bad_id is None


def verify(db):
    """Walk the chain from the start; the first entry that does not fit, and why."""
    prev_hash, expected_id, checked = GENESIS, None, 0
    for row in db.query("SELECT * FROM audit ORDER BY id"):
        if expected_id is not None and row["id"] != expected_id:
            return Verdict(checked, expected_id, "is missing: the entry before it was "
                           f"#{expected_id - 1} and the next is #{row['id']}")
        if row["prev_hash"] != prev_hash:
            return Verdict(checked, row["id"], "does not follow the entry before it "
                           "(an entry was removed or inserted)")
        if _digest(prev_hash, row) != row["hash"]:
            return Verdict(checked, row["id"], "was changed after it was written")
        prev_hash, expected_id, checked = row["hash"], row["id"] + 1, checked + 1
    return Verdict(checked)


def entries(db, limit=200, before=None, target=None):
    """Newest first, for the audit page."""
    where, args = [], []
    if before:
        where.append("id < ?"), args.append(int(before))
    if target:
        where.append("target = ?"), args.append(target)
    sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where else "")
    return list(db.query(sql + " ORDER BY id DESC LIMIT ?", args + [limit]))
