"""Many kiosks at once, and a server killed mid-send: every acknowledged report is kept once.

These run the real server (run.py) as a subprocess on loopback, with kiosks enrolled
through the enrolment form and DSL dashboards logged in with password and code.
"""
import sqlite3
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
import requests
import socketio

from bench._server import cookie_header, login, running_server

ANSWERS = {"safe": ["yes"], "what": ["unkind"], "when": ["today"]}
WAIT_SECONDS = 20  # the longest any state below may take to arrive before the test fails


class Dashboard:
    """A DSL's live dashboard: a Socket.IO client on /staff logged in with their cookie."""

    def __init__(self, base_url, staff_session):
        self.report_ids, self.changed = Counter(), threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("notification", self._on_notification, namespace="/staff")
        self.client.connect(base_url, namespaces=["/staff"], transports=["websocket"],
                            headers={"Cookie": cookie_header(staff_session)}, wait_timeout=10)

    def _on_notification(self, data):
        if data.get("kind") == "report.new":
            with self.changed:
                self.report_ids[data["report_id"]] += 1
                self.changed.notify_all()

    def wait_for(self, report_ids):
        """True once every one of report_ids has arrived (within WAIT_SECONDS)."""
        with self.changed:
            return self.changed.wait_for(lambda: set(report_ids) <= set(self.report_ids),
                                         WAIT_SECONDS)


def stored_reports(server):
    """client id -> (report id, how many rows), and report id -> report.new notifications."""
    with sqlite3.connect(Path(server.instance_path) / "kiosk.sqlite3") as conn:
        rows = conn.execute("SELECT client_id, id, count(*) OVER (PARTITION BY client_id) "
                            "FROM reports").fetchall()
        told = Counter(r for (r,) in conn.execute(
            "SELECT report_id FROM notifications WHERE kind = 'report.new'"))
    return {client_id: (report_id, count) for client_id, report_id, count in rows}, told


def send(base_url, kiosk, client_id, timeout=WAIT_SECONDS):
    """One POST /api/reports as a kiosk sends it; returns the HTTP status."""
    return kiosk.post(base_url + "/api/reports", json={"client_id": client_id,
                                                      "answers": ANSWERS},
                      timeout=timeout).status_code


def all_at_once(work):
    """Run each callable in its own thread, released together; returns their results."""
    barrier, results = threading.Barrier(len(work)), [None] * len(work)

    def run(i):
        barrier.wait()
        results[i] = work[i]()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture(scope="module")
def server():
    """One real server for the loopback tests, with a DSL account."""
    with running_server() as running:
        yield running


def test_fifty_kiosks_sending_at_once_are_all_stored_once_and_on_every_dashboard(server):
    kiosks = list(server.kiosk_sessions(50).values())
    dashboards = [Dashboard(server.base_url, login(server)) for _ in range(2)]
    try:
        client_ids = [str(uuid.uuid4()) for _ in kiosks]
        statuses = all_at_once([lambda k=k, c=c: send(server.base_url, k, c)
                                for k, c in zip(kiosks, client_ids)])
        assert Counter(statuses) == {201: 50}  # no 5xx, and none taken for a retry
        stored, told = stored_reports(server)
        assert all(stored[c][1] == 1 for c in client_ids)
        report_ids = {stored[c][0] for c in client_ids}
        assert all(told[r] == 1 for r in report_ids)  # one notification each, stored with it
        for dashboard in dashboards:
            assert dashboard.wait_for(report_ids)
            assert all(dashboard.report_ids[r] == 1 for r in report_ids)
    finally:
        # Together: each client waits up to 3 s for the server's answer to its close.
        all_at_once([dashboard.client.disconnect for dashboard in dashboards])


def test_the_same_send_racing_itself_is_stored_once_and_both_hear_success(server):
    kiosks = list(server.kiosk_sessions(10).values())
    pairs = [(kiosk, str(uuid.uuid4())) for kiosk in kiosks]
    # Each kiosk's send twice at the same moment: a retry overtaking a slow first try.
    work = [lambda k=k, c=c: send(server.base_url, k, c) for k, c in pairs for _ in (1, 2)]
    statuses = all_at_once(work)
    assert Counter(statuses) == {201: 10, 200: 10}
    for first, second in zip(statuses[::2], statuses[1::2]):
        assert {first, second} == {200, 201}
    stored, told = stored_reports(server)
    assert all(stored[c][1] == 1 for _, c in pairs)
    assert all(told[stored[c][0]] == 1 for _, c in pairs)


