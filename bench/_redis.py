"""A real redis-server for tests and benchmarks (a free loopback port, a folder of its own),
and a second server process on the same instance folder."""
import contextlib
import shutil
from pathlib import Path
import subprocess
import time

import redis

try:  # imported as bench._redis by the tests, or as _redis by a bench script
    from . import _server
except ImportError:
    import _server

READY_SECONDS = 10


def available():
    """True when Debian's redis-server is installed (setup.sh --test installs it)."""
    return shutil.which("redis-server") is not None


@contextlib.contextmanager
def running_redis(folder):
    """Start redis-server on loopback, keeping nothing on disk; yields its URL; stops it."""
    port = _server.free_port()
    log = open(f"{folder}/redis.log", "a")
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder),
         "--save", "", "--appendonly", "no", "--daemonize", "no"],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_ready(url, process)
        yield url
    finally:
        _server.stop(process)
        log.close()


def _wait_ready(url, process):
    """Poll PING until Redis answers; fail early if it exited."""
    client = redis.Redis.from_url(url, socket_timeout=1)
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        try:
            if client.ping():
                return
        except redis.RedisError:
            pass  # not listening yet
        time.sleep(0.02)  # a short poll interval, not a guess at start-up time
    raise RuntimeError(f"redis-server not ready after {READY_SECONDS} s")


@contextlib.contextmanager
def another_process(server):
    """A second server process on `server`'s instance folder, at its own port; stopped after."""
    port = _server.free_port()
    log_path = Path(server.instance_path) / f"server-{port}.log"
    other = _server.Server(f"http://127.0.0.1:{port}", server.instance_path,
                           server.authenticator)
    other.port, other.log_path = port, log_path
    other.process = _server.start_process(server.instance_path, port, log_path)
    try:
        _server.wait_ready(other.base_url, other.process, log_path)
        yield other
    finally:
        _server.stop(other.process)
