"""The audit log: who did what, when, and a seal on every stored record. Append-only,
chained by hashes and keyed.

Each entry's `hash` covers its own fields and the previous entry's hash (SHA-256), so
changing, removing or inserting an entry breaks every hash after it. Each entry's `mac`
signs its number and hash with the audit key (HMAC-SHA256), a file in the instance
folder that the database never holds: someone who recomputes the hashes without the key
cannot make the signatures fit. Every stored report, case entry, decision, pupil and
"Get an adult" is sealed into the chain (`seal_pending`): its content hash is kept in
`audit_seals`, listed by a `record.sealed` entry, so a record changed afterwards no
longer fits its seal. Checkpoints (audit_checkpoints.py) sign the newest entry, so a
removed tail is found too. `verify` names what it finds.
"""
import hashlib
import hmac
import json
from dataclasses import dataclass, field

import os

from flask import current_app, has_app_context

from ..db import writing

GENESIS = "0" * 64
FIELDS = ("at", "user_id", "actor", "role", "action", "target", "detail", "ip")
KEY_EXTENSION = "kiosk.audit_key"
DEFAULT_KEY_FILE = "audit_key"  # in the instance folder, beside the database
ANCHOR = "audit.keyed"  # the first signed entry of a log that began before the key
SEALED_ACTION = "record.sealed"
SEAL_BATCH = 1000  # records listed by one seal entry
# What the chain seals: each table's columns that never change once stored (the case
# state mirrored on reports, such as status and owner, moves on and is not sealed).
SEALED = {
    "reports": ("id", "client_id", "created_at", "source", "kiosk", "kiosk_id", "language",
                "urgency", "reasons", "due_at", "choices", "categories", "words",
                "words_source", "name", "reported_by", "happened"),
    "report_events": ("id", "report_id", "at", "kind", "by_user", "detail", "corrects"),
    "pupils": ("id", "name", "year_group", "created_at", "created_by"),
    "help_requests": ("id", "kiosk_id", "kiosk", "place", "at"),
    "help_events": ("id", "help_id", "at", "kind", "by_user", "detail"),
    # A pupil's details as the school's MIS import changed them, field by field.
    "pupil_changes": ("id", "pupil_id", "at", "by_user", "actor", "source", "field", "old",
                      "new"),
}
# Columns added to a sealed table after records were first sealed, with the value every
# earlier record has: a column still at that value is left out of the hash, so records
# sealed before it existed keep fitting their seals, and a later change is still seen.
SEALED_ADDED = {"reports": {"about": "", "referral_criteria": ""}}
RECORD_NAMES = {"reports": "report", "report_events": "case entry", "pupils": "pupil",
                "help_requests": "help request", "help_events": "help request entry",
                "pupil_changes": "pupil change"}
SEALED_UP_TO = "audit.sealed_up_to."  # settings key prefix: the newest id sealed per table


def _body(entry):
    return json.dumps([entry[f] for f in FIELDS], separators=(",", ":"), ensure_ascii=False)


def _digest(prev_hash, entry):
    """The unkeyed link: SHA-256 of the previous hash and the entry's fields."""
    return hashlib.sha256((prev_hash + _body(entry)).encode()).hexdigest()


def sign(key, text):
    """HMAC-SHA256 of text under the audit key, as hex."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _mac(key, prev_signature, entry):
    """The key's signature on one entry: its fields and the signature before it, so a
    changed entry, or one removed before it, no longer fits (and nothing else does)."""
    return sign(key, f"entry:{prev_signature}:{_body(entry)}")


def _signature_of(row):
    """What the next entry's signature follows: this one's, or an unsigned one's hash."""
    return (row["mac"] or row["hash"]) if row else GENESIS


_KEYS = {}  # database file -> its audit key, for writers outside an app context


def register_key(database, key):
    """Remember the key for a database file (threads with their own connection use it)."""
    _KEYS[os.path.realpath(str(database))] = key


