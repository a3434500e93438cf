"""bin/kiosk service ...: run the kiosk as a systemd service, as its own user.

`service unit` prints the unit; `service install` (as root) makes the user and the
instance folder outside the code, writes the unit and tells systemd, so the server starts
at boot and again after a crash, and logs to the journal.
"""
import os
import pwd
import shlex
import shutil
import subprocess
from pathlib import Path

import click
from flask.cli import AppGroup

from ..defaults import PROJECT_ROOT

NAME = "worry-kiosk"
UNIT_FOLDER = "/etc/systemd/system"
ENV_FILE = PROJECT_ROOT / ".service.env"  # read by bin/kiosk: the same folder and user


def unit_text(*, name, user, instance, run_arguments, root=None):
    """The systemd unit: the server as `user` on `instance`, restarted when it fails."""
    command = " ".join(shlex.quote(part) for part in
                       [str(Path(root or PROJECT_ROOT) / "bin" / "kiosk"), "run",
                        *run_arguments])
    return f"""\
# Written by bin/kiosk service install. Logs: journalctl -u {name}
[Unit]
Description=Worry kiosk: pupils' reports to the school's safeguarding lead
After=network-online.target
Wants=network-online.target

[Service]
# gunicorn tells systemd when it listens.
Type=notify
NotifyAccess=main
User={user}
Group={user}
Environment=KIOSK_INSTANCE_PATH={instance}
Environment=PYTHONUNBUFFERED=1
WorkingDirectory={instance}
ExecStart={command}
Restart=on-failure
RestartSec=5
TimeoutStopSec=20
UMask=0027
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=full
ReadWritePaths={instance}

[Install]
WantedBy=multi-user.target
"""


def _run_arguments(host, port, https, tls_names):
    """run.py's options for the unit's command line."""
    arguments = ["--host", host, "--port", str(port)]
    if https:
        arguments.append("--https")
        for name in tls_names:
            arguments += ["--tls-name", name]
    return arguments


def _make_user(user, instance):
    """A system account with no login and no password, unless it exists."""
    try:
        pwd.getpwnam(user)
        return False
    except KeyError:
        pass
    subprocess.run(["useradd", "--system", "--user-group", "--home-dir", str(instance),
                    "--no-create-home", "--shell", "/usr/sbin/nologin", user], check=True)
    return True


def _make_instance(instance, user, copy_from):
    """The instance folder, the service user's alone; the present one copied in if asked."""
    instance = Path(instance)
    if copy_from and not (instance / "kiosk.sqlite3").exists():
        shutil.copytree(copy_from, instance, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*.tmp", "listening.json"))
    instance.mkdir(parents=True, exist_ok=True)
    entry = pwd.getpwnam(user)
    for folder, _, files in os.walk(instance):
        for path in [folder, *(os.path.join(folder, f) for f in files)]:
            os.chown(path, entry.pw_uid, entry.pw_gid)
    instance.chmod(0o750)


service_group = AppGroup("service", help="Run the kiosk as a systemd service.")


def _options(command):
    """The options `unit` and `install` share."""
    for option in reversed([
            click.option("--name", default=NAME, show_default=True, help="The unit's name."),
            click.option("--user", default=NAME, show_default=True,
                         help="The account the server runs as (made if missing)."),
            click.option("--instance", default=f"/var/lib/{NAME}", show_default=True,
                         help="The instance folder: database, keys, speech cache, config.py."),
            click.option("--host", default="0.0.0.0", show_default=True,
                         help="Address to listen on (127.0.0.1 behind a reverse proxy)."),
            click.option("--port", default=5000, show_default=True, type=int),
            click.option("--https", is_flag=True, help="Serve HTTPS with the kiosk's own CA."),
            click.option("--tls-name", multiple=True, metavar="NAME",
                         help="Extra certificate name (repeatable), as for run.py.")]):
        command = option(command)
    return command


@service_group.command("unit")
@_options
def unit_command(name, user, instance, host, port, https, tls_name):
    """Print the systemd unit that `service install` would write."""
    click.echo(unit_text(name=name, user=user, instance=os.path.abspath(instance),
                         run_arguments=_run_arguments(host, port, https, tls_name)), nl=False)


@service_group.command("install")
@_options
@click.option("--copy-instance", is_flag=True,
              help="Copy this checkout's instance/ folder (accounts, kiosks, reports) into "
                   "the new one, if that has no database yet.")
@click.option("--start", is_flag=True, help="Also enable the service and start it now.")
def install_command(name, user, instance, host, port, https, tls_name, copy_instance, start):
    """Make the user and instance folder, write the unit and tell systemd (as root)."""
    if os.geteuid() != 0:
        raise click.ClickException("service install makes a user and writes to "
                                   f"{UNIT_FOLDER}: run it as root (sudo).")
    instance = os.path.abspath(instance)
    if Path(instance).resolve().is_relative_to(PROJECT_ROOT):
        raise click.ClickException(f"{instance} is inside the code folder: choose a folder "
                                   f"outside it, such as /var/lib/{NAME}.")
    made = _make_user(user, instance)
    readable = subprocess.run(["runuser", "-u", user, "--", "test", "-r",
                               str(PROJECT_ROOT / ".venv" / "bin" / "python")])
    if readable.returncode != 0:
        raise click.ClickException(f"{user} cannot read {PROJECT_ROOT}: put the kiosk's "
                                   "code where every account may read it, such as "
                                   f"/opt/{NAME}, run setup.sh there, and install again.")
    _make_instance(instance, user, PROJECT_ROOT / "instance" if copy_instance else None)
    unit_path = Path(UNIT_FOLDER) / f"{name}.service"
    unit_path.write_text(unit_text(name=name, user=user, instance=instance,
                                   run_arguments=_run_arguments(host, port, https, tls_name),
                                   root=PROJECT_ROOT))
    ENV_FILE.write_text(f"KIOSK_INSTANCE_PATH={shlex.quote(instance)}\n"
                        f"KIOSK_SERVICE_USER={shlex.quote(user)}\n")
    click.echo(f"{'Made' if made else 'Using'} the user {user}; instance folder {instance}; "
               f"wrote {unit_path}.")
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        click.echo("systemctl is not here: start the service once this machine runs systemd.")
        return
    subprocess.run([systemctl, "daemon-reload"], check=True)
    if start:
        subprocess.run([systemctl, "enable", "--now", name], check=True)
        click.echo(f"Started {name}; it starts again at boot and after a failure.")
    else:
        click.echo(f"Start it, now and at every boot: systemctl enable --now {name}")
    click.echo(f"Logs: journalctl -u {name} -f. Commands now use {instance} as {user}: "
               f"sudo {PROJECT_ROOT}/bin/kiosk doctor")


def register(app):
    """Add the service commands to the app's CLI."""
    app.cli.add_command(service_group)
