"""flask --app kiosk content ...: exchange the journey with AAC tools (Open Board Format)."""
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ..content.loading import ContentError
from ..content.obf import ObfError
from ..content.obf_export import export_obz
from ..content.obf_import import import_board, write_import
from ..services import load_checked_content


@click.group("content", cls=AppGroup)
def content_group():
    """Exchange the journey with AAC tools as Open Board Format boards."""


def _loaded():
    try:
        return load_checked_content(current_app.config)
    except ContentError as exc:
        raise click.ClickException(f"the content is not valid: {exc}") from None


@content_group.command("export-obf")
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--language", default="en", show_default=True,
              help="Language of the words: a code from content/translations/.")
def export_obf_command(out, language):
    """Write the journey as an .obz: a board per page, with its symbols and licences."""
    symbols, content = _loaded()
    try:
        counts = export_obz(content, symbols, language, out)
    except ObfError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"Wrote {out}: {counts['boards']} boards and {counts['images']} symbols in "
               f"{counts['language']}. The first board is '{content.flow[0]}'.")


@content_group.command("import-obf")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--after", required=True, metavar="PAGE_ID",
              help="The page of the flow the new page is shown after.")
@click.option("--id", "page_id", default="", metavar="NEW_PAGE_ID",
              help="Id for the new page (default: from the board's id).")
@click.option("--kind", type=click.Choice(["choice", "multi"]), default="choice",
              show_default=True, help="One answer (choice) or any number (multi).")
def import_obf_command(file, after, page_id, kind):
    """Add an OBF board (an .obf, or the first board of an .obz) as a page of the journey."""
    config = current_app.config
    symbols, content = _loaded()
    try:
        result = import_board(file, after, content, symbols, page_id, kind)
        written = write_import(result, config["CONTENT_DIR"], config["SYMBOLS_DIR"],
                               config["SYMBOL_PACK"])
    except (ObfError, OSError) as exc:
        raise click.ClickException(f"not imported: {exc}") from None
    _report(result, written, Path(config["SYMBOLS_DIR"]))


def _report(result, written, symbols_dir):
    page = result.page
    click.echo(f"Added page '{page['id']}' ({page['kind']}, \"{page['prompt']['text']}\") "
               f"after '{page['after']}': {written}")
    for tile in page["tiles"]:
        concept, how = result.matched.get(tile["id"], (tile["concept"], ""))
        source = (f"the kiosk's symbol '{concept}' ({how})" if how else
                  f"the board's image, as '{concept}' ({result.credits[concept]['licence']})")
        click.echo(f"  {tile['label']}: {source}")
    if result.images:
        click.echo(f"Its images are in the symbol pack {symbols_dir / 'boards'}, each with "
                   "the licence and attribution the board gave.")
    for warning in result.warnings:
        click.echo(f"Note: {warning}.")
    click.echo("Run check-content, then restart the server to show the page.")


def register(app):
    """Add the content exchange commands to the app's CLI."""
    app.cli.add_command(content_group)
