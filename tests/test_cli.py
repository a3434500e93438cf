"""Commands school IT runs: every one works non-interactively and fails with a clear fix."""
from kiosk.db import get_db


def test_create_user_reads_password_from_stdin(runner, app):
    result = runner.invoke(args=["create-user", "DSL@School.example", "--role", "dsl",
                                 "--password-stdin"], input="a long test password\n")
    assert result.exit_code == 0, result.output
    assert "Created dsl@school.example with role dsl (Designated Safeguarding Lead)." in result.output
    with app.app_context():
        user = next(get_db().query("SELECT * FROM users"))
    assert user["role"] == "dsl" and user["password_hash"].startswith("scrypt:")


def test_create_user_prompts_when_interactive(runner):
    result = runner.invoke(args=["create-user", "head@school.example", "--role", "head"],
                           input="a long test password\na long test password\n")
    assert result.exit_code == 0, result.output


def run_create(runner, email="x@school.example", role="dsl", password="a long test password"):
    return runner.invoke(args=["create-user", email, "--role", role, "--password-stdin"],
                         input=password + "\n")


def test_short_password_is_refused(runner, app):
    result = run_create(runner, password="short")
    assert result.exit_code == 1
    assert "at least 12 characters" in result.output
    with app.app_context():
        assert get_db()["users"].count == 0


def test_duplicate_user_is_refused(runner):
    run_create(runner)
    result = run_create(runner)
    assert result.exit_code == 1 and "already exists" in result.output


def test_bad_email_and_role_are_refused(runner):
    assert "is not an email address" in run_create(runner, email="not-an-email").output
    result = run_create(runner, role="janitor")
    assert result.exit_code == 2 and "janitor" in result.output


def test_first_run_makes_instance_folder_secret_and_database(app):
    from pathlib import Path
    instance = Path(app.instance_path)
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0
    assert (instance / "kiosk.sqlite3").exists()


def test_migrate_is_repeatable(runner):
    assert runner.invoke(args=["migrate"]).exit_code == 0
    assert runner.invoke(args=["migrate"]).exit_code == 0
