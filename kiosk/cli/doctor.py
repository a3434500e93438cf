"""flask --app kiosk doctor: check every link from a pupil's tap to a person who acts."""
import click
from flask import current_app
from flask.cli import with_appcontext

from .. import doctor
from ..db import get_db
from ..accounts.users import EMAIL


def _addresses(ctx, param, values):
    """Each --to must look like an email address; say which one does not."""
    for value in values:
        if not EMAIL.match(value):
            raise click.BadParameter(f"'{value}' is not an email address")
    return values


@click.command("doctor")
@with_appcontext
@click.option("--no-email", is_flag=True,
              help="Send no test message; use the result of the last test instead.")
@click.option("--to", multiple=True, metavar="ADDRESS", callback=_addresses,
              help="Send the test message to ADDRESS (repeatable) instead of the DSL team "
                   "(every active DSL, deputy and head account).")
@click.option("--host", metavar="ADDRESS",
              help="Also check the address the server listens on, as given to "
                   "python3 run.py --host (127.0.0.1 is this machine only); by default, "
                   "where the running server says it listens.")
def doctor_command(no_email, to, host):
    """Check the whole chain from a pupil's tap to a person who acts.

    Checks a DSL, a deputy DSL and a head with two-factor in use; email (SMTP) set and a
    test message accepted; BASE_URL answering at /kiosk; a kiosk enrolled; the staff PIN;
    a backup within BACKUP_MAX_AGE_HOURS; free disk space. Prints OK or the gap and its
    fix for each, and exits with status 1 while any link is missing."""
    if no_email and to:
        raise click.UsageError("--to says where to send the test message; --no-email sends "
                               "none: use one or the other")
    if host is None:  # the running server's own record says where it listens
        host = (doctor.listening(current_app) or {}).get("host")
    findings = doctor.run_checks(current_app, get_db(), send_email=not no_email, to=to,
                                 listen_host=host)
    click.echo("The chain from a pupil's tap to a person who acts:")
    for line in doctor.lines(findings):
        click.echo(line)
    gaps = sum(not finding.ok for finding in findings)
    if gaps:
        raise click.ClickException(
            f"{gaps} gap{'s' * (gaps != 1)}: the chain is not complete, so a report may not "
            f"reach anyone. Make each fix above, then run {doctor.COMMAND} again.")
    click.echo(f"All {len(findings)} checks passed: every link is in place.")


def register(app):
    app.cli.add_command(doctor_command)
