"""More than one server process on one school's instance folder, joined by a real Redis;
the background jobs start with the first request and run in one process at a time."""
import queue
import sqlite3
import time
import uuid
from pathlib import Path

import pytest
import socketio

from kiosk import create_app, jobs

from bench._redis import another_process, available, running_redis
from bench._server import READY_SECONDS, cookie_header, login, running_server, tail

needs_redis = pytest.mark.skipif(not available(), reason="redis-server is not installed "
                                 "(./setup.sh --test installs it)")
LEADS = "runs the school-wide jobs"


def dashboard(server):
    """A logged-in DSL's Socket.IO client on /staff of one process; its notifications queue."""
    arrivals = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("notification", arrivals.put, namespace="/staff")
    client.connect(server.base_url, namespaces=["/staff"], transports=["websocket"],
                   headers={"Cookie": cookie_header(login(server))}, wait_timeout=10)
    return client, arrivals


def next_new_report(arrivals, seconds=10):
    deadline = time.monotonic() + seconds
    while True:
        found = arrivals.get(timeout=max(deadline - time.monotonic(), 0.01))
        if found["kind"] == "report.new":
            return found


def leaders(*servers):
    return [s for s in servers if LEADS in Path(s.log_path).read_text(errors="replace")]


def wait_for_one_leader(*servers, seconds=READY_SECONDS):
    """The one process that took the school-wide jobs, once one has (read from the logs)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = leaders(*servers)
        if found:
            return found
        time.sleep(0.05)  # a short poll of the log files, not a guess at timing
    raise AssertionError("no process took the jobs:\n" + "\n".join(
        tail(s.log_path) for s in servers))


def report_id(server, client_id):
    conn = sqlite3.connect(Path(server.instance_path) / "kiosk.sqlite3")
    try:
        return conn.execute("SELECT id FROM reports WHERE client_id = ?", [client_id]).fetchone()[0]
    finally:
        conn.close()


def wait_for_backups(server, seconds=READY_SECONDS):
    """The scheduled backups in the instance folder, once there is one."""
    folder, deadline = Path(server.instance_path) / "backups", time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = list(folder.glob("kiosk-*.backup"))
        if found:
            return found
        time.sleep(0.05)  # a short poll of the folder, not a guess at timing
    raise AssertionError("no scheduled backup was taken")


@needs_redis
def test_two_processes_share_live_events_and_run_the_school_wide_jobs_once(tmp_path):
    """Two real server processes on one instance folder and a real redis-server: a report
    sent to one reaches a dashboard on the other; the escalation ladder, outbox and backup
    schedule run in one of them, and move to the other when it is killed. One test, not
    three, because each server takes a few seconds to start (20 to 30 s in all)."""
    with running_redis(tmp_path) as url, \
            running_server(config={"REDIS_URL": url}) as first, another_process(first) as second:
        client, arrivals = dashboard(second)
        try:
            kiosk, client_id = first.kiosk_session(), str(uuid.uuid4())
            answer = kiosk.post(first.base_url + "/api/reports", timeout=10, json={
                "client_id": client_id, "answers": {"safe": ["yes"],
                                                           "what": ["unkind"],
                                                           "when": ["today"]}})
            assert answer.status_code == 201
            arrived = next_new_report(arrivals)
            assert arrived["payload"]["kiosk"] == "Kiosk 1"
            assert arrived["report_id"] == report_id(first, client_id)
        finally:
            client.disconnect()

        leading = wait_for_one_leader(first, second)
        assert len(leading) == 1
        assert len(wait_for_backups(first)) == 1  # the schedule's first backup, taken once
        leading[0].kill()
        survivor = second if leading[0] is first else first
        assert wait_for_one_leader(survivor) == [survivor]


def jobs_app(clock):
    """An app that starts its background jobs, as a server's does (no scheduled backups)."""
    return create_app({"TESTING": True, "CLOCK": clock, "VOSK_MODEL": "",
                       "BACKGROUND_JOBS": True, "BACKUP_EVERY_HOURS": 0})


def test_a_test_app_starts_no_background_jobs(app):
    assert app.test_client().get("/kiosk").status_code in (200, 403)
    assert jobs.EXTENSION not in app.extensions


def test_jobs_start_with_the_first_request_and_one_of_two_apps_leads(tmp_path, monkeypatch,
                                                                     clock):
    """Two apps on one instance folder (as two processes would be): the first request
    starts each one's jobs; one runs the school-wide jobs, the other takes over when the
    first stops."""
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    first, second = jobs_app(clock), jobs_app(clock)
    try:
        assert jobs.EXTENSION not in first.extensions  # nothing before a request
        first.test_client().get("/kiosk")
        assert first.extensions[jobs.EXTENSION].leading.wait(10)
        second.test_client().get("/kiosk")
        waiting = second.extensions[jobs.EXTENSION]
        assert not waiting.leading.wait(jobs.RETRY_SECONDS * 1.5)  # it tried, and waits
        jobs.stop(first)
        assert waiting.leading.wait(10)
    finally:
        jobs.stop(first)
        jobs.stop(second)