def current_key(db=None):
    """The running app's audit key (loaded at start by keys.init_app), or the key
    registered for the connection's database file."""
    if has_app_context() and KEY_EXTENSION in current_app.extensions:
        return current_app.extensions[KEY_EXTENSION]
    path = getattr(db, "opened_as", None)
    if path and os.path.realpath(path) in _KEYS:
        return _KEYS[os.path.realpath(path)]
    # A bare connection in a process with no app (a script): the key in its default
    # place beside the database, if the app has made it there.
    beside = os.path.join(os.path.dirname(os.path.realpath(path or ".")), DEFAULT_KEY_FILE)
    if path and os.path.exists(beside):
        with open(beside, encoding="utf-8") as handle:
            register_key(path, bytes.fromhex(handle.read().strip()))
        return _KEYS[os.path.realpath(path)]
    raise RuntimeError("no audit key loaded for this database: create the app first")


def sealed_columns(table):
    """The columns read to seal a table's records: the first ones, then any added since."""
    return tuple(SEALED[table]) + tuple(SEALED_ADDED.get(table, {}))


def content_hash(table, row):
    """SHA-256 of a record's fixed columns, the seal it must keep fitting."""
    values = [row[c] for c in SEALED[table]]
    for column, default in SEALED_ADDED.get(table, {}).items():
        if row.get(column, default) != default:
            values.append([column, row[column]])
    body = json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{table}:{body}".encode()).hexdigest()


def _seal_digest(table, seals):
    """One hash over a seal entry's list of (id, content hash)."""
    text = "".join(f"{row_id}:{sha}\n" for row_id, sha in seals)
    return hashlib.sha256(f"{table}\n{text}".encode()).hexdigest()


def append(db, key, fields):
    """Write one entry after the newest, hashed and signed (caller holds the lock)."""
    last = next(db.query("SELECT id, hash, mac FROM audit ORDER BY id DESC LIMIT 1"), None)
    prev_hash = last["hash"] if last else GENESIS
    entry_id = (last["id"] if last else 0) + 1
    fields.update(id=entry_id, prev_hash=prev_hash, hash=_digest(prev_hash, fields))
    fields["mac"] = _mac(key, _signature_of(last), fields)
    columns = ("id", *FIELDS, "prev_hash", "hash", "mac")
    db.execute(f"INSERT INTO audit ({', '.join(columns)}) VALUES "
               f"({', '.join('?' * len(columns))})", [fields[c] for c in columns])
    return fields


def entry(action, at, actor, user_id=None, role="", target="", detail=None, ip=""):
    """An entry's fields, before it is hashed and signed."""
    return {"at": at.isoformat() if hasattr(at, "isoformat") else at, "user_id": user_id,
            "actor": actor, "role": role, "action": action, "target": str(target),
            "detail": json.dumps(detail or {}, sort_keys=True), "ip": ip or ""}


def record(db, action, *, at, actor, user_id=None, role="", target="", detail=None, ip="",
           key=None):
    """Append one entry (inside the caller's transaction when there is one), after
    sealing every record stored since the last seal."""
    key = key or current_key(db)
    with writing(db):
        seal_pending(db, at, key)
        return append(db, key, entry(action, at, actor, user_id, role, target, detail, ip))


def _sealed_up_to(db, table):
    row = next(db.query("SELECT value FROM settings WHERE key = ?", [SEALED_UP_TO + table]),
               None)
    return int(row["value"]) if row else 0


def seal_pending(db, at, key=None):
    """Seal every record stored since the last seal; how many were sealed."""
    key = key or current_key(db)
    sealed = 0
    with writing(db):
        for table in SEALED:
            columns = sealed_columns(table)
            while True:
                after = _sealed_up_to(db, table)
                rows = list(db.query(f"SELECT {', '.join(columns)} FROM {table} WHERE id > ? "
                                     "ORDER BY id LIMIT ?", [after, SEAL_BATCH]))
                if not rows:
                    break
                seals = [(row["id"], content_hash(table, row)) for row in rows]
                listed = append(db, key, entry(SEALED_ACTION, at, "system", target=table,
                                                detail={"table": table, "first": seals[0][0],
                                                        "last": seals[-1][0],
                                                        "count": len(seals),
                                                        "digest": _seal_digest(table, seals)}))
                db.conn.executemany(
                    "INSERT INTO audit_seals (audit_id, table_name, row_id, sha256) "
                    "VALUES (?, ?, ?, ?)", [(listed["id"], table, i, s) for i, s in seals])
                db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                           [SEALED_UP_TO + table, str(seals[-1][0])])
                sealed += len(seals)
    return sealed


