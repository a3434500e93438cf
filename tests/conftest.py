"""Fixtures: a fresh app on a real SQLite file in a temporary instance folder per test."""
import os
import shutil

import pytest

from kiosk import PROJECT_ROOT, create_app
from kiosk.db import get_db
from kiosk.extensions import socketio
from kiosk.content.symbols import Symbols
from kiosk.accounts.users import create_user

from bench._server import SHARED_SPEECH_CACHE
from helpers import DSL_EMAIL, DSL_PASSWORD, SCHOOL_MORNING, Clock, kiosk_device, log_in
from smtp_inbox import running_inbox

# The longest files (minutes of real speech recognition, many browser pages) start
# first, so the workers finish together instead of one waiting on a late long file.
LONGEST_FIRST = ("test_voice_accuracy.py", "test_accessibility.py", "test_access.py",
                 "test_voice_journey.py", "test_dashboard_alerts.py", "test_load.py",
                 "test_vosk_real.py", "test_journey.py")


@pytest.fixture(scope="session", autouse=True)
def speech_rendered_once(tmp_path_factory, worker_id):
    """Test servers share one speech cache (bench/_server.py): each phrase is rendered
    once a run, by whichever server needs it first, even across workers."""
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # the run's folder, above each worker's own
    os.environ[SHARED_SPEECH_CACHE] = str(root / "speech-cache")
    yield
    os.environ.pop(SHARED_SPEECH_CACHE, None)


def pytest_collection_modifyitems(items):
    """Run the files of LONGEST_FIRST first, in that order; the rest keep theirs."""
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))




@pytest.fixture
def clock():
    return Clock(SCHOOL_MORNING)


@pytest.fixture
def app(tmp_path, monkeypatch, clock):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    # VOSK_MODEL empty: the suite hears with pocketsphinx even where KIOSK_VOSK_MODEL is set.
    return create_app({"TESTING": True, "CLOCK": clock, "VOSK_MODEL": ""})


@pytest.fixture
def content_dir(tmp_path):
    """A copy of the default content that a test may break."""
    target = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "content", target)
    return target


@pytest.fixture
def symbols():
    return Symbols(PROJECT_ROOT / "symbols")


@pytest.fixture
def client(app):
    """A kiosk device, enrolled as "Test kiosk" through the real enrolment form."""
    return kiosk_device(app, "Test kiosk")


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
    if sock.is_connected("/staff"):  # a test may have seen the server close it
        sock.disconnect(namespace="/staff")


@pytest.fixture
def inbox():
    """A real local SMTP server (aiosmtpd) keeping what it is sent; `.port` is its port."""
    with running_inbox() as box:
        yield box
