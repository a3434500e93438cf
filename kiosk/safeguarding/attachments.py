"""Staff attachments to a case: stored by content hash under the instance folder.

Policy 003 asks for screen grabs of what happened "unless this consists of content which
could be deemed illegal, such as indecent images of children", so only PDF, PNG, JPEG
and plain text are taken, each judged by its bytes (never its name or the browser's
word), and a picture only once the uploader has confirmed it is not such an image. The
file lives in the instance folder under its SHA-256; the database keeps the hash, name,
type, size, who and when, as a case entry and a row for listing.
"""
import contextlib
import hashlib
import os
import re
from pathlib import Path

from .cases import CaseError, _add, _open_case
from .chronology import describes

FOLDER = "attachments"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # the ATTACHMENT_MAX_BYTES setting, until it is one
TYPES = {"application/pdf": ("PDF document", (".pdf",)),
         "image/png": ("PNG picture", (".png",)),
         "image/jpeg": ("JPEG picture", (".jpg", ".jpeg")),
         "text/plain": ("Plain text", (".txt", ".text", ".log"))}
IMAGES = ("image/png", "image/jpeg")
INLINE = ("application/pdf",) + IMAGES  # shown in the browser; anything else is downloaded
# The law the school's policies cite (policy 004; policy 002 names s.160 as well).
LAW = ("Making, possessing or distributing an indecent image of anyone under 18 is a "
       "crime (Protection of Children Act 1978, section 1(1)(a), as amended by the Sexual "
       "Offences Act 2003; Criminal Justice Act 1988, section 160), even to keep it as "
       "evidence. Never upload one: tell the DSL, who follows the policy.")
CONFIRMATION = "I confirm this picture is not an indecent image of a child."
MARKUP = re.compile(rb"^\s*(<!doctype|<html|<head|<body|<script|<svg|<\?xml|<iframe)", re.I)
SAFE_NAME = re.compile(r"[^A-Za-z0-9 ._()-]+")
MAX_NAME = 100


def folder(instance_path):
    return Path(instance_path) / FOLDER


def path_for(instance_path, digest):
    return folder(instance_path) / digest[:2] / digest


def sniff(data):
    """The type the bytes really are, or None: magic numbers, and text that is text."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text) or MARKUP.match(data):
        return None  # binary, or a web page: never served as anything but what it is
    return "text/plain"


def clean_name(name):
    name = SAFE_NAME.sub("_", os.path.basename((name or "").replace("\\", "/"))).strip(" .")
    return name[-MAX_NAME:] or "attachment"


def check(name, data, max_bytes, confirmed):
    """(clean name, type) for an upload allowed as it is; CaseError saying why not."""
    if not data:
        raise CaseError("Choose a file to attach: the one sent was empty.")
    if len(data) > max_bytes:
        raise CaseError(f"That file is {len(data) // 1024} KB: attachments can be at most "
                        f"{max_bytes // 1024} KB.", 413)
    kind, name = sniff(data), clean_name(name)
    if kind is None:
        raise CaseError("Only PDF, PNG and JPEG files and plain text can be attached, and "
                        "this file is none of them (whatever its name says).", 415)
    if not name.lower().endswith(TYPES[kind][1]):
        raise CaseError(f"'{name}' is really a {TYPES[kind][0]} file, not what its name "
                        "says: it was not attached. Save it again with the right name.", 415)
    if kind in IMAGES and not confirmed:
        raise CaseError("Confirm that the picture is not an indecent image of a child "
                        "before attaching it. " + LAW)
    return name, kind


@contextlib.contextmanager
def kept_file(instance_path, data):
    """Write the file under its hash (yields the hash); if the block fails, a file this
    made is removed again, so a refused or failed upload leaves nothing behind."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(instance_path, digest)
    made = not target.exists()
    if made:
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(digest + ".part")
        with open(part, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, target)
    try:
        yield digest
    except BaseException:
        if made:
            target.unlink(missing_ok=True)
        raise


def add(db, report_id, user, now, name, kind, size, digest, confirmed):
    """The attachment's entry and row, in the caller's transaction: (entry id, notification)."""
    report = _open_case(db, report_id)
    detail = {"attachment_name": name, "type": kind, "size": size, "sha256": digest}
    if kind in IMAGES:
        detail["confirmed"] = CONFIRMATION if confirmed else ""
    entry_id, notification = _add(db, report, "attachment_added", user, now, detail)
    db["attachments"].insert({"report_id": report_id, "entry_id": entry_id, "sha256": digest,
                              "name": name, "type": kind, "size": size,
                              "by_user": user["id"], "at": now.isoformat()})
    return entry_id, notification


def for_case(db, report_id):
    return list(db.query("SELECT a.*, u.name AS by_name, u.email FROM attachments a "
                         "LEFT JOIN users u ON u.id = a.by_user WHERE a.report_id = ? "
                         "ORDER BY a.id", [report_id]))


def find(db, report_id, attachment_id):
    return next(db.query("SELECT * FROM attachments WHERE id = ? AND report_id = ?",
                         [attachment_id, report_id]), None)


def size_words(size):
    return f"{size} bytes" if size < 1024 else f"{size // 1024} KB"


@describes("attachment_added")
def _attachment_entry(d):
    text = (f"{TYPES.get(d.get('type'), ('File',))[0]}, {size_words(d.get('size', 0))}, "
            f"SHA-256 {d.get('sha256', '')}")
    if d.get("confirmed"):
        text += f". The uploader confirmed: \"{d['confirmed']}\""
    return f"Attachment added: {d.get('attachment_name', '')}", text
