"""flask --app kiosk ... commands for staff accounts (run on the server by school IT)."""
import sys

import click
from flask import current_app
from flask.cli import with_appcontext

from .. import audit
from ..accounts import qr, users
from ..db import get_db, writing
from ..accounts.users import READER_ROLES, ROLE_NAMES, ROLES, UserError

CLI_ACTOR = "server command line"


def _now():
    return current_app.config["CLOCK"]()


def _password(from_stdin):
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _user(db, email):
    user = users.find_user(db, email)
    if user is None:
        raise click.ClickException(f"there is no user {email}; list-users shows who there is")
    return user


def _log(db, action, user, detail=None):
    audit.record(db, action, at=_now(), actor=CLI_ACTOR, target=f"user:{user['id']}",
                 detail=detail)


def _show_authenticator(user):
    """The otpauth:// link and its QR code, for the person to scan with their phone."""
    from ..staff.admin import issuer
    uri = users.authenticator_uri(user, issuer())
    click.echo("They log in with their password and a code from an authenticator app.\n"
               "Scan this with the app on their phone, or type the key into it:")
    click.echo(qr.terminal(uri))
    click.echo(f"Key: {user['totp_secret']}")
    click.echo(uri)


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What they may do.")
@click.option("--name", default="", help="Their name, as colleagues know them.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of prompting.")
def create_user_command(email, role, name, password_stdin):
    """Create a staff account, e.g. create-user dsl@school.example --role dsl."""
    db = get_db()
    try:
        with writing(db):
            user = users.create_user(db, email, _password(password_stdin), role, name, _now())
            _log(db, "user.created", user, {"role": role})
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Created {user['email']} with role {user['role']} ({ROLE_NAMES[role]}).")
    if role in READER_ROLES:
        _show_authenticator(user)


@click.command("list-users")
@with_appcontext
def list_users_command():
    """Every account: email, role, and whether it is switched off or locked."""
    for user in users.list_users(get_db()):
        state = "switched off" if not user["active"] else (
            "locked" if user["locked_until"] and user["locked_until"] > _now().isoformat()
            else "active")
        if user["active"] and user["failed_logins"]:  # failures slow logins, never lock
            state += f", {user['failed_logins']} failed logins"
        click.echo(f"{user['email']}\t{user['role']}\t{state}")


@click.command("set-role")
@with_appcontext
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
def set_role_command(email, role):
    """Change someone's role; they are logged out everywhere."""
    db = get_db()
    with writing(db):
        user = users.set_role(db, _user(db, email)["id"], role, _now())
        _log(db, "user.role_changed", user, {"role": role})
    click.echo(f"{user['email']} is now {ROLE_NAMES[role]} and was logged out everywhere.")
    if role in READER_ROLES and not user["totp_last_step"]:
        _show_authenticator(user)


@click.command("set-password")
@with_appcontext
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def set_password_command(email, password_stdin):
    """Set a new password (a forgotten one); they are logged out everywhere."""
    db = get_db()
    try:
        with writing(db):
            user = _user(db, email)
            users.set_password(db, user["id"], _password(password_stdin), _now())
            _log(db, "user.password_set", user)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"New password set for {user['email']}; logged out everywhere.")


@click.command("reset-authenticator")
@with_appcontext
@click.argument("email")
def reset_authenticator_command(email):
    """A new authenticator key (a lost or replaced phone); the old one stops working."""
    db = get_db()
    try:
        with writing(db):
            user = users.reset_authenticator(db, _user(db, email)["id"], _now())
            _log(db, "user.authenticator_reset", user)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    _show_authenticator(user)


@click.command("unlock-user")
@with_appcontext
@click.argument("email")
def unlock_user_command(email):
    """Let a locked-out account try again now."""
    db = get_db()
    with writing(db):
        user = _user(db, email)
        users.unlock(db, user["id"])
        _log(db, "user.unlocked", user)
    click.echo(f"{user['email']} is unlocked.")


def register(app):
    for command in (create_user_command, list_users_command, set_role_command,
                    set_password_command, reset_authenticator_command, unlock_user_command):
        app.cli.add_command(command)
