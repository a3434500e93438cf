"""flask --app kiosk symbols ... commands: bring in a school's own licensed symbol set."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..content import symbol_import
from ..services import services


@click.group("symbols", cls=AppGroup)
def symbols_group():
    """Symbol pack commands."""


def _needed_concepts():
    """(concepts the content uses, a note when they cannot be known)."""
    svc = services()
    if svc.content is None:
        return (), f"The content is not valid, so what it uses is unknown: {svc.error}"
    return symbol_import.concepts_used(svc.content, svc.symbols), ""


def _report(result, note):
    click.echo(f"{'Replaced' if result.replaced else 'Imported'} symbol pack '{result.name}' "
               f"(\"{result.title}\") in {result.folder}: {len(result.concepts)} concepts "
               f"from {result.files} image{'s' * (result.files != 1)}"
               + (f", {len(result.bliss)} with Bliss numbers." if result.bliss else "."))
    if note:
        click.echo(note)
    elif result.missing:
        click.echo(f"{len(result.missing)} concept{'s' * (len(result.missing) != 1)} the kiosk "
                   f"uses are not in the pack and come from the default pack: "
                   f"{', '.join(result.missing)}")
    else:
        click.echo("The pack has a symbol for every concept the kiosk uses.")
    click.echo(f"Restart the server to load it. Use it everywhere with "
               f"SYMBOL_PACK = \"{result.name}\" in instance/config.py, or choose it for one "
               "kiosk in its settings.")


@symbols_group.command("import")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--pack", "name", required=True, help="Name of the new pack's folder, e.g. widgit.")
@click.option("--csv", "csv_path", type=click.Path(path_type=Path),
              help="The concept,file CSV (default: FOLDER/symbols.csv).")
@click.option("--title", default="", help="The pack's name as people read it.")
@click.option("--licence", default="", help="Under what licence the school uses the images.")
@click.option("--attribution", default="", help="The credit the licence asks for.")
@click.option("--description", default="", help="One line about the pack.")
@click.option("--replace", is_flag=True, help="Replace an existing pack of the same name.")
def import_command(folder, name, csv_path, title, licence, attribution, description, replace):
    """Build a symbol pack from a folder of licensed images and a concept,file CSV."""
    needed, note = _needed_concepts()
    try:
        result = symbol_import.import_pack(
            folder, current_app.config["SYMBOLS_DIR"], name, licence=licence,
            attribution=attribution, csv_path=csv_path, title=title, description=description,
            replace=replace, known=needed, needed=needed)
    except symbol_import.PackImportError as exc:
        raise click.ClickException(str(exc)) from None
    _report(result, note)


def register(app):
    """Add the symbol pack commands to the app's CLI."""
    app.cli.add_command(symbols_group)
