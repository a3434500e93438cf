"""flask --app kiosk escalation ...: run the escalation ladder by hand."""
import click
from flask import current_app
from flask.cli import AppGroup

from .db import get_db
from .escalation import check, due_steps


@click.group("escalation", cls=AppGroup)
def escalation_group():
    """The escalation ladder for reports not acknowledged in time."""


@escalation_group.command("check")
@click.option("--dry-run", is_flag=True, help="Only list the steps that are due; take none.")
def check_command(dry_run):
    """Take every escalation step now due (the server does this on its own) and say what."""
    db = get_db()
    if dry_run:
        steps = due_steps(db, current_app.config["CLOCK"](), current_app.config["ESCALATION"])
        for step in steps:
            click.echo(f"Report {step.report['id']}: due to go to {step.role_name} "
                       f"(step {step.number}).")
        click.echo(f"{len(steps)} step(s) due." if steps else "Nothing is due.")
        return
    done = check(current_app, db)
    for step in done:
        click.echo(f"Report {step['report_id']}: escalated to {step['role_name']} "
                   f"(step {step['step']}); {_emailed(step)}")
    click.echo(f"{len(done)} step(s) taken." if done else "Nothing to escalate.")


def _emailed(step):
    if step["emailed"] is None:
        return "email is off, dashboards only."
    if step["email_error"]:
        return f"email failed after {step['emailed']} sent: {step['email_error']}"
    return f"emailed {step['emailed']}."


def register(app):
    app.cli.add_command(escalation_group)
