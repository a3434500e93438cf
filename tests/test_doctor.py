"""flask --app kiosk doctor: every link from a pupil's tap to a person who acts, or its fix."""
import socket
import threading
import time
from datetime import timedelta

import pytest
from flask import render_template
from werkzeug.serving import make_server

import run
from kiosk import PROJECT_ROOT, doctor
from kiosk.cli.doctor import doctor_command

from helpers import kiosk_device, log_in
from smtp_inbox import free_port, running_inbox, smtp

PASSWORD = "a long test password"
TEAM = {"dsl": "dsl@school.example", "deputy": "deputy@school.example",
        "head": "head@school.example"}
# Every gap a fresh install has, by the title the doctor prints, and a piece of its fix.
FRESH_GAPS = {
    "Designated Safeguarding Lead": "flask --app kiosk create-user dsl@your.school --role dsl",
    "Deputy DSL": "flask --app kiosk create-user deputy@your.school --role deputy",
    "Head teacher": "flask --app kiosk create-user head@your.school --role head",
    "Email (SMTP)": "Set SMTP in instance/config.py",
    "The address kiosks use (BASE_URL)": "Set BASE_URL = \"http://",
    "Kiosks": 'flask --app kiosk create-kiosk "Library kiosk" --place Library',
    "Staff PIN": "flask --app kiosk set-staff-pin",
    "Backup": "flask --app kiosk backup ",
}
FLASK_OWN = {"routes", "run", "shell"}  # Flask's own commands, documented by Flask


def gaps_in(output):
    """{title: fix} for each GAP line the doctor printed (its fix is on the next line)."""
    lines = output.splitlines()
    return {line[5:].split(": ", 1)[0]: lines[i + 1].strip().removeprefix("Fix: ")
            for i, line in enumerate(lines) if line.startswith("GAP  ")}


@pytest.fixture(autouse=True)
def small_disk_limits(app):
    """The test machine's own free space is not under test (but test_low_disk_space is)."""
    app.config.update(DISK_MIN_FREE_MB=1, DISK_MIN_FREE_PERCENT=0)


@pytest.fixture
def inbox(app):
    """A real local SMTP server, set as the app's SMTP."""
    with running_inbox() as box:
        app.config["SMTP"] = smtp(box.port)
        yield box


