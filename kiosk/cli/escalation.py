"""flask --app kiosk escalation ...: run the escalation ladder by hand."""
import click
from flask import current_app
from flask.cli import AppGroup

from ..db import get_db
from ..safeguarding.escalation import check, due_steps


@click.group("escalation", cls=AppGroup)
def escalation_group():
    """The escalation ladder for reports and "Get an adult" not acknowledged in time."""


@escalation_group.command("check")
@click.option("--dry-run", is_flag=True, help="Only list the steps that are due; take none.")
def check_command(dry_run):
    """Take every escalation step now due (the server does this on its own) and say what."""
    db = get_db()
    if dry_run:
        steps = due_steps(db, current_app.config["CLOCK"](), current_app.config)
        for step in steps:
            click.echo(f"{_what(step.about, step.item['id'])}: due to go to {step.role_name} "
                       f"(step {step.number}).")
        click.echo(f"{len(steps)} step(s) due." if steps else "Nothing is due.")
        return
    done = check(current_app, db)
    for step in done:
        what = _what(step["about"], step["id"])
        if step["nobody"]:
            click.echo(f"{what}: NOBODY TO TELL at step {step['step']} ({step['role_name']}): "
                       f"{step['why']}.")
            continue
        click.echo(f"{what}: escalated to {step['role_name']} (step {step['step']}), told "
                   f"{', '.join(step['told'])}; {_emailed(step)}")
    click.echo(f"{len(done)} step(s) taken." if done else "Nothing to escalate.")


def _what(about, item_id):
    return f"Report {item_id}" if about == "report" else f"Get an adult {item_id}"


def _emailed(step):
    if step["emailed"] is None:
        return "email is not set up, dashboards only."
    if step["email_error"]:
        return (f"emailed {step['sent']} of {len(step['emailed'])}; the rest will be "
                f"tried again: {step['email_error']}")
    return f"emailed {step['sent']}."


def register(app):
    app.cli.add_command(escalation_group)
