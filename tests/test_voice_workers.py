"""Speech recognition in worker processes: real pocketsphinx in each, real espeak-ng
speech through the real Socket.IO path, and real processes killed and stopped."""
import os
import signal
import time
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.defaults import cpu_count
from kiosk.extensions import socketio
from kiosk.pupil import voice_events as events
from kiosk.voice import workers

from bench._server import running_server, serving_pid
from helpers import kiosk_device
from speech_audio import chunks, heard, send, spoken, start

# A pool of this module's own: the rest of the suite shares the default one.
WORKERS, STREAMS = 2, 6


@pytest.fixture(scope="module")
def pool():
    pool = workers.shared_pool(WORKERS, STREAMS)
    yield pool
    pool.close()


@pytest.fixture
def app(tmp_path, monkeypatch, pool):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    # Whisper off: here free speech too is the workers' (pocketsphinx's) to hear.
    app = create_app({"TESTING": True, "VOSK_MODEL": "", "VOICE_WORKERS": WORKERS,
                      "VOICE_MAX_STREAMS": STREAMS, "VOICE_WHISPER": False})
    app.extensions["kiosk"].voice.start().join()
    return app


@pytest.fixture
def kiosks(app):
    """kiosks(n): n enrolled kiosks' /voice connections, closed after the test."""
    clients = []

    def connect(count):
        more = [socketio.test_client(app, namespace="/voice",
                                     flask_test_client=kiosk_device(app))
                for _ in range(count)]
        assert all(c.is_connected("/voice") for c in more)
        clients.extend(more)
        return more
    yield connect
    for client in clients:
        if client.is_connected("/voice"):
            client.disconnect(namespace="/voice")


def worker_pid(client):
    """The worker process hearing a kiosk's open utterance."""
    sid = socketio.server.manager.sid_from_eio_sid(client.eio_sid, "/voice")
    return events._streams[sid].listener._recogniser.worker.process.pid


def interleaved(clients, utterances):
    """Each kiosk's audio a chunk at a time in turn, as kiosks streaming together send
    it, then Done on each; returns each kiosk's events."""
    pending = [list(chunks(pcm)) for pcm in utterances]
    received = [[] for _ in clients]
    while any(pending):
        for client, left, got in zip(clients, pending, received):
            if left:
                got += send(client, [left.pop(0)], stop=False)
    return [got + send(client, []) for client, got in zip(clients, received)]


def running(pid):
    """Whether a process is alive (a zombie, dead but not yet collected, is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(check, seconds=30):
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)  # polling the pool or the process table, not guessing a time


def test_kiosks_speaking_at_once_are_spread_over_the_workers_and_each_heard(app, pool, kiosks):
    assert app.extensions["kiosk"].voice.status()["where"] == "2 worker processes"
    said = [("what", "Someone was unkind to me.", "unkind"), ("safe", "No.", "no"),
            ("where", "At school.", "school"), ("more", "My friend is sad.", None)]
    clients = kiosks(len(said))
    for client, (page, _, _) in zip(clients, said):
        assert start(client, page)["ok"]
    assert {worker_pid(c) for c in clients} == set(pool.pids())  # both, two each
    results = [heard(e) for e in interleaved(clients, [spoken(t) for _, t, _ in said])]
    assert [r.get("tile") for r in results[:3]] == ["unkind", "no", "school"], results
    assert results[3]["status"] == "words" and results[3]["text"] == "my friend is sad"


def test_a_killed_worker_ends_its_utterance_at_once_and_another_takes_its_place(app, pool,
                                                                               kiosks):
    a, b = kiosks(2)
    start(a, "what"), start(b, "safe")
    killed, other = worker_pid(a), worker_pid(b)
    assert killed != other
    unkind, no = list(chunks(spoken("Someone was unkind to me."))), list(chunks(spoken("No.")))
    send(a, unkind[:10], stop=False), send(b, no[:5], stop=False)
    os.kill(killed, signal.SIGKILL)
    begun = time.monotonic()
    result = heard(send(a, unkind[10:]))  # the pupil goes on speaking, then presses Done
    assert result == {"status": "not_heard", "engine": "pocketsphinx", "page": "what",
                      "reason": "engine_error"}
    assert time.monotonic() - begun < workers.ANSWER_SECONDS / 2  # not left waiting
    assert heard(send(b, no[5:]))["tile"] == "no"  # the other worker's kiosk never noticed
    wait_until(lambda: len(pool.pids()) == WORKERS and pool.describe() == "2 worker processes")
    assert killed not in pool.pids() and other in pool.pids() and not running(killed)
    assert start(a, "what")["ok"]
    assert heard(send(a, unkind))["tile"] == "unkind"


def spawned(pid, what=b"multiprocessing"):
    """A server process's children started by multiprocessing: the workers (spawn_main)
    and the resource tracker that spawning starts beside them."""
    found = []
    for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
        try:
            if what in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
        except OSError:
            pass  # it ended as we looked
    return found


def test_a_real_server_has_its_workers_before_any_kiosk_and_leaves_none_when_stopped():
    """run.py as a school runs it (gunicorn): the workers start with the server, not with
    the first kiosk, and are gone when it is stopped (SIGTERM, as systemd stops it)."""
    with running_server(with_dsl=False, config={"VOICE_WORKERS": cpu_count()}) as server:
        serving = serving_pid(server.process.pid)
        wait_until(lambda: len(spawned(serving, b"spawn_main")) == cpu_count())
        started = spawned(serving)
    wait_until(lambda: not any(running(pid) for pid in started), seconds=10)