def test_a_send_waits_for_another_program_holding_the_write_lock(server):
    # A backup or a command line change holds the lock for a second: the kiosk's send
    # waits for it (BEGIN IMMEDIATE with a busy timeout) and is stored, not refused.
    kiosk = next(iter(server.kiosk_sessions(1).values()))
    other = sqlite3.connect(Path(server.instance_path) / "kiosk.sqlite3",
                            isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(1.0, other.execute, ["COMMIT"]).start()  # the other program's work
    try:
        assert send(server.base_url, kiosk, str(uuid.uuid4())) == 201
    finally:
        other.close()


class Kiosks:
    """Kiosks that keep sending and, like kiosk.js, retry an unanswered send under the
    same client id until the server says it is stored."""

    def __init__(self, server, count):
        self.server, self.sessions = server, list(server.kiosk_sessions(count).values())
        self.acknowledged, self.retried_to_200, self.server_errors = [], 0, []
        self.unanswered = 0  # connection refused or cut: the server was down or killed
        self.changed, self.stopping = threading.Condition(), threading.Event()
        self.halted = threading.Event()  # set only to give up on a send not yet stored
        self.threads = [threading.Thread(target=self._keep_sending, args=(s,), daemon=True)
                        for s in self.sessions]

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        """Let each kiosk finish the send it is on (stored, with the server up), then end;
        returns the number that could not finish in time."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(WAIT_SECONDS)
        stuck = sum(thread.is_alive() for thread in self.threads)
        self.halted.set()
        return stuck

    def wait_for_acknowledged(self, count):
        """True once `count` sends in all have been acknowledged."""
        with self.changed:
            return self.changed.wait_for(lambda: len(self.acknowledged) >= count,
                                         WAIT_SECONDS)

    def _keep_sending(self, session):
        while not self.stopping.is_set():
            self._send_until_stored(session, str(uuid.uuid4()))

    def _send_until_stored(self, session, client_id):
        tries = 0
        while not self.halted.is_set():
            tries += 1
            try:
                status = send(self.server.base_url, session, client_id, timeout=5)
            except requests.RequestException:
                status = None
            with self.changed:
                if status in (200, 201):
                    self.acknowledged.append(client_id)
                    self.retried_to_200 += status == 200
                    self.changed.notify_all()
                    return
                if status is None:
                    self.unanswered += 1
                else:
                    self.server_errors.append(status)
            # The kiosk's own back-off before it tries again, as kiosk.js does: short,
            # so a restarted server is found at once, and growing, so a down one is
            # not hammered.
            self.halted.wait(min(0.025 * 2 ** tries, 0.2))


def test_a_server_killed_twenty_times_mid_send_loses_no_acknowledged_report():
    """SIGKILL the server 20 times while 8 kiosks keep sending, restarting it each time on
    the same instance folder; then every acknowledged send is stored exactly once.

    It takes 40-50 s on an idle 2-core machine, and longer on a busy one: the sends take
    under 2 s in all; the rest is run.py starting 20 times (Python and the app's imports,
    content, symbols and the speech recogniser loading: about 2.5 s of CPU, 2 s of time
    each), and 20 cycles are what the issue asks for. It prints where the time went."""
    cycles, kiosk_count = 20, 8
    with running_server(with_dsl=False) as server:
        kiosks = Kiosks(server, kiosk_count)
        kiosks.start()
        sending = restarting = 0.0
        try:
            for cycle in range(cycles):
                # Kill only once this server has stored a few more, so each kill lands
                # among sends in flight, not before the first.
                started = time.perf_counter()
                assert kiosks.wait_for_acknowledged((cycle + 1) * 5), f"stuck in cycle {cycle}"
                killed = time.perf_counter()
                server.kill()
                server.start()
                sending += killed - started
                restarting += time.perf_counter() - killed
        finally:
            stuck = kiosks.stop()
        stored, told = stored_reports(server)
    acknowledged = kiosks.acknowledged
    lost = [c for c in acknowledged if c not in stored]
    duplicated = [c for c, (_, rows) in stored.items() if rows != 1]
    print(f"\n{cycles} kills: {len(acknowledged)} sends acknowledged "
          f"({kiosks.retried_to_200} of them on a retry, already stored before a kill), "
          f"{len(stored)} stored, {kiosks.unanswered} tries unanswered while down, "
          f"{len(kiosks.server_errors)} 5xx/4xx, {len(lost)} lost, {len(duplicated)} duplicated; "
          f"{restarting:.1f} s killing and restarting, {sending:.1f} s sending")
    assert stuck == 0  # every kiosk's last send was stored once the server was up
    assert kiosks.server_errors == []
    assert lost == [] and duplicated == []
    # Every stored report was acknowledged in the end (kiosks retry until it is), and
    # each has its one report.new notification, written in the same transaction.
    assert set(stored) == set(acknowledged) and len(acknowledged) == len(set(acknowledged))
    assert all(told[report_id] == 1 for report_id, _ in stored.values())


def test_a_connection_is_reused_only_when_clean_and_for_the_same_file(app):
    # Requests reuse connections (opening one reads the whole schema again); one left
    # in a transaction, or to a database file since replaced, is never handed on.
    from kiosk.db import get_db
    with app.app_context():
        first = get_db()
    with app.app_context():
        assert get_db() is first  # kept, clean, for the next request
        get_db().conn.execute("BEGIN IMMEDIATE")  # a request that never finished
    with app.app_context():
        again = get_db()
        assert again is not first and not again.conn.in_transaction
    path = Path(app.config["DATABASE"])
    copy = path.with_suffix(".copy")
    copy.write_bytes(path.read_bytes())
    copy.replace(path)  # same name, another file: as a restored backup would arrive
    with app.app_context():
        assert get_db() is not again