@pytest.fixture
def live_server(app):
    """The app served over real HTTP at this machine's name, which is not a loopback literal.

    BASE_URL=http://127.0.0.1:... is rightly a gap (an iPad cannot open it), so the server
    listens on the address this machine's own name resolves to, and BASE_URL uses the name."""
    name = socket.gethostname()
    server = make_server(socket.gethostbyname(name), 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{name}:{server.server_port}"
    server.shutdown()
    thread.join()


def make_team(runner, app):
    """The DSL, a deputy and the head, each created by the command and logged in once."""
    for role, address in TEAM.items():
        result = runner.invoke(args=["create-user", address, "--role", role, "--password-stdin"],
                               input=PASSWORD + "\n")
        assert result.exit_code == 0, result.output
        assert log_in(app.test_client(), address, PASSWORD).status_code == 302


def set_pin(runner):
    result = runner.invoke(args=["set-staff-pin", "--pin-stdin"], input="482913\n")
    assert result.exit_code == 0, result.output


def back_up(runner, tmp_path, name="backup.sqlite3"):
    result = runner.invoke(args=["backup", str(tmp_path / name)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def ready(app, runner, inbox, live_server, tmp_path):
    """Every link in place: accounts with two-factor, a kiosk, the PIN, email, BASE_URL, a backup."""
    make_team(runner, app)
    kiosk_device(app, "Library kiosk", place="Library")
    set_pin(runner)
    app.config["BASE_URL"] = live_server
    back_up(runner, tmp_path)
    return inbox


def test_a_fresh_install_names_every_gap_and_its_fix(runner):
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    found = gaps_in(result.output)
    assert set(found) == set(FRESH_GAPS)
    for title, fix in FRESH_GAPS.items():
        assert fix in found[title], (title, found[title])
    assert "Error: 8 gaps: the chain is not complete" in result.output


def test_the_complete_chain_passes_and_the_team_gets_a_content_free_test_message(runner, ready):
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 0, result.output
    assert "GAP" not in result.output
    assert "All 9 checks passed: every link is in place." in result.output
    # It says where the test message went, and the server really took one for each.
    assert f"accepted a test message to {', '.join(TEAM.values())}" in result.output
    assert sorted(to for tos, _ in ready.messages for to in tos) == sorted(TEAM.values())
    message = ready.messages[0][1]
    assert message["Subject"] == "Worry kiosk: test message"
    assert "It carries no report." in message.get_content()
    assert "OK   Kiosks: 1 enrolled: Library kiosk" in result.output
    assert "/kiosk answers" in result.output


def test_to_sends_the_test_message_to_that_address_only(runner, app, inbox):
    result = runner.invoke(args=["doctor", "--to", "it@school.example"])
    assert "accepted a test message to it@school.example" in result.output
    assert [tos for tos, _ in inbox.messages] == [["it@school.example"]]
    refused = runner.invoke(args=["doctor", "--to", "not an address"])
    assert refused.exit_code == 2 and "'not an address' is not an email address" in refused.output
    both = runner.invoke(args=["doctor", "--no-email", "--to", "it@school.example"])
    assert both.exit_code == 2 and "use one or the other" in both.output


def test_a_refusing_smtp_server_is_a_named_gap(runner, inbox):
    inbox.refuse["dsl@school.example"] = "550 5.1.1 No mailbox here by that name"
    result = runner.invoke(args=["doctor", "--to", "dsl@school.example"])
    assert result.exit_code == 1
    problem = next(line for line in result.output.splitlines() if "Email (SMTP)" in line)
    port = runner.app.config["SMTP"]["port"]
    assert (f"The SMTP server did not accept the test message: the SMTP server at "
            f"127.0.0.1:{port} refused dsl@school.example") in problem
    assert "Check SMTP in instance/config.py" in gaps_in(result.output)["Email (SMTP)"]
    assert inbox.messages == []


def test_the_dashboard_reuses_the_last_email_test_and_sends_nothing(app, db, runner, inbox):
    [email_gap] = [g for g in doctor.dashboard_gaps(app, db) if g.key == "email"]
    assert "not checked yet" in email_gap.problem
    assert email_gap.fix.startswith("Run flask --app kiosk doctor")

    runner.invoke(args=["doctor", "--to", "it@school.example"])
    assert len(inbox.messages) == 1
    assert "email" not in {g.key for g in doctor.dashboard_gaps(app, db)}
    assert not any(f.key == "email" and not f.ok
                   for f in doctor.run_checks(app, db, network=False))
    assert len(inbox.messages) == 1  # the cheap checks sent nothing

    # A test through another server says nothing about this one.
    app.config["SMTP"] = {**app.config["SMTP"], "port": free_port()}
    [email_gap] = [g for g in doctor.dashboard_gaps(app, db) if g.key == "email"]
    assert "not checked yet" in email_gap.problem


def test_no_email_sends_nothing_and_shows_the_last_test_with_its_time(runner, inbox):
    runner.invoke(args=["doctor", "--to", "it@school.example"])
    result = runner.invoke(args=["doctor", "--no-email"])
    assert len(inbox.messages) == 1
    assert "accepted a test message to it@school.example (tested Wed 18 Nov 2026 10:30)" \
        in result.output


def test_smtp_setting_that_cannot_work_is_a_gap_without_sending(runner, app):
    app.config["SMTP"] = {"host": "127.0.0.1", "port": free_port()}
    result = runner.invoke(args=["doctor"])
    assert result.exit_code == 1
    assert "The SMTP setting cannot work: the SMTP setting has no 'from'." in result.output


@pytest.mark.parametrize("base_url, problem", [
    ("http://127.0.0.1:5000", "BASE_URL http://127.0.0.1:5000 is this machine only"),
    ("http://localhost:5000", "BASE_URL http://localhost:5000 is this machine only"),
    ("kiosk.school.example", "BASE_URL 'kiosk.school.example' is not a web address."),
])
def test_a_base_url_ipads_cannot_open_is_a_gap(runner, app, base_url, problem):
    app.config["BASE_URL"] = base_url
    result = runner.invoke(args=["doctor", "--no-email"])
    assert problem in result.output
    assert "Set BASE_URL = " in gaps_in(result.output)["The address kiosks use (BASE_URL)"]


def test_a_base_url_where_nothing_answers_is_a_gap_with_how_to_start_the_server(runner, app):
    base = f"http://{socket.gethostname()}:{free_port()}"
    app.config["BASE_URL"] = base
    result = runner.invoke(args=["doctor", "--no-email"])
    assert f"Nothing answered at {base}/kiosk" in result.output
    assert "python3 run.py --host 0.0.0.0" in gaps_in(result.output)[
        "The address kiosks use (BASE_URL)"]


def test_listening_on_this_machine_only_is_a_gap(runner):
    result = runner.invoke(args=["doctor", "--no-email", "--host", "127.0.0.1"])
    assert "The server listens on 127.0.0.1 only" in result.output
    assert gaps_in(result.output)["Where the server listens"].startswith(
        "Start it with python3 run.py --host 0.0.0.0")
    assert "OK   Where the server listens: listening on 0.0.0.0" in runner.invoke(
        args=["doctor", "--no-email", "--host", "0.0.0.0"]).output


def test_two_factor_never_used_is_a_gap(runner, app):
    result = runner.invoke(args=["create-user", TEAM["deputy"], "--role", "deputy",
                                 "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0
    fix = gaps_in(runner.invoke(args=["doctor", "--no-email"]).output)["Deputy DSL"]
    assert f"reset-authenticator {TEAM['deputy']}" in fix
    assert log_in(app.test_client(), TEAM["deputy"], PASSWORD).status_code == 302
    assert "Deputy DSL" not in gaps_in(runner.invoke(args=["doctor", "--no-email"]).output)


def test_a_switched_off_account_does_not_count(runner, app, db):
    make_team(runner, app)
    db["users"].update(next(db["users"].rows_where("role = ?", ["head"]))["id"], {"active": 0})
    assert "No active Head teacher account" in runner.invoke(args=["doctor", "--no-email"]).output


def test_a_kiosk_waiting_for_its_device_says_so(runner):
    runner.invoke(args=["create-kiosk", "Hall iPad", "--place", "Hall"])
    fix = gaps_in(runner.invoke(args=["doctor", "--no-email"]).output)["Kiosks"]
    assert 'flask --app kiosk enrol-code "Hall iPad"' in fix


def test_a_revoked_kiosk_does_not_count(runner, app):
    kiosk_device(app, "Lost iPad")
    assert "Kiosks" not in gaps_in(runner.invoke(args=["doctor", "--no-email"]).output)
    runner.invoke(args=["revoke-kiosk", "Lost iPad"])
    assert "Kiosks" in gaps_in(runner.invoke(args=["doctor", "--no-email"]).output)


def test_the_backup_is_recorded_and_goes_stale(runner, app, db, clock, tmp_path):
    back_up(runner, tmp_path)
    assert "Backup" not in gaps_in(runner.invoke(args=["doctor", "--no-email"]).output)
    last = doctor.checks.get_setting(db, doctor.checks.BACKUP_SETTING)
    assert last["path"] == str((tmp_path / "backup.sqlite3").resolve())
    assert last["size"] == (tmp_path / "backup.sqlite3").stat().st_size > 0
    assert last["at"] == clock.now.isoformat()
    clock.now += timedelta(hours=27)
    result = runner.invoke(args=["doctor", "--no-email"])
    assert "The last backup is 27 hours old" in result.output
    assert "BACKUP_MAX_AGE_HOURS is 26" in result.output


def test_backup_into_a_missing_folder_says_how_to_make_it(runner, tmp_path):
    target = tmp_path / "no-such-folder" / "kiosk.sqlite3"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 1
    assert f"there is no folder {target.parent}: make it first (mkdir -p {target.parent})" \
        in result.output


def test_low_disk_space_is_a_gap(runner, app):
    app.config["DISK_MIN_FREE_PERCENT"] = 100  # never met: any disk holds something
    fix = gaps_in(runner.invoke(args=["doctor", "--no-email"]).output)["Disk space"]
    assert "KIOSK_INSTANCE_PATH" in fix and "DISK_MIN_FREE_PERCENT" in fix


def test_the_banner_shows_each_gap_and_fix_as_text(app, db, runner):
    runner.invoke(args=["create-kiosk", "<b>Hall</b> iPad"])
    with app.test_request_context():
        html = render_template("staff/_chain_banner.html",
                               chain_gaps=doctor.dashboard_gaps(app, db))
        empty = render_template("staff/_chain_banner.html", chain_gaps=[])
    assert "A report may not reach anyone in time:\n    8 links missing." in html
    for title, fix in FRESH_GAPS.items():
        assert title in html
    assert "Missing: Designated Safeguarding Lead, Deputy DSL, Head teacher, Email (SMTP)," in html
    assert "Fix: flask --app kiosk set-staff-pin" in html
    assert "&lt;b&gt;Hall&lt;/b&gt; iPad" in html and "<b>Hall" not in html
    assert empty.strip() == ""


def test_the_dashboard_gaps_are_cheap(app, db):
    started = time.perf_counter()
    doctor.dashboard_gaps(app, db)
    assert time.perf_counter() - started < 0.5


def test_the_dsl_dashboard_shows_the_banner_until_the_chain_is_complete(app, runner, ready):
    dsl = app.test_client()
    assert log_in(dsl, TEAM["dsl"], PASSWORD).status_code == 302
    page = dsl.get("/staff/").get_data(as_text=True)
    assert "A report may not reach anyone in time" in page
    assert "Missing: Email (SMTP)." in page  # set, but no test message has gone yet
    assert runner.invoke(args=["doctor"]).exit_code == 0
    assert "A report may not reach anyone in time" not in dsl.get("/staff/").get_data(
        as_text=True)


def test_run_py_prints_the_gaps_at_start_without_sending(app, inbox, capsys):
    run.print_first_steps(app, "127.0.0.1")
    out = capsys.readouterr().out
    assert "Not ready: 9 gaps between a pupil's tap and a person who acts." in out
    assert "GAP  Where the server listens: The server listens on 127.0.0.1 only" in out
    assert "but not checked yet" in out
    assert "Fix: flask --app kiosk set-staff-pin" in out
    assert inbox.messages == []


def test_every_option_is_documented(runner):
    help_text = runner.invoke(args=["doctor", "--help"]).output
    for param in doctor_command.params:
        assert param.help, param.name
        for opt in param.opts:
            assert opt in help_text


def _commands(group, ctx, prefix=""):
    """Every command a group offers, sub-commands spelled out ("audit verify")."""
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if hasattr(command, "list_commands"):
            yield from _commands(command, ctx, f"{prefix}{name} ")
        else:
            yield prefix + name


def test_the_readme_lists_every_command(app):
    readme = (PROJECT_ROOT / "README.md").read_text()
    listed = readme.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    with app.test_request_context():
        ctx = app.cli.make_context("flask", [], resilient_parsing=True)
        ours = [name for name in _commands(app.cli, ctx) if name not in FLASK_OWN]
    assert "doctor" in ours
    missing = [name for name in ours if f"`{name}" not in listed]
    assert not missing, f"add these to the README's Commands section: {missing}"
