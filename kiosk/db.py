"""The database: sqlite-utils connections (one per request, reused after), schema by migrations."""
import contextlib
import json
import os
import sqlite3
import threading

import click
import sqlite_utils
from sqlite_utils.migrations import Migrations
from flask import current_app, g
from flask.cli import with_appcontext


# How long a write waits for the lock before it gives up: long enough that a burst of
# kiosks (or a backup, or a command line change) is waited out, not refused.
BUSY_SECONDS = 30
_write_locks = {}  # database file -> the lock this process's writers queue on
_write_locks_guard = threading.Lock()


def _write_lock(path):
    """The one lock per database file that this process's writers take in turn."""
    if path in ("", ":memory:"):
        return threading.RLock()  # a private database: nobody to queue with
    with _write_locks_guard:
        lock = _write_locks.get(path)
        if lock is None:  # the same file under another name shares the lock
            lock = _write_locks.setdefault(os.path.realpath(path), threading.RLock())
            _write_locks[path] = lock
        return lock


def connect(path):
    """Open the database the way every part of the app needs it."""
    path = str(path)
    conn = sqlite3.connect(path, timeout=BUSY_SECONDS, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.write_lock, db.opened_as = _write_lock(path), path
    db.enable_wal()
    db.file_identity = _file_identity(path)  # which file, should the name be reused later
    # FULL: a pupil is told "sent" only after the report survives a power cut.
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


@contextlib.contextmanager
def writing(db):
    """A transaction that takes the write lock at once (BEGIN IMMEDIATE).

    Reads inside it see the latest commit and no other writer can slip in between,
    which the audit chain and case checks ("is it closed?") rely on. Nested, it is a
    savepoint inside the caller's transaction."""
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    # Writers in this process queue on a lock and are woken the moment it is free;
    # SQLite's own busy wait polls with growing sleeps (up to 100 ms), which starves
    # some writers and idles the disk when many kiosks send at once. Other processes
    # (commands, backups) are still waited for by the busy timeout of BEGIN IMMEDIATE.
    lock = getattr(db, "write_lock", None)  # None: a connection not made by connect()
    if lock is not None and not lock.acquire(timeout=BUSY_SECONDS):
        raise sqlite3.OperationalError(f"database is locked: waited {BUSY_SECONDS} s")
    try:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.conn.execute("COMMIT")
        except BaseException:
            db.conn.rollback()  # a no-op when COMMIT itself already ended it
            raise
    finally:
        if lock is not None:
            lock.release()


def get_db():
    """The request's database connection, opened on first use."""
    if "db" not in g:
        path = current_app.config["DATABASE"]
        g.db = _reuse(path) or connect(path)
    return g.db


def close_db(exc=None):
    db = g.pop("db", None)
    if db is not None:
        _keep_or_close(db)


# Connections left open between requests. Opening one costs about 0.8 ms of CPU (SQLite
# reads the whole schema again), more than storing a report; reusing one costs nothing.
IDLE_CONNECTIONS = 16
_idle = []  # connections, oldest first
_idle_guard = threading.Lock()


def forget_idle():
    """Drop idle connections without using them: a forked server process must open its
    own (SQLite connections must not cross a fork; the parent still owns these)."""
    with _idle_guard:
        _idle.clear()


def _file_identity(path):
    """Which file a path names now: a database replaced under the same name is another."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _still_that_file(db):
    """True while the connection's file is still the one its path names."""
    path = getattr(db, "opened_as", "")
    identity = getattr(db, "file_identity", None)
    return path not in ("", ":memory:") and identity is not None \
        and _file_identity(path) == identity


def _reuse(path):
    """An idle connection to this database file, or None."""
    with _idle_guard:
        found = next((i for i in range(len(_idle) - 1, -1, -1)
                      if _idle[i].opened_as == path), None)
        db = _idle.pop(found) if found is not None else None
    if db is None or _still_that_file(db):
        return db
    db.close()  # the file was replaced or removed: never hand out the old one
    return None


def _keep_or_close(db):
    """After a request: keep its connection for the next one, if it is clean."""
    try:
        clean = not db.conn.in_transaction
    except sqlite3.ProgrammingError:
        return  # already closed by its user
    if not clean or not _still_that_file(db):
        db.close()  # a transaction left open (or a replaced file) is not passed on
        return
    with _idle_guard:
        _idle.append(db)
        oldest = _idle.pop(0) if len(_idle) > IDLE_CONNECTIONS else None
    if oldest is not None:
        oldest.close()


# The schema, one function a change, applied in order by sqlite-utils (table
# _sqlite_migrations). Never edit one that has shipped: add the next.
migrations = Migrations("kiosk")


@migrations()
def _m001_reports(db):
    db["reports"].create(
        {
            "id": int, "client_id": str, "created_at": str, "source": str,
            "kiosk": str, "language": str, "urgency": str, "reasons": str,
            "due_at": str, "choices": str, "words": str, "name": str,
            "status": str,
        },
        pk="id", not_null={"client_id", "created_at", "urgency", "due_at", "status"},
    )
    db["reports"].create_index(["client_id"], unique=True)
    db["reports"].create_index(["created_at"])


@migrations()
def _m002_report_events(db):
    # Append-only: what happened to a report, by whom, when.
    db["report_events"].create(
        {"id": int, "report_id": int, "at": str, "kind": str, "by_user": int, "detail": str},
        pk="id", foreign_keys=[("report_id", "reports", "id")],
    )
    db["report_events"].create_index(["report_id"])


@migrations()
def _m003_notifications(db):
    # The id is the cursor a dashboard catches up from.
    db["notifications"].create(
        {"id": int, "at": str, "kind": str, "report_id": int, "payload": str}, pk="id"
    )


@migrations()
def _m004_users(db):
    db["users"].create(
        {"id": int, "email": str, "password_hash": str, "role": str, "created_at": str},
        pk="id", not_null={"email", "password_hash", "role"},
    )
    db["users"].create_index(["email"], unique=True)


@migrations()
def _m005_append_only(db):
    # Records are never changed or removed; corrections are new entries.
    for table in ("report_events", "notifications"):
        _append_only(db, table)


@migrations()
def _m006_words_source(db):
    # "" when typed; otherwise the engine that transcribed the pupil's spoken words.
    db["reports"].add_column("words_source", str, not_null_default="")


@migrations()
def _m007_staff_security(db):
    # Two-factor codes, lockout and "log out everywhere" (sessions live server-side).
    users = db["users"]
    users.add_column("name", str, not_null_default="")
    users.add_column("totp_secret", str, not_null_default="")
    users.add_column("totp_last_step", int, not_null_default=0)  # a code is used once
    users.add_column("failed_logins", int, not_null_default=0)
    users.add_column("locked_until", str, not_null_default="")
    users.add_column("active", int, not_null_default=1)
    db["staff_sessions"].create(
        {"id": int, "token_hash": str, "user_id": int, "created_at": str, "last_seen": str,
         "ended_at": str, "ended_why": str},
        pk="id", not_null={"token_hash", "user_id", "created_at", "last_seen"},
        foreign_keys=[("user_id", "users", "id")])
    db["staff_sessions"].create_index(["token_hash"], unique=True)
    db["staff_sessions"].create_index(["user_id"])


@migrations()
def _m008_audit(db):
    # Tamper-evident: each entry's hash covers the previous entry's hash (audit.py).
    db["audit"].create(
        {"id": int, "at": str, "user_id": int, "actor": str, "role": str, "action": str,
         "target": str, "detail": str, "ip": str, "prev_hash": str, "hash": str},
        pk="id", not_null={"at", "actor", "action", "prev_hash", "hash"})
    _append_only(db, "audit")


@migrations()
def _m009_kiosks(db):
    db["kiosks"].create(
        {"id": int, "name": str, "place": str, "created_at": str, "created_by": str,
         "enrol_code_hash": str, "enrol_expires": str, "token_hash": str,
         "enrolled_at": str, "revoked_at": str, "pin_failures": int,
         "pin_locked_until": str},
        pk="id", not_null={"name", "created_at"},
        defaults={"place": "", "enrol_code_hash": "", "enrol_expires": "", "token_hash": "",
                  "enrolled_at": "", "revoked_at": "", "pin_failures": 0,
                  "pin_locked_until": "", "created_by": ""})
    db["kiosks"].create_index(["name"], unique=True)
    db["settings"].create({"key": str, "value": str}, pk="key")
    db["reports"].add_column("kiosk_id", int)


# Once stored, what a report says never changes; only its case state moves on.
REPORT_RECORD = ("client_id", "created_at", "source", "kiosk", "kiosk_id", "language",
                 "urgency", "reasons", "due_at", "choices", "words", "words_source", "name",
                 "reported_by", "happened")


@migrations()
def _m010_cases(db):
    db["report_events"].add_column("corrects", int)  # the entry this one corrects
    reports = db["reports"]
    for column, kind in (("owner_id", int), ("pupil_id", int), ("merged_into", int),
                         ("closed_at", str), ("reported_by", int), ("happened", str)):
        reports.add_column(column, kind)
    db["pupils"].create(
        {"id": int, "name": str, "year_group": str, "created_at": str, "created_by": int},
        pk="id", not_null={"name", "created_at"})
    db["pupils"].create_index(["name"])
    db.execute(
        f"CREATE TRIGGER reports_record_fixed BEFORE UPDATE OF {', '.join(REPORT_RECORD)} "
        "ON reports BEGIN SELECT RAISE(ABORT, 'a stored report cannot be changed'); END")
    db.execute("CREATE TRIGGER reports_no_delete BEFORE DELETE ON reports "
               "BEGIN SELECT RAISE(ABORT, 'a stored report cannot be deleted'); END")


@migrations()
def _m011_kiosk_settings(db):
    db["kiosks"].add_column("settings", str)  # JSON, see kiosk/devices/settings.py


@migrations()
def _m012_help_and_outbox(db):
    # "Get an adult": one row per request, its place and time fixed once stored; who said
    # "I'm going" is set once. What else happened to it is in help_events (append-only).
    db["help_requests"].create(
        {"id": int, "kiosk_id": int, "kiosk": str, "place": str, "at": str,
         "acknowledged_at": str, "acknowledged_by": int},
        pk="id", not_null={"kiosk", "at"},
        foreign_keys=[("kiosk_id", "kiosks", "id"), ("acknowledged_by", "users", "id")])
    db["help_requests"].create_index(["kiosk_id", "at"])
    db.execute("CREATE TRIGGER help_requests_record_fixed BEFORE UPDATE OF kiosk_id, kiosk, "
               "place, at ON help_requests "
               "BEGIN SELECT RAISE(ABORT, 'a stored help request cannot be changed'); END")
    db.execute("CREATE TRIGGER help_requests_acknowledged_once BEFORE UPDATE OF "
               "acknowledged_at, acknowledged_by ON help_requests "
               "WHEN OLD.acknowledged_at IS NOT NULL "
               "BEGIN SELECT RAISE(ABORT, 'a help request is acknowledged once'); END")
    db.execute("CREATE TRIGGER help_requests_no_delete BEFORE DELETE ON help_requests "
               "BEGIN SELECT RAISE(ABORT, 'a stored help request cannot be deleted'); END")
    db["help_events"].create(
        {"id": int, "help_id": int, "at": str, "kind": str, "by_user": int, "detail": str},
        pk="id", foreign_keys=[("help_id", "help_requests", "id")])
    db["help_events"].create_index(["help_id"])
    _append_only(db, "help_events")
    # Email waiting to go (outbox.py). A message's key, recipient and words never change;
    # only how delivery went (attempts, next try, sent, last error, cancelled) moves on.
    db["outbox"].create(
        {"id": int, "key": str, "about": str, "report_id": int, "help_id": int,
         "purpose": str, "step": int, "recipient": str, "recipient_name": str,
         "subject": str, "body": str, "created_at": str, "attempts": int,
         "next_try_at": str, "sent_at": str, "last_error": str, "cancelled_at": str},
        pk="id", not_null={"key", "about", "purpose", "recipient", "subject", "body",
                           "created_at", "next_try_at"},
        defaults={"attempts": 0, "last_error": "", "recipient_name": ""})
    db["outbox"].create_index(["key"], unique=True)  # a message is queued once, ever
    db["outbox"].create_index(["sent_at", "next_try_at"])
    db["outbox"].create_index(["report_id"])
    db["outbox"].create_index(["help_id"])
    db.execute("CREATE TRIGGER outbox_message_fixed BEFORE UPDATE OF key, about, report_id, "
               "help_id, purpose, step, recipient, subject, body, created_at ON outbox "
               "BEGIN SELECT RAISE(ABORT, 'a queued email cannot be changed'); END")
    db.execute("CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox "
               "BEGIN SELECT RAISE(ABORT, 'outbox keeps every message'); END")
    # Reports stored before email on arrival existed are not emailed now.
    db.execute("INSERT OR REPLACE INTO settings (key, value) "
               "SELECT 'outbox.arrivals_after_report', COALESCE(MAX(id), 0) FROM reports")


@migrations()
def _m013_alert_screens(db):
    # Browsers that keep sounding content-free alerts after their login ends
    # (notify/screens.py): only each token's hash is kept.
    db["alert_screens"].create(
        {"id": int, "token_hash": str, "user_id": int, "session_id": int, "created_at": str,
         "ended_at": str, "ended_why": str},
        pk="id", not_null={"token_hash", "user_id", "created_at"},
        defaults={"ended_at": "", "ended_why": ""},
        foreign_keys=[("user_id", "users", "id")])
    db["alert_screens"].create_index(["token_hash"], unique=True)
    db["alert_screens"].create_index(["user_id"])
    # A dashboard's first page reads each open report's latest escalation.
    db["notifications"].create_index(["kind", "report_id"])

def _append_only(db, table):
    for action in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


@migrations()
def _m014_report_categories(db):
    # What happened, as labels from the pages playing the "categories" role, kept with the
    # report when it is stored, so no code needs to know a page id. Reports stored
    # before pages declared roles took them from the default content's "what" pages.
    db["reports"].add_column("categories", str, not_null_default="[]")
    for row in db.query("SELECT id, choices FROM reports"):
        labels = [c["label"] for c in json.loads(row["choices"] or "[]")
                  if str(c.get("page", "")).startswith("what")]
        if labels:
            db.execute("UPDATE reports SET categories = ? WHERE id = ?",
                       [json.dumps(labels), row["id"]])
    db.execute("CREATE TRIGGER reports_categories_fixed BEFORE UPDATE OF categories ON "
               "reports BEGIN SELECT RAISE(ABORT, 'a stored report cannot be changed'); END")


@migrations()
def _m015_login_throttle(db):
    # Failed logins and enrolment codes counted per key (kiosk/throttle.py), and the
    # addresses each account has logged in from, where an attack on it never slows it.
    db.execute("CREATE TABLE login_throttle (scope TEXT NOT NULL, key TEXT NOT NULL, "
               "failures INTEGER NOT NULL, last_failed TEXT NOT NULL, "
               "PRIMARY KEY (scope, key))")
    db.execute("CREATE TABLE login_places (user_id INTEGER NOT NULL, ip TEXT NOT NULL, "
               "last_ok TEXT NOT NULL, PRIMARY KEY (user_id, ip))")


@migrations()
def _m016_audit_keyed(db):
    # The audit key's signature on each entry ("" on entries written before the key:
    # kiosk/audit/keys.py anchors them once), each record's seal, signed checkpoints.
    db["audit"].add_column("mac", str, not_null_default="")
    db["audit_seals"].create(
        {"audit_id": int, "table_name": str, "row_id": int, "sha256": str},
        not_null={"audit_id", "table_name", "row_id", "sha256"})
    db["audit_seals"].create_index(["audit_id"])
    db["audit_seals"].create_index(["table_name", "row_id"])
    _append_only(db, "audit_seals")
    db["audit_checkpoints"].create(
        {"id": int, "made_at": str, "entry_id": int, "entry_hash": str, "signature": str,
         "found": str}, pk="id", not_null={"made_at", "entry_id", "entry_hash", "signature"})
    _append_only(db, "audit_checkpoints")
    # Pages and checks that stay fast as the years of records grow (bench/many_reports.py).
    db["audit"].create_index(["action", "id"])
    db["audit"].create_index(["target", "id"])
    for columns in (["status", "urgency", "created_at"], ["pupil_id"], ["merged_into"],
                    ["closed_at"]):
        db["reports"].create_index(columns, if_not_exists=True)


@migrations()
def _m017_indexes_for_years(db):
    # Years of closed cases must not slow the open ones (bench/many_reports.py). Partial
    # indexes hold only what is open (tens of rows), so a query written with the same
    # literal WHERE reads only those; the others cover a list or a count on their own.
    # The queries name their index (INDEXED BY), so no ANALYZE is needed for their plans;
    # a sampled ANALYZE was tried and made the pupil page's plan worse (a full scan).
    for sql in (
        # The dashboard's open list and its sign-off panel.
        "CREATE INDEX reports_open ON reports (status, urgency, created_at) "
        "WHERE status NOT IN ('closed', 'merged')",
        # The escalation pass: reports nobody has acknowledged yet.
        "CREATE INDEX reports_unacknowledged ON reports (due_at) WHERE status = 'new'",
        # The Closed view, most recently finished first, paged; counted from it alone.
        "CREATE INDEX reports_finished ON reports (COALESCE(closed_at, created_at), id, "
        "status) WHERE status IN ('closed', 'merged')",
        # Governors' counts: each kind of report's months in UTC, counted from the index
        # alone (SQLite reads the table unless every column the query names is in it).
        "CREATE INDEX reports_counted ON reports (urgency, categories, datetime(created_at), "
        "merged_into, created_at) WHERE merged_into IS NULL",
        # "Get an adult" still waiting (escalation pass) or answered lately (dashboard).
        "CREATE INDEX help_requests_acknowledged ON help_requests (acknowledged_at)",
        # A case's decisions, for the sign-off panel.
        "CREATE INDEX report_events_kind ON report_events (report_id, kind)",
        # The dashboard's email warnings: the last day's, not every email ever sent.
        "CREATE INDEX notifications_kind_at ON notifications (kind, at)",
    ):
        db.execute(sql)


# The casework workflows (kiosk/safeguarding): every step of each is a case entry in
# report_events; these tables only mirror what must be read fast, in step with it.
@migrations()
def _m019_referral_and_allegations(db):
    # The criteria a report met, stored with it when it arrives and fixed from then on.
    db["reports"].add_column("referral_criteria", str, not_null_default="")
    db.execute("CREATE TRIGGER reports_referral_criteria_fixed BEFORE UPDATE OF "
               "referral_criteria ON reports "
               "BEGIN SELECT RAISE(ABORT, 'a stored report cannot be changed'); END")
    # Who each case names; append-only, like the entries it mirrors.
    db["allegations"].create({"id": int, "report_id": int, "staff_user_id": int,
                              "about_head": int, "entry_id": int, "at": str}, pk="id")
    db["allegations"].create_index(["report_id", "staff_user_id"], unique=True)
    db["allegations"].create_index(["staff_user_id"])
    for action in ("UPDATE", "DELETE"):
        db.execute(f"CREATE TRIGGER allegations_no_{action.lower()} BEFORE {action} ON "
                   "allegations BEGIN SELECT RAISE(ABORT, 'allegations is append-only'); END")


@migrations()
def _m020_case_pupils(db):
    # Who is on each case now, pupils' current MIS details and their history, and a due
    # time brought forward for a vulnerable child.
    db["case_pupils"].create(
        {"id": int, "report_id": int, "pupil_id": int, "role": str, "added_at": str,
         "added_entry": int, "role_entry": int, "removed_entry": int},
        pk="id", not_null={"report_id", "pupil_id", "role", "added_at"},
        foreign_keys=[("report_id", "reports", "id"), ("pupil_id", "pupils", "id")])
    db.execute("CREATE UNIQUE INDEX case_pupils_on_case ON case_pupils (report_id, pupil_id) "
               "WHERE removed_entry IS NULL")
    db["case_pupils"].create_index(["pupil_id"])
    db["pupil_details"].create(
        {"pupil_id": int, "upn": str, "legal_first_name": str, "preferred_first_name": str,
         "surname": str, "date_of_birth": str, "year_group": str, "send": str,
         "looked_after": int, "cp_plan": int, "updated_at": str},
        pk="pupil_id", foreign_keys=[("pupil_id", "pupils", "id")],
        defaults={"upn": "", "legal_first_name": "", "preferred_first_name": "", "surname": "",
                  "date_of_birth": "", "year_group": "", "send": "", "looked_after": 0,
                  "cp_plan": 0})
    db.execute("CREATE UNIQUE INDEX pupil_details_upn ON pupil_details (upn) WHERE upn != ''")
    db["pupil_changes"].create(
        {"id": int, "pupil_id": int, "at": str, "by_user": int, "actor": str, "source": str,
         "field": str, "old": str, "new": str},
        pk="id", not_null={"pupil_id", "at", "field"},
        foreign_keys=[("pupil_id", "pupils", "id")])
    db["pupil_changes"].create_index(["pupil_id"])
    for action in ("UPDATE", "DELETE"):  # a pupil's history is kept as it was written
        db.execute(f"CREATE TRIGGER pupil_changes_no_{action.lower()} BEFORE {action} ON "
                   "pupil_changes BEGIN SELECT RAISE(ABORT, 'pupil_changes is append-only'); END")
    db["case_due"].create({"report_id": int, "due_at": str, "entry_id": int},
                          pk="report_id", foreign_keys=[("report_id", "reports", "id")])
    # Cases linked to one pupil before several could be: that pupil is the child at risk.
    db.execute(
        "INSERT INTO case_pupils (report_id, pupil_id, role, added_at, added_entry) "
        "SELECT r.id, r.pupil_id, 'subject', COALESCE(e.at, r.created_at), e.id FROM reports r "
        "LEFT JOIN report_events e ON e.id = (SELECT MAX(id) FROM report_events WHERE "
        "report_id = r.id AND kind = 'linked_pupil') WHERE r.pupil_id IS NOT NULL")


@migrations()
def _m021_tasks_links_categories(db):
    # Where each task stands now (mirroring its entries), and the reminders sent.
    db["case_tasks"].create(
        {"id": int, "report_id": int, "kind": str, "title": str, "owner_id": int,
         "due_date": str, "status": str, "added_entry": int, "changed_at": str},
        pk="id", not_null={"report_id", "kind", "title", "owner_id", "due_date", "status"},
        foreign_keys=[("report_id", "reports", "id"), ("owner_id", "users", "id")])
    db["case_tasks"].create_index(["report_id"])
    db["case_tasks"].create_index(["status", "due_date"])
    db["case_tasks"].create_index(["owner_id", "status", "due_date"])
    # One row per task and school day it was found overdue: the owner is reminded once.
    db["task_reminders"].create(
        {"id": int, "task_id": int, "day": str, "owner_id": int, "at": str, "entry_id": int},
        pk="id", not_null={"task_id", "day", "owner_id", "at"},
        foreign_keys=[("task_id", "case_tasks", "id"), ("owner_id", "users", "id")])
    db["task_reminders"].create_index(["task_id", "day"], unique=True)
    # The links in force, each pair once (lower case number first).
    db["case_links"].create({"low": int, "high": int, "entry_id": int, "reason": str},
                            pk=("low", "high"),
                            foreign_keys=[("low", "reports", "id"), ("high", "reports", "id")])
    db["case_links"].create_index(["high"])
    # The current set of categories on each case, in step with its entries.
    db["case_categories"].create(
        {"report_id": int, "code": str, "label": str, "entry_id": int},
        pk=("report_id", "code"), foreign_keys=[("report_id", "reports", "id")])
    db["case_categories"].create_index(["code", "report_id"])


@migrations()
def _m022_concerns_and_attachments(db):
    # One row per attachment, for listing a case's files fast; fixed once stored.
    db["attachments"].create(
        {"id": int, "report_id": int, "entry_id": int, "sha256": str, "name": str,
         "type": str, "size": int, "by_user": int, "at": str},
        pk="id", not_null={"report_id", "sha256", "name", "type", "size", "at"},
        foreign_keys=[("report_id", "reports", "id"), ("by_user", "users", "id")])
    db["attachments"].create_index(["report_id"])
    db.execute("CREATE TRIGGER attachments_fixed BEFORE UPDATE ON attachments "
               "BEGIN SELECT RAISE(ABORT, 'a stored attachment cannot be changed'); END")
    db.execute("CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments "
               "BEGIN SELECT RAISE(ABORT, 'a stored attachment cannot be deleted'); END")


@migrations()
def _m023_report_about(db):
    # "someone_else" when a pupil told of a worry about another child; "" about themself.
    # Part of the stored record: fixed once stored, sealed (audit SEALED_ADDED).
    db["reports"].add_column("about", str, not_null_default="")
    db.execute("CREATE TRIGGER reports_about_fixed BEFORE UPDATE OF about ON reports "
               "BEGIN SELECT RAISE(ABORT, 'a stored report cannot be changed'); END")


@migrations()
def _m024_hearing_back(db):
    # A kiosk report's picture code (safeguarding/hearing_back.py), kept only as a keyed
    # hash, and what the DSL chose the pupil hears: the newest hearing_back entry's
    # choice, mirrored here so a kiosk's check is one look-up.
    db.execute("CREATE TABLE hearing_codes (report_id INTEGER PRIMARY KEY "
               "REFERENCES reports(id), code_hash TEXT NOT NULL, created_at TEXT NOT NULL, "
               "expires_at TEXT NOT NULL, choice TEXT NOT NULL DEFAULT '', "
               "choice_entry INTEGER, last_checked_at TEXT NOT NULL DEFAULT '')")
    db.execute("CREATE INDEX hearing_codes_by_hash ON hearing_codes (code_hash)")


def _adopt_earlier_record(db):
    """Databases made before the schema moved to sqlite-utils migrations kept their list
    in `_migrations`: carry it over once, so nothing is applied twice."""
    if not db["_migrations"].exists():
        return
    migrations.ensure_migrations_table(db)
    with db.atomic():
        for row in db.query("SELECT name, applied_at FROM _migrations ORDER BY rowid"):
            db[migrations.migrations_table].insert(
                {"migration_set": migrations.name, "name": row["name"],
                 "applied_at": row["applied_at"]}, ignore=True)
        db["_migrations"].drop()


def migrate(db):
    """Apply, in order and once each, the migrations this database lacks."""
    _adopt_earlier_record(db)
    migrations.apply(db)


@click.command("migrate")
@with_appcontext
def migrate_command():
    """Bring the database schema up to date."""
    migrate(get_db())
    click.echo("Database is up to date.")


def init_app(app):
    app.teardown_appcontext(close_db)
    app.cli.add_command(migrate_command)
