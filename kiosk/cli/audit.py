"""flask --app kiosk audit ...: checking the record (backup and restore: cli/backup.py)."""
import sqlite3
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from .. import audit, doctor
from ..audit import checkpoints
from ..safeguarding import checkpoint_mail
from ..db import get_db, writing
from ..devices.kiosks import CLI_ACTOR


@click.group("audit", cls=AppGroup)
def audit_group():
    """The audit log."""


@audit_group.command("verify")
@click.option("--full", is_flag=True,
              help="Check every entry and every sealed record from the start, not only "
                   "what came after the last checkpoint.")
@click.option("--checkpoint", "given", multiple=True, metavar="LINE",
              help="A printed or emailed checkpoint line to compare the log with as well.")
def verify_command(full, given):
    """Check the audit log: its chain, signatures, checkpoints and the sealed records."""
    try:
        extra = [checkpoints.parse(line) for line in given]
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    verdict = audit.verify(get_db(), full=full, given=extra)
    scope = (f"from checkpoint entry #{verdict.since}" if verdict.since else "from the start")
    if not verdict.ok:
        named = "\n".join(f"  entry #{entry_id} {why}" for entry_id, why in
                           verdict.problems[:PROBLEMS_SHOWN])
        more = len(verdict.problems) - PROBLEMS_SHOWN
        raise click.ClickException(
            f"the audit log has been tampered with: entry #{verdict.bad_id} {verdict.why}. "
            f"{verdict.checked} entries before it are intact (checked {scope}).\n"
            f"{len(verdict.problems)} problem{'s' * (len(verdict.problems) != 1)} found:\n"
            + named + (f"\n  ... and {more} more" if more > 0 else ""))
    click.echo(f"The audit log is intact: {verdict.checked} entries checked {scope}, "
               f"{verdict.records} sealed records compared.")


PROBLEMS_SHOWN = 20


@audit_group.command("checkpoint")
def checkpoint_command():
    """Check the whole log, then sign its newest entry; print the line to keep."""
    db, now = get_db(), current_app.config["CLOCK"]()
    made = checkpoint_mail.make(db, now, current_app.config, current_app.instance_path)
    click.echo(f"Checkpoint made: entry #{made.entry_id}; the full check found: {made.found}.")
    click.echo(made.line)


@audit_group.command("checkpoints")
@click.option("--limit", default=10, show_default=True, help="How many, newest first.")
def checkpoints_command(limit):
    """The newest checkpoints, one line each (print them and file them)."""
    for _, checkpoint in checkpoints.stored(get_db(), limit=limit):
        click.echo(checkpoint.line)


def register(app):
    app.cli.add_command(audit_group)
