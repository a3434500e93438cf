"""Behind a reverse proxy: PROXY_HOPS says how many proxies' X-Forwarded-* headers to trust.

The audit log must name the address a request really came from: the client's behind one
trusted proxy, and the connecting address when no proxy is trusted (anyone can send the
headers)."""
import re

import requests

from bench._server import running_server
from helpers import SCHOOL_MORNING, Clock, csrf_from, rows
from kiosk import create_app
from kiosk.db import connect


PROXY, PUPIL_PHONE = "127.0.0.1", "10.1.2.3"
FORWARDED = {"X-Forwarded-For": PUPIL_PHONE, "X-Forwarded-Proto": "https"}


def proxied_app(tmp_path, monkeypatch, hops):
    """An app trusting `hops` proxies, on a fresh instance folder."""
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app({"TESTING": True, "CLOCK": Clock(SCHOOL_MORNING), "VOSK_MODEL": "",
                       "PROXY_HOPS": hops})


def failed_login_through_the_proxy(client):
    """A wrong password sent as nginx forwards it: from the proxy, naming the client."""
    token = csrf_from(client.get("/staff/login", environ_base={"REMOTE_ADDR": PROXY},
                                 headers=FORWARDED))
    return client.post("/staff/login", environ_base={"REMOTE_ADDR": PROXY}, headers=FORWARDED,
                       data={"email": "nobody@school.example", "password": "wrong-password-1",
                             "csrf_token": token})


def failed_login_addresses(app):
    return [row["ip"] for row in rows(app, "SELECT ip FROM audit WHERE action = 'login.failed'")]


def test_one_trusted_proxy_the_audit_log_records_the_clients_address(tmp_path, monkeypatch):
    app = proxied_app(tmp_path, monkeypatch, hops=1)
    assert failed_login_through_the_proxy(app.test_client()).status_code == 401
    assert failed_login_addresses(app) == [PUPIL_PHONE]


def test_no_trusted_proxy_the_forwarded_header_is_ignored(tmp_path, monkeypatch):
    app = proxied_app(tmp_path, monkeypatch, hops=0)
    assert failed_login_through_the_proxy(app.test_client()).status_code == 401
    assert failed_login_addresses(app) == [PROXY]


def test_a_spoofed_header_in_front_of_the_proxy_is_not_believed(tmp_path, monkeypatch):
    """nginx appends the address it saw; only that last entry is trusted with one hop."""
    app = proxied_app(tmp_path, monkeypatch, hops=1)
    client = app.test_client()
    token = csrf_from(client.get("/staff/login"))
    client.post("/staff/login", environ_base={"REMOTE_ADDR": PROXY},
                headers={"X-Forwarded-For": f"192.0.2.66, {PUPIL_PHONE}"},
                data={"email": "nobody@school.example", "password": "wrong-password-1",
                      "csrf_token": token})
    assert failed_login_addresses(app) == [PUPIL_PHONE]


def test_the_real_server_behind_one_proxy_records_the_clients_address():
    """run.py (gunicorn) on loopback, with requests playing nginx: the header reaches the
    app through the production server. A few seconds: a real server start."""
    # Only the address: over https the proxy would carry the Secure cookie this http hop
    # cannot.
    forwarded = {"X-Forwarded-For": PUPIL_PHONE}
    with running_server(with_dsl=False, config={"PROXY_HOPS": 1}) as server:
        session = requests.Session()
        form = session.get(server.base_url + "/staff/login", headers=forwarded, timeout=10)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        answer = session.post(server.base_url + "/staff/login", headers=forwarded, timeout=10,
                              data={"email": "nobody@school.example",
                                    "password": "wrong-password-1", "csrf_token": token})
        assert answer.status_code == 401
        db = connect(f"{server.instance_path}/kiosk.sqlite3")
        try:
            found = [row[0] for row in db.execute(
                "SELECT ip FROM audit WHERE action = 'login.failed'")]
        finally:
            db.close()
    assert found == [PUPIL_PHONE]