# -- checking -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Verdict:
    checked: int
    bad_id: int | None = None  # the first entry that does not fit the chain
    why: str = ""
    problems: tuple = ()  # every (entry id, why) found, the first one first
    records: int = 0  # sealed records compared with what is stored now
    since: int = 0  # the checkpoint entry the check started from (0: the start)
    checkpoint: object = None  # the checkpoint compared against, if any

    @property
    def ok(self):
        return self.bad_id is None


ORDER = ("chain", "key", "checkpoint", "record")  # how problems are listed


@dataclass
class _Walk:
    found: dict = field(default_factory=lambda: {kind: [] for kind in ORDER})
    walked: list = field(default_factory=list)  # the ids of the entries walked

    def bad(self, entry_id, why, kind="chain"):
        self.found[kind].append((entry_id, why))

    @property
    def problems(self):
        """Broken links first (what a plain hash check finds), then signatures,
        checkpoints and records."""
        return [problem for kind in ORDER for problem in self.found[kind]]

    @property
    def first_bad(self):
        problems = self.problems
        return problems[0][0] if problems else None

    @property
    def checked(self):
        """Entries that fit, before the first that does not."""
        first = self.first_bad
        return len(self.walked) if first is None else sum(1 for i in self.walked if i < first)


def _walk_chain(db, key, walk, after=0, prev_hash=GENESIS, unsigned_ok=False):
    """Every entry after `after`: numbered in turn, linked, unchanged and signed."""
    expected_id, keyed_seen, legacy_seen, last_id = after + 1 if after else None, False, False, after
    start = next(db.query("SELECT hash, mac FROM audit WHERE id = ?", [after]), None)
    prev_signature = _signature_of(start)
    keyed_seen = bool(start and start["mac"])
    for row in db.query("SELECT * FROM audit WHERE id > ? ORDER BY id", [after]):
        entry_id, fits = row["id"], True
        if expected_id is not None and entry_id != expected_id:
            gap = (f"#{expected_id}" if entry_id - expected_id == 1
                   else f"#{expected_id} to #{entry_id - 1}")
            walk.bad(expected_id, f"is missing: the entry before it was #{expected_id - 1} "
                                  f"and the next is #{entry_id} ({gap} removed)")
            fits = False
        if row["prev_hash"] != prev_hash:
            if fits:
                walk.bad(entry_id, "does not follow the entry before it "
                                   "(an entry was removed or inserted)")
            fits = False
        if _digest(row["prev_hash"], row) != row["hash"]:
            walk.bad(entry_id, "was changed after it was written")
            fits = False
        if not row["mac"]:
            legacy_seen = True
            if keyed_seen:
                walk.bad(entry_id, "is not signed with the audit key although the entries "
                                   "before it are: it was written or rewritten without the key",
                         "key")
        else:
            if legacy_seen and not keyed_seen and row["action"] != ANCHOR:
                walk.bad(entry_id, "is the first signed entry but not the key's anchor", "key")
            keyed_seen = True
            if not hmac.compare_digest(row["mac"], _mac(key, prev_signature, row)):
                walk.bad(entry_id, "does not fit its signature: it was changed, or an entry "
                                   "just before it removed, and the hashes recomputed without "
                                   "the audit key", "key")
        walk.walked.append(entry_id)
        prev_hash, expected_id, last_id = row["hash"], entry_id + 1, entry_id
        prev_signature = _signature_of(row)
    if legacy_seen and not keyed_seen and not unsigned_ok:
        walk.bad(last_id, "ends a log where no entry is signed with the audit key: the "
                          "log was rewritten without the key", "key")
    return last_id


