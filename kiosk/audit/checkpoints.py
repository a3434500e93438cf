"""Signed checkpoints: the newest audit entry's number and hash, signed with the audit key.

A checkpoint is kept three ways: in the database (audit_checkpoints), as a line in the
instance folder's `audit_checkpoints.txt`, and on paper or in the head's and DSL's email
(content-free). `audit verify` compares the log with the newest one it can find, so
removing the newest entries (and the checkpoints in the database with them) is named.
A printed checkpoint is one line of text that `audit verify --checkpoint` takes back.
"""
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from ..db import writing
from . import chain

FILE_NAME = "audit_checkpoints.txt"
LINE = re.compile(r"checkpoint (?P<entry_id>\d+) (?P<entry_hash>[0-9a-f]{64}) "
                  r"(?P<made_at>\S+) (?P<signature>[0-9a-f]{64})")


@dataclass(frozen=True)
class Checkpoint:
    entry_id: int
    entry_hash: str
    made_at: str
    signature: str
    found: str = ""  # what the full check said when it was made

    @property
    def line(self):
        """The one line to print, file or email, which `audit verify --checkpoint` reads."""
        return f"checkpoint {self.entry_id} {self.entry_hash} {self.made_at} {self.signature}"


def _signature(key, entry_id, entry_hash, made_at):
    return chain.sign(key, f"checkpoint:{entry_id}:{entry_hash}:{made_at}")


def genuine(key, checkpoint):
    """True when the key signed this checkpoint."""
    return hmac.compare_digest(checkpoint.signature, _signature(
        key, checkpoint.entry_id, checkpoint.entry_hash, checkpoint.made_at))


def parse(text):
    """A Checkpoint from its printed line; ValueError when it is not one."""
    found = LINE.search(text.strip())
    if not found:
        raise ValueError("not a checkpoint line: expected 'checkpoint NUMBER HASH TIME "
                         "SIGNATURE'")
    return Checkpoint(int(found["entry_id"]), found["entry_hash"], found["made_at"],
                      found["signature"])


def file_path(instance_path):
    return Path(instance_path) / FILE_NAME


def make(db, now, key, instance_path, found="intact"):
    """Seal what is pending, sign the newest entry, keep it in the database and the file."""
    made_at = now.isoformat()
    with writing(db):
        chain.seal_pending(db, now, key)
        last = next(db.query("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1"), None)
        if last is None:  # an empty log: sign an entry saying so, so there is one to sign
            last = chain.record(db, "audit.started", at=now, actor="system", key=key)
        checkpoint = Checkpoint(last["id"], last["hash"], made_at,
                                _signature(key, last["id"], last["hash"], made_at), found)
        db.execute("INSERT INTO audit_checkpoints (made_at, entry_id, entry_hash, signature, "
                   "found) VALUES (?, ?, ?, ?, ?)", [made_at, checkpoint.entry_id,
                                                     checkpoint.entry_hash,
                                                     checkpoint.signature, found])
        checkpoint_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    with open(file_path(instance_path), "a", encoding="utf-8") as handle:
        handle.write(checkpoint.line + "\n")
    return checkpoint_id, checkpoint


def stored(db, limit=None):
    """Checkpoints in the database, newest first: (id, Checkpoint, emailed_at, email note)."""
    sql = "SELECT * FROM audit_checkpoints ORDER BY id DESC" + (" LIMIT ?" if limit else "")
    return [(row["id"], Checkpoint(row["entry_id"], row["entry_hash"], row["made_at"],
                                   row["signature"], row["found"]))
            for row in db.query(sql, [limit] if limit else [])]


def from_file(instance_path):
    """Checkpoints in the instance folder's file (kept should the database lose them)."""
    path = file_path(instance_path)
    if not path.exists():
        return []
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            found.append(parse(line))
        except ValueError:
            continue  # a damaged line proves nothing either way
    return found


def known(db, key, instance_path, extra=()):
    """Every genuine checkpoint from the database, the file and any given; (genuine, forged)."""
    candidates = [c for _, c in stored(db)] + from_file(instance_path) + list(extra)
    good, forged = {}, []
    for checkpoint in candidates:
        if genuine(key, checkpoint):
            good[checkpoint.line] = checkpoint
        else:
            forged.append(checkpoint)
    return list(good.values()), forged


def latest(db):
    """The newest checkpoint in the database, or None."""
    found = stored(db, limit=1)
    return found[0][1] if found else None
