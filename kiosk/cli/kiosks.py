"""flask --app kiosk ... commands for enrolling kiosks and setting the staff PIN."""
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import addresses
from ..devices import kiosks
from ..db import get_db
from ..devices.kiosks import CLI_ACTOR, KioskError


def _when(text):
    """An ISO time in the school's time zone as a person reads it, e.g. "Wed 18 Nov 2026 10:30"."""
    if not text:
        return ""
    school = ZoneInfo(current_app.config["SCHOOL_DAY"]["timezone"])
    return datetime.fromisoformat(text).astimezone(school).strftime("%a %d %b %Y %H:%M")


def _base_url():
    """(base URL, a warning or "") for links: BASE_URL, else where the server listens."""
    base = addresses.base_url(current_app.config, current_app.instance_path)
    if current_app.config.get("BASE_URL"):
        return base, ""
    if not base:  # the server has never started here: what its defaults will listen on
        return addresses.device_url("http", "0.0.0.0", 5000), (
            "The server has not started yet: the link assumes its defaults (port 5000, "
            "plain http). Set BASE_URL in instance/config.py to be sure.")
    facts = addresses.recorded(current_app.instance_path)
    if addresses.is_loopback(facts["host"]):
        return base, (f"The server listens on {facts['host']}, this machine only: the link "
                      "opens only here. Start it with --host 0.0.0.0, or set BASE_URL to "
                      "the address of the reverse proxy.")
    return base, ""


def _show_code(kiosk, code):
    """The kiosk, its one-time code and a link that opens on the device."""
    base, warning = _base_url()
    link = f"{base}/enrol?code={code}"
    place = f" ({kiosk['place']})" if kiosk["place"] else ""
    click.echo(f"Kiosk: {kiosk['name']}{place}\n"
               f"Enrolment code: {code}\n"
               f"The code works once, until {_when(kiosk['enrol_expires'])}.\n"
               f"Link: {link}\n"
               "On the device, open the link (or open the kiosk page and type the code), "
               "check the kiosk's name and press the button to enrol it.")
    if warning:
        click.echo(f"Warning: {warning}", err=True)


@click.command("create-kiosk")
@with_appcontext
@click.argument("name")
@click.option("--place", default="", help='Where the device is, e.g. "Library".')
def create_kiosk_command(name, place):
    """Add a kiosk and print its one-time enrolment code and link."""
    config = current_app.config
    try:
        kiosk, code = kiosks.create_kiosk(get_db(), name, place, config["CLOCK"](), CLI_ACTOR,
                                          hours=config["KIOSK_ENROL_HOURS"])
    except KioskError as exc:
        raise click.ClickException(str(exc)) from None
    _show_code(kiosk, code)


@click.command("enrol-code")
@with_appcontext
@click.argument("name")
def enrol_code_command(name):
    """A new one-time code for an existing kiosk, e.g. to replace a broken iPad."""
    config = current_app.config
    try:
        kiosk, code = kiosks.new_enrol_code(get_db(), name, config["CLOCK"](),
                                            hours=config["KIOSK_ENROL_HOURS"])
    except KioskError as exc:
        raise click.ClickException(str(exc)) from None
    _show_code(kiosk, code)
    click.echo("Once the new device is enrolled, the old one stops working as this kiosk.")


@click.command("list-kiosks")
@with_appcontext
def list_kiosks_command():
    """List kiosks: name, place, and whether enrolled, waiting or revoked, and when."""
    rows = kiosks.list_kiosks(get_db())
    if not rows:
        click.echo("No kiosks yet. Add one with: flask --app kiosk create-kiosk NAME")
        return
    now = current_app.config["CLOCK"]()
    words = {"enrolled": "enrolled on", "waiting": "waiting, code valid until",
             "revoked": "revoked on", "code expired": "waiting, code expired on"}
    for kiosk in rows:
        state, when = kiosks.state_of(kiosk, now)
        place = f" ({kiosk['place']})" if kiosk["place"] else ""
        click.echo(f"{kiosk['name']}{place}: {words[state]} {_when(when)}".rstrip())


@click.command("revoke-kiosk")
@with_appcontext
@click.argument("name")
def revoke_kiosk_command(name):
    """Stop a kiosk's device from sending reports (lost, stolen or retired)."""
    try:
        kiosk = kiosks.revoke_kiosk(get_db(), name, current_app.config["CLOCK"]())
    except KioskError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Revoked {kiosk['name']}. Its device now shows that it is no longer a kiosk; "
               "its reports are kept.")


@click.command("set-staff-pin")
@with_appcontext
@click.option("--pin-stdin", is_flag=True, help="Read the PIN from standard input instead.")
def set_staff_pin_command(pin_stdin):
    """Set the PIN staff type on a kiosk to leave kiosk mode (6 to 12 digits)."""
    if pin_stdin:
        pin = sys.stdin.readline().strip()
    else:
        pin = click.prompt("Staff PIN", hide_input=True, confirmation_prompt=True)
    try:
        kiosks.set_staff_pin(get_db(), pin, current_app.config["CLOCK"]())
    except KioskError as exc:
        raise click.ClickException(f"{exc}. Run set-staff-pin again.") from None
    click.echo("Staff PIN set. Every kiosk uses it from now on.")


def register(app):
    """Add the kiosk commands to the app's CLI."""
    for command in (create_kiosk_command, enrol_code_command, list_kiosks_command,
                    revoke_kiosk_command, set_staff_pin_command):
        app.cli.add_command(command)
