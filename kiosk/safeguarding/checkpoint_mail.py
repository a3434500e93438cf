"""Daily signed checkpoints of the audit log, emailed to the head and the DSL.

Each run seals the records stored since the last seal; once a day (AUDIT_CHECKPOINT_HOURS)
it checks the whole log, signs its newest entry (kiosk/audit/checkpoints.py) and emails
the line to every active head and DSL account. The email says nothing about any report:
an entry number, two hashes and a time. Without email set up the checkpoint is still
made, kept and shown on the Checkpoints page for the DSL to print and file; an email that
could not be sent is tried again on the next run until it goes.
"""
import json
from datetime import datetime, timedelta

from .. import audit
from ..audit import checkpoints
from ..db import writing
from ..mailer import Mailer
from ..ticker import Ticker
from .outbox import accounts

ROLES = ("head", "dsl")
EMAILED = "audit.checkpoint_emailed"
NOT_EMAILED = "audit.checkpoint_not_emailed"


def make(db, now, config, instance_path):
    """Check the whole log, then sign and keep a checkpoint; the Checkpoint made."""
    verdict = audit.verify(db, full=True, instance_path=instance_path)
    found = "intact" if verdict.ok else (f"{len(verdict.problems)} problem(s), the first: "
                                         f"entry #{verdict.bad_id} {verdict.why}")
    key = audit.current_key(db)
    checkpoint_id, made = checkpoints.make(db, now, key, instance_path, found)
    with writing(db):
        audit.record(db, "audit.checkpoint", at=now, actor="system",
                     target=f"checkpoint:{checkpoint_id}",
                     detail={"entry": made.entry_id, "hash": made.entry_hash, "found": found},
                     key=key)
    return made


def words(checkpoint, school):
    """(subject, body) of the checkpoint email: no report content, only the signed line."""
    state = "intact" if checkpoint.found == "intact" else "NOT INTACT: " + checkpoint.found
    subject = f"Audit checkpoint {checkpoint.made_at[:10]}: entry #{checkpoint.entry_id}"
    body = (f"The worry kiosk{' at ' + school if school else ''} signed its audit log.\n\n"
            f"Entry: #{checkpoint.entry_id}\nHash: {checkpoint.entry_hash}\n"
            f"Made at: {checkpoint.made_at}\nSignature: {checkpoint.signature}\n"
            f"The full check found the log {state}.\n\n"
            "Keep this email. To check the log against it later, on the server:\n"
            f"  flask --app kiosk audit verify --checkpoint \"{checkpoint.line}\"\n")
    return subject, body


def unsent(db):
    """Checkpoints whose email has not gone to everyone yet: (id, Checkpoint), oldest first."""
    sent = {row["target"] for row in db.query(
        "SELECT DISTINCT target FROM audit WHERE action = ?", [EMAILED])}
    return [(cid, c) for cid, c in reversed(checkpoints.stored(db, limit=30))
            if f"checkpoint:{cid}" not in sent]


def email(db, now, config):
    """Email each checkpoint not yet sent; record how it went. How many were sent."""
    people = accounts(db, ROLES)
    mailer = Mailer.from_config(config)
    done = 0
    for checkpoint_id, checkpoint in unsent(db):
        target = f"checkpoint:{checkpoint_id}"
        if mailer is None or not people:
            why = "email is not set up" if mailer is None else "no active head or DSL account"
            _note_once(db, now, target, why)
            continue
        subject, body = words(checkpoint, config.get("SCHOOL_NAME", ""))
        errors = mailer.deliver([mailer.message(p["email"], subject, body) for p in people])
        failed = sorted({error for error in errors if error})
        with writing(db):
            audit.record(db, NOT_EMAILED if failed else EMAILED, at=now, actor="system",
                         target=target, detail={"to": [p["email"] for p in people],
                                                "errors": failed})
        done += not failed
    return done


def _note_once(db, now, target, why):
    """Say once per checkpoint why it was not emailed (shown on the Checkpoints page)."""
    noted = next(db.query("SELECT 1 FROM audit WHERE action = ? AND target = ? LIMIT 1",
                          [NOT_EMAILED, target]), None)
    if noted is None:
        with writing(db):
            audit.record(db, NOT_EMAILED, at=now, actor="system", target=target,
                         detail={"why": why})


def due(db, now, hours):
    """True when the newest checkpoint is older than `hours` (or there is none)."""
    newest = checkpoints.latest(db)
    return newest is None or datetime.fromisoformat(newest.made_at) <= now - timedelta(
        hours=hours)


def run(db, now, config, instance_path):
    """One run of the job: seal what is pending; the daily checkpoint when due; its email."""
    with writing(db):
        audit.seal_pending(db, now)
    made = None
    if due(db, now, config["AUDIT_CHECKPOINT_HOURS"]):
        made = make(db, now, config, instance_path)
    email(db, now, config)
    return made


def email_state(db, checkpoint_id):
    """How a checkpoint's email went, in words, for the Checkpoints page."""
    rows = list(db.query("SELECT action, detail FROM audit WHERE target = ? AND action IN "
                         "(?, ?) ORDER BY id DESC LIMIT 1",
                         [f"checkpoint:{checkpoint_id}", EMAILED, NOT_EMAILED]))
    if not rows:
        return "not emailed yet"
    detail = json.loads(rows[0]["detail"])
    if rows[0]["action"] == EMAILED:
        return "emailed to " + ", ".join(detail.get("to", []))
    return "not emailed: " + (detail.get("why") or "; ".join(detail.get("errors", [])))


def ticker(app, interval=None):
    """The job every AUDIT_SEAL_SECONDS: seals, and the checkpoint once a day."""
    def job(db):
        run(db, app.config["CLOCK"](), app.config, app.instance_path)
    return Ticker(app, "audit checkpoints", interval or app.config["AUDIT_SEAL_SECONDS"], job)


def start(app):
    """Start sealing and checkpointing in the background; returns the Ticker."""
    return ticker(app).start()
