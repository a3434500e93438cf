"""The audit key: a file in the instance folder, made on first start, never in the database.

The key signs every audit entry and checkpoint (HMAC-SHA256). It is readable by the
server's user only (0600), and `backup` leaves it out unless asked (`--with-key`), so a
copy of the database alone cannot be rewritten to fit. A log that began before the key
(an upgraded install) is anchored once, when the key is made: one signed entry that
follows the last unsigned one, which signs the whole earlier chain with it.
"""
import os
import secrets
import stat
from pathlib import Path

from ..db import get_db, writing
from . import chain

KEY_BYTES = 32


def key_path(config, instance_path):
    """Where the audit key lives: AUDIT_KEY_FILE, or `audit_key` in the instance folder."""
    return Path(config.get("AUDIT_KEY_FILE") or Path(instance_path) / chain.DEFAULT_KEY_FILE)


def load_or_make(path):
    """(the key, True when it was made now). A key file others may read is made private."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(0o600)  # the key must be the server's alone
        return read(path), False
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    return read(path), True


def read(path):
    """The key in a key file (hex), as bytes; ValueError when the file is not one."""
    text = Path(path).read_text().strip()
    key = bytes.fromhex(text)
    if len(key) < 16:
        raise ValueError(f"{path} is not an audit key (too short)")
    return key


def fingerprint(key):
    """A short name for a key, safe to print: it does not give the key away."""
    return chain.sign(key, "fingerprint")[:16]


def _anchor(db, key, now):
    """Sign an unsigned log once, when the key is first made (the upgrade in place)."""
    with writing(db):
        last = next(db.query("SELECT id, hash, mac FROM audit ORDER BY id DESC LIMIT 1"), None)
        if last is None or last["mac"]:
            return None
        legacy = chain.verify(db, key=key, unsigned_ok=True)  # as found, before signing it
        found = "intact" if legacy.ok else f"entry #{legacy.bad_id} {legacy.why}"
        # The anchor first: it must be the first signed entry; then the records are sealed.
        entry = chain.append(db, key, chain.entry(
            chain.ANCHOR, now, "system", detail={"unsigned_entries": last["id"],
                                                 "last_hash": last["hash"], "found": found}))
        chain.seal_pending(db, now, key)
        return entry


def init_app(app):
    """Load (or make) the key at start, and anchor a log that began before it."""
    key, made = load_or_make(key_path(app.config, app.instance_path))
    app.extensions[chain.KEY_EXTENSION] = key
    chain.register_key(app.config["DATABASE"], key)
    if made:
        with app.app_context():
            _anchor(get_db(), key, app.config["CLOCK"]())
