"""The production server (run.py under gunicorn): its log lines, where it says it listens,
the links made from that, and no process left behind when it is killed."""
import json
import os
import re
import time
from pathlib import Path

import pytest
import requests

from bench._server import flask_command, running_server
from kiosk import addresses
from kiosk.safeguarding import email_text

SCHOOL_ADDRESS = "192.0.2.20"  # an address on a school network (documentation range)


@pytest.fixture(scope="module")
def server():
    """One real server for the module: starting one takes a few seconds."""
    with running_server(with_dsl=False) as running:
        yield running


def log_of(server):
    return Path(server.log_path).read_text()


def log_once_it_has(server, pattern, seconds=10):
    """The server's log once a line matches: gunicorn writes a request's access line
    just after the answer has gone, so the client can be a moment ahead of it."""
    deadline = time.monotonic() + seconds
    while not re.search(pattern, log := log_of(server)) and time.monotonic() < deadline:
        time.sleep(0.05)  # a short poll of the log file, not a guess at timing
    return log


def test_the_log_is_plain_lines_with_each_request_but_never_its_query(server):
    code = server.kiosk_code()
    answer = requests.get(server.base_url + "/enrol", params={"code": code}, timeout=10)
    assert answer.status_code == 200
    line = (r'INFO access: client=127\.0\.0\.1 method=GET path="/enrol" status=200 '
            r'bytes=\d+ ms=\d+')
    log = log_once_it_has(server, line)
    assert re.search(line, log)
    assert code not in log  # enrolment codes travel in query strings
    assert "\x1b[" not in log  # no colours for the journal
    assert "development server" not in log.lower()
    assert "INFO server: Using worker: gthread" in log


def test_the_server_records_where_it_listens_and_create_kiosk_links_there(server):
    recorded = json.loads((Path(server.instance_path) / addresses.RECORD).read_text())
    assert recorded["scheme"] == "http" and recorded["host"] == "127.0.0.1"
    assert recorded["port"] == server.port
    printed = flask_command(server.instance_path, "create-kiosk", "Library iPad")
    link = re.search(r"^Link: (\S+)$", printed, re.MULTILINE).group(1)
    assert link.startswith(f"{server.base_url}/enrol?code=")
    page = requests.get(link, timeout=10)  # the link opens the enrolment page
    assert page.status_code == 200 and "Library iPad" in page.text


def test_a_killed_server_leaves_no_worker_holding_its_port(server):
    """SIGKILL reaches only gunicorn's master; its worker must not live on as an orphan."""
    workers = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    worker = int(workers.read_text().split()[0])
    server.kill()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{worker}").exists() and _state(worker) != "Z":
        assert time.monotonic() < deadline, "the worker outlived its master"
        time.sleep(0.02)  # polling the process table for the state, not guessing a time
    server.start()  # the same port at once
    assert requests.get(server.base_url + "/kiosk", timeout=10).status_code == 200


def _state(pid):
    """A process's state letter (Z: a zombie, already dead)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


# ---------------------------------------------------------------- links without a server

def record_server(app, scheme, host, port):
    """What a running server of this instance would have recorded (this process stands in
    for it, so the record counts as running)."""
    facts = addresses.record(app.instance_path, scheme, host, port)
    assert facts["pid"] == os.getpid()
    return facts


def test_create_kiosk_links_to_where_an_https_server_listens(app, runner, monkeypatch):
    monkeypatch.setattr(addresses, "lan_address", lambda: SCHOOL_ADDRESS)
    record_server(app, "https", "0.0.0.0", 8443)
    result = runner.invoke(args=["create-kiosk", "Hall kiosk"])
    assert f"Link: https://{SCHOOL_ADDRESS}:8443/enrol?code=" in result.output


def test_base_url_wins_over_where_the_server_listens(app, runner):
    record_server(app, "http", "0.0.0.0", 5000)
    app.config["BASE_URL"] = "https://kiosk.school.example/"
    result = runner.invoke(args=["create-kiosk", "Hall kiosk"])
    assert "Link: https://kiosk.school.example/enrol?code=" in result.output


def test_create_kiosk_before_any_server_says_its_link_is_a_guess(runner):
    result = runner.invoke(args=["create-kiosk", "Hall kiosk"])
    assert re.search(r"Link: http://\S+:5000/enrol\?code=", result.output)
    assert "The server has not started yet" in result.output


def doctor_address(runner):
    """The doctor's line (and fix) for BASE_URL."""
    out = runner.invoke(args=["doctor", "--no-email"]).output
    return out.split("The address kiosks use (BASE_URL): ", 1)[1].split("\n", 2)


@pytest.mark.parametrize("base_url, problem", [
    ("https://192.0.2.20:5000", "BASE_URL starts https:// but the server serves http://"),
    ("http://192.0.2.20:8080", "BASE_URL names port 8080 but the server listens on "
                               "http://0.0.0.0:5000"),
])
def test_the_doctor_says_when_base_url_and_the_server_disagree(app, runner, base_url, problem):
    record_server(app, "http", "0.0.0.0", 5000)
    app.config["BASE_URL"] = base_url
    found, fix, _ = doctor_address(runner)
    assert found.startswith("BASE_URL and the server disagree: " + problem)
    assert 'Set BASE_URL = "http://' in fix


def test_behind_a_proxy_base_url_is_the_proxys_address(app, runner):
    record_server(app, "http", "127.0.0.1", 5000)
    app.config.update(BASE_URL="https://kiosk.school.example", PROXY_HOPS=1)
    found, _, _ = doctor_address(runner)
    assert "disagree" not in found


def test_without_base_url_the_doctor_accepts_the_servers_school_address(app, runner,
                                                                         monkeypatch):
    monkeypatch.setattr(addresses, "lan_address", lambda: SCHOOL_ADDRESS)
    record_server(app, "http", "0.0.0.0", 5000)
    found, _, _ = doctor_address(runner)
    assert found.startswith(f"BASE_URL is not set: links use http://{SCHOOL_ADDRESS}:5000")


def test_emails_link_to_where_the_server_listens_when_base_url_is_not_set(app):
    report = {"id": 7, "urgency": "urgent", "created_at": "2026-11-18T10:00:00+00:00",
              "due_at": "2026-11-18T10:10:00+00:00"}
    config = dict(app.config, LISTEN_URL=f"http://{SCHOOL_ADDRESS}:5000")
    _, body = email_text.report_escalation(report, 1, "deputy DSL", config)
    assert f"Open the report: http://{SCHOOL_ADDRESS}:5000/staff/reports/7" in body
