"""flask --app kiosk transfer ...: a case or a pupil's file to another school, and back in."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .. import audit
from ..db import get_db, writing
from ..devices.kiosks import CLI_ACTOR
from ..safeguarding import transfer


@click.group("transfer", cls=AppGroup)
def transfer_group():
    """Transfer files (docs/transfer.md)."""


def _key():
    return transfer.transfer_key(audit.current_key(get_db()))


@transfer_group.command("key")
def key_command():
    """Print this school's transfer key, to give the receiving school out of band."""
    key = _key()
    click.echo(f"Transfer key: {key.hex()}")
    click.echo(f"Key id: {transfer.key_id(key)} (printed in every file this school signs)")


@transfer_group.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--case", "report_id", type=int, help="The case number to export.")
@click.option("--pupil", "pupil_id", type=int, help="The pupil whose whole file to export.")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the chronology as CSV to this file.")
def export_command(out, report_id, pupil_id, csv_out):
    """Write a signed transfer file for one case or a pupil's whole file."""
    if (report_id is None) == (pupil_id is None):
        raise click.ClickException("give --case NUMBER or --pupil NUMBER (one of them)")
    for path in (out, csv_out):
        if path is not None and path.exists():
            raise click.ClickException(f"{path} already exists: choose a new file name")
    db, now = get_db(), current_app.config["CLOCK"]()
    school = current_app.config.get("SCHOOL_NAME", "")
    try:
        document = transfer.export(db, now, school, CLI_ACTOR, _key(), report_id, pupil_id)
    except transfer.TransferError as exc:
        raise click.ClickException(str(exc)) from None
    out.write_text(transfer.dumps(document), encoding="utf-8")
    out.chmod(0o600)  # it holds what pupils said: keep it as safely as the server
    if csv_out is not None:
        csv_out.write_text(transfer.chronology_csv(document), encoding="utf-8")
        csv_out.chmod(0o600)
    with writing(db):
        audit.record(db, "export.transfer", at=now, actor=CLI_ACTOR,
                     target=f"pupil:{pupil_id}" if pupil_id else f"report:{report_id}",
                     detail={"cases": [c["id"] for c in document["cases"]], "file": str(out)})
    click.echo(f"Wrote {out}: {len(document['cases'])} case(s), signed with key id "
               f"{document['signature']['key_id']}.")


@transfer_group.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key_hex", required=True,
              help="The sending school's transfer key (from their `transfer key`).")
def import_command(source, key_hex):
    """Import a transfer file from another school, if its signature fits the key."""
    try:
        key = bytes.fromhex(key_hex.strip())
    except ValueError:
        raise click.ClickException("the key must be the hex string `transfer key` "
                                   "printed") from None
    db, now = get_db(), current_app.config["CLOCK"]()
    try:
        document = transfer.read(source.read_text(encoding="utf-8"), key)
    except (transfer.TransferError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{source} was not imported: {exc}") from None
    new_ids = transfer.import_document(db, document, now, CLI_ACTOR)
    click.echo(f"Imported {len(new_ids)} case(s) from {document.get('school') or 'another school'}"
               f" as case(s) {', '.join(map(str, new_ids))}, marked as transferred.")


def register(app):
    app.cli.add_command(transfer_group)
