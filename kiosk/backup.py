"""Encrypted backups of the database: online copies, rotated, and restores checked first.

A copy is taken with SQLite's backup API into memory, so it is consistent while reports
are being stored, and is encrypted before it touches the disk: the database holds every
report and every authenticator key, and no copy of them sits in clear. The key is a file
of its own (`backup.key` in the instance folder) that IT keeps somewhere apart from the
copies; without it a copy is unreadable, so a lost key means lost backups.

The file format: MAGIC, the key's id, a random nonce prefix, then chunks each sealed by
AES-GCM with its number and whether it is the last in the nonce, so a chunk changed,
moved, dropped or cut off is found before anything is read from it.

What is sealed is the database alone, or (once a case has attachments) a bundle: BUNDLE,
the database's length and bytes, then each attachment file as its SHA-256, length and
bytes. A restore checks every file against its hash and that every attachment the
database lists has its file, then puts the files back beside the database.
"""
import base64
import hashlib
import os
import re
import secrets
import sqlite3
import struct
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlite_utils
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import audit

MAGIC = b"KIOSKBK1"
KEY_ID_BYTES = 8
PREFIX_BYTES = 7              # + 4 bytes of chunk number + 1 byte "last" = a 12-byte nonce
CHUNK = 1 << 20               # plaintext bytes in one sealed chunk
TAG_BYTES = 16
NAME = re.compile(r"^kiosk-(\d{4}-\d{2}-\d{2})-(\d{6})\.backup$")  # the scheduled copies
BUNDLE = b"KIOSKBA1"          # a database with its attachment files
ATTACHMENTS = "attachments"   # the instance folder's files of kiosk/safeguarding/attachments.py
HASH_BYTES = 32


class BackupError(Exception):
    """A backup that cannot be made, read or restored; the message says why and what to do."""


# The key --------------------------------------------------------------------------------

def ensure_key(path):
    """The backup key at `path`, made (readable by its owner only) the first time."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return load_key(path)  # another process made it a moment ago
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() + "\n")
    return load_key(path)


def load_key(path):
    """The 32-byte key kept in `path`; a clear error when it is missing or not a key."""
    path = Path(path)
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        raise BackupError(f"there is no backup key at {path}: restore needs the key the "
                          "backup was made with (--key FILE)") from None
    try:
        key = base64.urlsafe_b64decode(text.encode())
    except (ValueError, TypeError):
        key = b""
    if len(key) != 32:
        raise BackupError(f"{path} is not a backup key (expected 32 bytes, base64)")
    return key


def key_id(key):
    """A short public name for a key, so a backup can say which key it needs."""
    return hashlib.sha256(b"kiosk backup key id" + key).digest()[:KEY_ID_BYTES]


# Sealing --------------------------------------------------------------------------------

def _nonce(prefix, number, last):
    return prefix + struct.pack(">IB", number, 1 if last else 0)


def seal(plain, key):
    """The encrypted file's bytes for `plain` (one chunk at least, even when empty)."""
    prefix = secrets.token_bytes(PREFIX_BYTES)
    header = MAGIC + key_id(key) + prefix
    cipher, parts = AESGCM(key), [header]
    starts = range(0, max(len(plain), 1), CHUNK)
    for number, start in enumerate(starts):
        last = number == len(starts) - 1
        parts.append(cipher.encrypt(_nonce(prefix, number, last),
                                    plain[start:start + CHUNK], header))
    return b"".join(parts)


def unseal(sealed, key):
    """The plaintext of an encrypted backup; BackupError when it is not one, was made with
    another key, or has been changed, cut short or damaged anywhere."""
    head = len(MAGIC) + KEY_ID_BYTES + PREFIX_BYTES
    if len(sealed) < head + TAG_BYTES or not sealed.startswith(MAGIC):
        raise BackupError("this is not an encrypted kiosk backup")
    header, body = sealed[:head], sealed[head:]
    made_with = header[len(MAGIC):len(MAGIC) + KEY_ID_BYTES]
    if made_with != key_id(key):
        raise BackupError(f"this backup was made with another key (key id {made_with.hex()}; "
                          f"the key given is {key_id(key).hex()}): use --key with the key "
                          "file kept when the backup was made")
    prefix, cipher, plain = header[-PREFIX_BYTES:], AESGCM(key), bytearray()
    step = CHUNK + TAG_BYTES
    for number, start in enumerate(range(0, len(body), step)):
        last = start + step >= len(body)
        try:
            plain += cipher.decrypt(_nonce(prefix, number, last), body[start:start + step],
                                    header)
        except InvalidTag:
            raise BackupError(f"this backup has been changed or damaged (part {number + 1} "
                              "does not match its seal): nothing was restored") from None
    return bytes(plain)