def _check_seals(db, walk, after=0):
    """Each record sealed after entry `after` against what the database holds now."""
    count = 0
    for entry in db.query("SELECT id, detail FROM audit WHERE action = ? AND id > ? "
                          "ORDER BY id", [SEALED_ACTION, after]):
        detail = json.loads(entry["detail"])
        table = detail.get("table")
        if table not in SEALED:
            walk.bad(entry["id"], f"seals an unknown table {table!r}", "record")
            continue
        seals = [(r["row_id"], r["sha256"]) for r in db.query(
            "SELECT row_id, sha256 FROM audit_seals WHERE audit_id = ? ORDER BY row_id",
            [entry["id"]])]
        if _seal_digest(table, seals) != detail.get("digest"):
            walk.bad(entry["id"], f"lists {table} records whose seals were changed or removed",
                     "record")
            continue
        count += _compare_records(db, walk, entry["id"], table, detail, dict(seals))
    return count


def _compare_records(db, walk, entry_id, table, detail, seals):
    """Records first..last of one seal entry: none changed, removed or slipped in."""
    name = RECORD_NAMES[table]
    stored = {row["id"]: row for row in db.query(
        f"SELECT {', '.join(sealed_columns(table))} FROM {table} WHERE id BETWEEN ? AND ?",
        [detail["first"], detail["last"]])}
    for row_id, sha in seals.items():
        row = stored.get(row_id)
        if row is None:
            walk.bad(entry_id, f"sealed {name} #{row_id}, which has been deleted", "record")
        elif content_hash(table, row) != sha:
            walk.bad(entry_id, f"sealed {name} #{row_id}, which has been changed since "
                               "it was stored", "record")
    for row_id in sorted(set(stored) - set(seals)):
        walk.bad(entry_id, f"does not seal {name} #{row_id}, which was put into the "
                           "record afterwards", "record")
    return len(seals)


def verify(db, key=None, checkpoints=(), full=True, unsigned_ok=False):
    """Check the chain, its signatures and the sealed records; name what does not fit.

    checkpoints: signed (entry id, hash) pairs known to be good (audit_checkpoints.py).
    full=False starts from the newest of them that the log still holds, and compares only
    the records sealed since (the checkpoint was made after a full check)."""
    key = key or current_key(db)
    walk = _Walk()
    latest = max(checkpoints, key=lambda c: c.entry_id, default=None)
    after, prev_hash = 0, GENESIS
    if not full and latest is not None:
        row = next(db.query("SELECT hash FROM audit WHERE id = ?", [latest.entry_id]), None)
        if row is not None and row["hash"] == latest.entry_hash:
            after, prev_hash = latest.entry_id, latest.entry_hash
    last_id = _walk_chain(db, key, walk, after, prev_hash, unsigned_ok)
    for checkpoint in sorted(checkpoints, key=lambda c: c.entry_id):
        _against_checkpoint(db, walk, checkpoint, last_id)
    records = _check_seals(db, walk, after)
    problems = walk.problems
    return Verdict(walk.checked, walk.first_bad, problems[0][1] if problems else "",
                   tuple(problems), records, after, latest)


def _against_checkpoint(db, walk, checkpoint, last_id):
    """The log still holds the entry a checkpoint signed, with the hash it signed."""
    row = next(db.query("SELECT hash FROM audit WHERE id = ?", [checkpoint.entry_id]), None)
    if row is not None and row["hash"] == checkpoint.entry_hash:
        return
    if last_id < checkpoint.entry_id:
        walk.bad(last_id + 1, f"to #{checkpoint.entry_id} are missing: the log ends at "
                              f"#{last_id}, but the checkpoint of {checkpoint.made_at} signed "
                              f"entry #{checkpoint.entry_id} (the newest entries were removed)",
                 "checkpoint")
    else:
        walk.bad(checkpoint.entry_id, f"is not the entry the checkpoint of "
                                      f"{checkpoint.made_at} signed: its hash differs",
                 "checkpoint")


def entries(db, limit=200, before=None, target=None):
    """Newest first, for the audit page."""
    where, args = [], []
    if before:
        where.append("id < ?"), args.append(int(before))
    if target:
        where.append("target = ?"), args.append(target)
    sql = "SELECT * FROM audit" + (" WHERE " + " AND ".join(where) if where else "")
    return list(db.query(sql + " ORDER BY id DESC LIMIT ?", args + [limit]))
