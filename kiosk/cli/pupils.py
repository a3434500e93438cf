"""flask --app kiosk pupils ...: the school's pupil list from its MIS."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .. import audit
from ..db import get_db, writing
from ..devices.kiosks import CLI_ACTOR
from ..safeguarding import mis_import


@click.group("pupils", cls=AppGroup)
def pupils_group():
    """Pupils on record."""


@pupils_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file):
    """Bring in the MIS pupil export (CSV): new pupils added, changed ones updated by UPN.

    Nothing is kept if any row is wrong; each bad row is named by its line."""
    db, now = get_db(), current_app.config["CLOCK"]()
    try:
        with writing(db):
            outcome = mis_import.bring_in(db, file.read_bytes(), now, actor=CLI_ACTOR)
            audit.record(db, "pupils.imported", at=now, actor=CLI_ACTOR, target="pupils",
                         detail=mis_import.audit_detail(outcome, file.name))
    except mis_import.ImportRefused as exc:
        raise click.ClickException(f"{file.name} was not brought in, nothing was changed:\n"
                                   f"{exc}\nCorrect these rows and run it again.") from None
    click.echo(f"Pupils brought in from {file.name}: {outcome.summary()}.")
    for warning in outcome.warnings:
        click.echo(f"Warning: {warning}", err=True)


def register(app):
    app.cli.add_command(pupils_group)