# Copies ---------------------------------------------------------------------------------

def snapshot(database):
    """The database's bytes, copied consistently while others write (SQLite's backup API)."""
    source = sqlite3.connect(database, timeout=30)
    memory = sqlite3.connect(":memory:")
    try:
        source.backup(memory)
        return memory.serialize()
    finally:
        memory.close()
        source.close()


def write_new(path, data):
    """Write a new file readable by its owner only, whole or not at all."""
    path = Path(path)
    part = path.with_name(path.name + ".part")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, path)  # a copy cut off by a crash never carries the final name
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return path.stat().st_size


def attachments_folder(database):
    """Where the attachment files are: the instance folder's, else beside the database."""
    from flask import current_app, has_app_context
    base = current_app.instance_path if has_app_context() else Path(database).parent
    return Path(base) / ATTACHMENTS


def _files(folder):
    """{hex digest: bytes} of the attachment files kept in `folder` (sharded by hash)."""
    found = {}
    for path in sorted(Path(folder).glob("??/*")):
        if path.is_file() and re.fullmatch(r"[0-9a-f]{64}", path.name):
            found[path.name] = path.read_bytes()
    return found


def bundle(database_bytes, files):
    """The plaintext of a backup: the database alone when there are no files."""
    if not files:
        return database_bytes
    parts = [BUNDLE, struct.pack(">Q", len(database_bytes)), database_bytes]
    for digest, data in sorted(files.items()):
        parts += [bytes.fromhex(digest), struct.pack(">Q", len(data)), data]
    return b"".join(parts)


def unbundle(plain):
    """(database bytes, {hex digest: bytes}); each file checked against its hash."""
    if not plain.startswith(BUNDLE):
        return plain, {}
    at = len(BUNDLE)
    (size,), at = struct.unpack(">Q", plain[at:at + 8]), at + 8
    database, at, files = plain[at:at + size], at + size, {}
    while at < len(plain):
        digest = plain[at:at + HASH_BYTES].hex()
        (size,) = struct.unpack(">Q", plain[at + HASH_BYTES:at + HASH_BYTES + 8])
        at += HASH_BYTES + 8
        data, at = plain[at:at + size], at + size
        if hashlib.sha256(data).hexdigest() != digest:
            raise BackupError(f"attachment {digest[:12]} in the backup does not match its "
                              "hash: nothing was restored")
        files[digest] = data
    return database, files


def make(database, target, key):
    """Take an encrypted backup of `database`, with its attachments, into the new file
    `target`; its size."""
    plain = bundle(snapshot(database), _files(attachments_folder(database)))
    return write_new(target, seal(plain, key))


# Checking and restoring -----------------------------------------------------------------

class Copy(sqlite3.Connection):
    """A backup open in memory, carrying the attachment files it holds."""
    attachments = {}


def opened(plain):
    """An in-memory database holding a backup's bytes (and its attachment files)."""
    plain, files = unbundle(plain)
    conn = sqlite3.connect(":memory:", factory=Copy)
    conn.attachments = files
    if plain[18:20] == b"\x02\x02":
        # A copy of a WAL database says so in its header, which a database in memory
        # cannot open: read it as the rollback-journal file it now is.
        plain = plain[:18] + b"\x01\x01" + plain[20:]
    try:
        conn.deserialize(plain)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise BackupError(f"the backup does not hold a database ({exc})") from None
    return conn


