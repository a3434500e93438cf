"""Fixtures: a fresh app on a real SQLite file in a temporary instance folder per test."""
import uuid
from datetime import datetime, timezone

import pytest

from kiosk import create_app
from kiosk.db import get_db
from kiosk.extensions import socketio
from kiosk.users import create_user

DSL_EMAIL, DSL_PASSWORD = "dsl@school.example", "a long test password"
# Wednesday 18 November 2026, 10:30 in London (GMT): a school day before the cut-off.
SCHOOL_MORNING = datetime(2026, 11, 18, 10, 30, tzinfo=timezone.utc)


class Clock:
    """A clock tests can set; the app reads the time only through it."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock(SCHOOL_MORNING)


@pytest.fixture
def app(tmp_path, monkeypatch, clock):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app({"TESTING": True, "CLOCK": clock})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    with app.app_context():
        yield get_db()


@pytest.fixture
def dsl(app):
    with app.app_context():
        return create_user(get_db(), DSL_EMAIL, DSL_PASSWORD, "dsl")


def csrf_from(response):
    """The CSRF token a page put in its form."""
    html = response.get_data(as_text=True)
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def log_in(client, email=DSL_EMAIL, password=DSL_PASSWORD):
    token = csrf_from(client.get("/staff/login"))
    return client.post("/staff/login", data={"email": email, "password": password,
                                             "csrf_token": token})


@pytest.fixture
def staff_client(app, dsl):
    client = app.test_client()
    assert log_in(client).status_code == 302
    return client


@pytest.fixture
def staff_socket(app, staff_client):
    sock = socketio.test_client(app, namespace="/staff", flask_test_client=staff_client)
    assert sock.is_connected("/staff")
    yield sock
    sock.disconnect(namespace="/staff")


def a_report(**answers):
    """A submission as the kiosk sends it."""
    return {"client_id": str(uuid.uuid4()),
            "answers": answers or {"safe": ["yes"], "what": ["unkind"], "when": ["today"]}}
