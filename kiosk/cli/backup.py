"""flask --app kiosk backup [FILE] and restore FILE: encrypted copies, and putting one back."""
import os
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import audit, backup, db as kiosk_db, jobs
from ..db import get_db, writing
from ..devices.kiosks import CLI_ACTOR


def _key():
    """The backup key, made on first use with a word to IT about keeping it."""
    path = Path(current_app.config["BACKUP_KEY_FILE"])
    made = not path.exists()
    key = backup.ensure_key(path)
    if made:
        click.echo(f"Made a new backup key, {path}. Copy it somewhere safe, apart from the "
                   "backups (a password manager, a USB key in the safe): without it no "
                   "backup can be restored.")
    return key


@click.command("backup")
@with_appcontext
@click.argument("target", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup_command(target):
    """Take an encrypted copy of the database while the server runs (SQLite's backup API).

    With FILE, into that new file; without, into BACKUP_DIR with the rotation the schedule
    uses. Restore needs the key in BACKUP_KEY_FILE: keep a copy of it apart from the backups."""
    config, now = current_app.config, current_app.config["CLOCK"]()
    key = _key()
    if target is None:
        path = jobs.take_backup(current_app, get_db(), now)
        click.echo(f"Backed up to {path} ({path.stat().st_size // 1024} KB, encrypted; "
                   f"key id {backup.key_id(key).hex()}).")
        return
    if target.exists():
        raise click.ClickException(f"{target} already exists: choose a new file name")
    if not target.parent.is_dir():
        raise click.ClickException(f"there is no folder {target.parent}: make it first "
                                   f"(mkdir -p {target.parent})")
    size = backup.make(config["DATABASE"], target, key)
    jobs.record_backup(get_db(), target.resolve(), size, now, CLI_ACTOR)
    click.echo(f"Backed up to {target} ({size // 1024} KB, encrypted; key id "
               f"{backup.key_id(key).hex()}).")


@click.command("restore")
@with_appcontext
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The backup key the copy was made with (default: BACKUP_KEY_FILE).")
@click.option("--yes", is_flag=True, help="Replace the database without asking first.")
def restore_command(source, key_file, yes):
    """Put an encrypted backup back as the database, once it is proved whole.

    Refused while the server runs. The copy is decrypted in memory, checked by SQLite
    (integrity_check) and by its audit log before anything changes; the database it
    replaces is kept first, encrypted, in BACKUP_DIR as before-restore-TIME.backup."""
    config = current_app.config
    held = jobs.hold_for_restore(current_app.instance_path)
    if held is None:
        raise click.ClickException("the server is running on this instance folder: stop "
                                   "it first (e.g. systemctl stop worry-kiosk), then restore")
    try:
        copy, found = _checked_copy(source, key_file)
        try:
            _confirm(source, found, yes)
            kept = _keep_current(config)
            backup.replace_contents(copy, config["DATABASE"])
        finally:
            copy.close()
        _after_restore(source, found, kept)
    finally:
        os.close(held)  # servers may start again
    click.echo(f"Restored {source}: {found['reports']} reports, {found['audit_entries']} audit "
               f"entries, all checked. The database it replaced is kept in {kept}.")


def _checked_copy(source, key_file):
    """(the copy open in memory, what it holds); a ClickException saying why otherwise."""
    try:
        key = backup.load_key(key_file or current_app.config["BACKUP_KEY_FILE"])
        copy = backup.opened(backup.unseal(source.read_bytes(), key))
    except backup.BackupError as exc:
        raise click.ClickException(f"{source} was not restored: {exc}") from None
    try:
        return copy, backup.check(copy, current_app.instance_path)
    except backup.BackupError as exc:
        copy.close()
        raise click.ClickException(f"{source} was not restored: {exc}") from None


def _confirm(source, found, yes):
    now = next(get_db().query("SELECT count(*) AS n FROM reports"))["n"]
    if not yes:
        click.confirm(f"Replace the database ({now} reports) with {source} "
                      f"({found['reports']} reports)?", abort=True)


def _keep_current(config):
    """An encrypted copy of the database about to be replaced; its path."""
    folder = Path(config["BACKUP_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    when = config["CLOCK"]().strftime("%Y-%m-%d-%H%M%S")
    path = folder / f"before-restore-{when}.backup"
    backup.make(config["DATABASE"], path, backup.ensure_key(config["BACKUP_KEY_FILE"]))
    return path


def _after_restore(source, found, kept):
    """Bring the restored schema up to date and say in its audit log what happened."""
    db, now = get_db(), current_app.config["CLOCK"]()
    kiosk_db.migrate(db)
    with writing(db):
        audit.record(db, "database.restored", at=now, actor=CLI_ACTOR, target=str(source),
                     detail={"reports": found["reports"], "kept": str(kept)})


def register(app):
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