def check(conn, instance_path):
    """What a copy holds, once SQLite and the audit chain both find it whole:
    {"reports", "audit_entries"}; BackupError naming the fault otherwise."""
    found = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if found != ["ok"]:
        raise BackupError("the backup's database is damaged (integrity check: "
                          f"{'; '.join(found[:3])}): nothing was restored")
    db = sqlite_utils.Database(conn)
    if not db["audit"].exists() or not db["reports"].exists():
        raise BackupError("the backup is not a kiosk database (no reports or audit log)")
    verdict = audit_verdict(db, instance_path)
    if not verdict.ok:
        raise BackupError(f"the backup's audit log does not hold together: entry "
                          f"#{verdict.bad_id} {verdict.why}: nothing was restored")
    _check_files(conn, db)
    reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    return {"reports": reports, "audit_entries": verdict.checked}


def _check_files(conn, db):
    """Every attachment the copy lists has its file in the copy."""
    if not db["attachments"].exists():
        return
    held = getattr(conn, "attachments", {})
    for row in db.query("SELECT id, report_id, sha256 FROM attachments ORDER BY id"):
        if row["sha256"] not in held:
            raise BackupError(f"the backup lacks the file of attachment {row['id']} on case "
                              f"{row['report_id']}: nothing was restored")


def replace_contents(copy, database):
    """Make `database` hold exactly what `copy` holds, in one step that other connections
    see whole (SQLite's backup API into the live file; its WAL stays consistent)."""
    target = sqlite3.connect(database, timeout=30)
    try:
        copy.backup(target)
    finally:
        target.close()
    put_back_files(getattr(copy, "attachments", {}), attachments_folder(database))


def put_back_files(files, folder):
    """Write the backup's attachment files that the folder lacks, each whole or not at all.
    Files already there are the same bytes (named by their hash) and are left alone."""
    for digest, data in files.items():
        path = Path(folder) / digest[:2] / digest
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            write_new(path, data)


# The schedule ---------------------------------------------------------------------------

def scheduled_name(now):
    """The file name of a scheduled backup taken at `now` (UTC in the name)."""
    return f"kiosk-{now.astimezone(timezone.utc):%Y-%m-%d-%H%M%S}.backup"


def taken_at(path):
    """When a scheduled backup was taken, from its name; None for any other file."""
    found = NAME.match(Path(path).name)
    if found is None:
        return None
    return datetime.strptime("".join(found.groups()), "%Y-%m-%d%H%M%S").replace(
        tzinfo=timezone.utc)


def scheduled(folder):
    """[(taken at, path)] of the scheduled backups in `folder`, newest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(taken_at(path), path) for path in folder.iterdir()]
    return sorted(((at, path) for at, path in found if at is not None), reverse=True)


def due(folder, now, every_hours):
    """True when the newest scheduled backup is `every_hours` old, or there is none."""
    found = scheduled(folder)
    return not found or now - found[0][0] >= timedelta(hours=every_hours)


def keep(taken, daily, weekly):
    """Which of the times (newest first) to keep: the newest of each of the last `daily`
    days with a backup, and the newest of each of the last `weekly` ISO weeks."""
    kept, days, weeks = set(), [], []
    for at in taken:
        day, week = at.date(), at.isocalendar()[:2]
        if day not in days and len(days) < daily:
            days.append(day)
            kept.add(at)
        if week not in weeks and len(weeks) < weekly:
            weeks.append(week)
            kept.add(at)
    return kept


def rotate(folder, daily, weekly):
    """Delete scheduled backups the rotation no longer keeps; returns the paths deleted.
    Only files named as scheduled backups are ever touched."""
    found = scheduled(folder)
    kept = keep([at for at, _ in found], daily, weekly)
    gone = [path for at, path in found if at not in kept]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


def take_scheduled(database, folder, key, now, daily, weekly):
    """One scheduled backup into `folder`, then the rotation: (path, size, deleted)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / scheduled_name(now)
    size = make(database, path, key)
    return path, size, rotate(folder, daily, weekly)


def audit_verdict(db, instance_path):
    """The audit log check of a copy: the key's signatures, the copy's own checkpoints and
    the instance folder's checkpoints up to the copy's newest entry. Later checkpoints are
    the time the restore goes back before, so they are not held against it."""
    newest = next(db.query("SELECT max(id) AS id FROM audit"))["id"] or 0
    given = [c for c in audit.checkpoints.from_file(instance_path) if c.entry_id <= newest]
    with tempfile.TemporaryDirectory() as elsewhere:  # no instance file: only `given`
        return audit.verify(db, given=given, instance_path=elsewhere)
