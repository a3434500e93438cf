"""The schema is kept by sqlite-utils migrations; a school's existing database upgrades in place."""
import sqlite3

from kiosk import PROJECT_ROOT, create_app
from kiosk.db import connect, migrate, migrations

# A database as the earlier migration runner left it (its own `_migrations` table), with
# one stored report: made by that runner and dumped with sqlite3's iterdump.
EARLIER = PROJECT_ROOT / "tests" / "data" / "schema_before_sqlite_utils_migrations.sql"


def _earlier_database(path):
    con = sqlite3.connect(path)
    con.executescript(EARLIER.read_text())
    con.close()


def _applied(path):
    db = connect(path)
    try:
        return [m.name for m in migrations.applied(db)]
    finally:
        db.close()


def test_a_new_database_gets_every_migration_once(tmp_path):
    path = tmp_path / "new.sqlite3"
    db = connect(path)
    migrate(db)
    migrate(db)  # a second start applies nothing more
    db.close()
    assert _applied(path) == [m.name for m in migrations._migrations]


def test_an_earlier_database_is_upgraded_in_place_and_keeps_its_reports(tmp_path, monkeypatch):
    path = tmp_path / "instance" / "kiosk.sqlite3"
    path.parent.mkdir()
    _earlier_database(path)
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(path.parent))
    create_app({"TESTING": True, "DATABASE": str(path)})  # as a restart after an upgrade

    applied = _applied(path)
    assert applied == [m.name for m in migrations._migrations]  # old ones carried, new run
    db = connect(path)
    tables = set(db.table_names())
    assert "_migrations" not in tables and {"help_requests", "outbox"} <= tables
    [report] = db.query("SELECT client_id, kiosk, status FROM reports")
    assert report == {"client_id": "0f8fad5b-d9cb-469f-a165-70867728950e",
                      "kiosk": "Library kiosk", "status": "new"}
    db.close()


def test_the_upgrade_keeps_stored_reports_fixed(tmp_path):
    path = tmp_path / "kiosk.sqlite3"
    _earlier_database(path)
    db = connect(path)
    migrate(db)
    try:
        db.execute("UPDATE reports SET words = 'changed'")
        raise AssertionError("a stored report was changed")
    except sqlite3.IntegrityError as exc:
        assert "cannot be changed" in str(exc)
    db.close()
