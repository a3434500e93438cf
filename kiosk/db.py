"""The database: one sqlite-utils connection per request, schema by migrations."""
import sqlite3

import click
import sqlite_utils
from flask import current_app, g
from flask.cli import with_appcontext


def connect(path):
    """Open the database the way every part of the app needs it."""
    conn = sqlite3.connect(path, timeout=10, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.enable_wal()
    # FULL: a pupil is told "sent" only after the report survives a power cut.
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


def get_db():
    """The request's database connection, opened on first use."""
    if "db" not in g:
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def close_db(exc=None):
    db = g.pop("db", None)
    if db is not None:
        db.close()


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


def _m002_report_events(db):
    # Append-only: what happened to a report, by whom, when.
    db["report_events"].create(
        {"id": int, "report_id": int, "at": str, "kind": str, "by_user": int, "detail": str},
        pk="id", foreign_keys=[("report_id", "reports", "id")],
    )
    db["report_events"].create_index(["report_id"])


def _m003_notifications(db):
    # The id is the cursor a dashboard catches up from.
    db["notifications"].create(
        {"id": int, "at": str, "kind": str, "report_id": int, "payload": str}, pk="id"
    )


def _m004_users(db):
    db["users"].create(
        {"id": int, "email": str, "password_hash": str, "role": str, "created_at": str},
        pk="id", not_null={"email", "password_hash", "role"},
    )
    db["users"].create_index(["email"], unique=True)


def _m005_append_only(db):
    # Records are never changed or removed; corrections are new entries.
    for table in ("report_events", "notifications"):
        for action in ("UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
            )


def _m006_words_source(db):
    # "" when typed; otherwise the engine that transcribed the pupil's spoken words.
    db["reports"].add_column("words_source", str, not_null_default="")


MIGRATIONS = [_m001_reports, _m002_report_events, _m003_notifications, _m004_users,
              _m005_append_only, _m006_words_source]


def migrate(db):
    """Apply, in order and once each, the migrations this database lacks."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    done = {row["name"] for row in db.query("SELECT name FROM _migrations")}
    for migration in MIGRATIONS:
        if migration.__name__ in done:
            continue
        with db.atomic():
            migration(db)
            db.execute(
                "INSERT INTO _migrations VALUES (?, datetime('now'))", [migration.__name__]
            )


@click.command("migrate")
@with_appcontext
def migrate_command():
    """Bring the database schema up to date."""
    migrate(get_db())
    click.echo("Database is up to date.")


def init_app(app):
    app.teardown_appcontext(close_db)
    app.cli.add_command(migrate_command)
