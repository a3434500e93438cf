"""flask --app kiosk audit ... and backup: checking the record and keeping a copy of it."""
import sqlite3
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .. import audit, doctor
from ..db import get_db, writing
from ..devices.kiosks import CLI_ACTOR


@click.group("audit", cls=AppGroup)
def audit_group():
    """The audit log."""


@audit_group.command("verify")
def verify_command():
    """Check the audit log's hash chain; name the first entry that does not fit."""
    verdict = audit.verify(get_db())
    if not verdict.ok:
        raise click.ClickException(
            f"the audit log has been tampered with: entry #{verdict.bad_id} {verdict.why}. "
            f"{verdict.checked} entries before it are intact.")
    click.echo(f"The audit log is intact: {verdict.checked} entries checked.")


@click.command("backup")
@with_appcontext
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target):
    """Copy the database, consistently, while the server runs (SQLite's backup API).

    The copy holds every report: keep it as safely as the server itself."""
    if target.exists():
        raise click.ClickException(f"{target} already exists: choose a new file name")
    if not target.parent.is_dir():
        raise click.ClickException(f"there is no folder {target.parent}: make it first "
                                   f"(mkdir -p {target.parent})")
    source = sqlite3.connect(current_app.config["DATABASE"])
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()
    target.chmod(0o600)
    _record(target.resolve(), target.stat().st_size)
    click.echo(f"Backed up to {target} ({target.stat().st_size // 1024} KB).")


def _record(path, size):
    """Keep when, where and how big, for the doctor; and say in the audit log a copy was made."""
    db, now = get_db(), current_app.config["CLOCK"]()
    with writing(db):
        doctor.record_backup(db, path, size, now)
        audit.record(db, "database.backed_up", at=now, actor=CLI_ACTOR, target=str(path),
                     detail={"size": size})


def register(app):
    app.cli.add_command(audit_group)
    app.cli.add_command(backup_command)
