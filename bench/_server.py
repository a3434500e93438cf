"""Shared benchmark helpers: run the real server on a free port, add a DSL, log in."""
import concurrent.futures
import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
DSL_EMAIL = "dsl@bench.example"
DSL_PASSWORD = "bench-password-123"  # only ever used in a throw-away instance folder
READY_SECONDS = 30


class Server:
    """A running server: its base URL and the instance folder it owns."""

    def __init__(self, base_url, instance_path, authenticator):
        self.base_url, self.instance_path = base_url, instance_path
        self.kiosks = 0
        self.authenticator = authenticator

    def add_user(self, email, role, password=DSL_PASSWORD):
        """Another staff account, made with the CLI; readers' keys go to the authenticator."""
        self.authenticator.add(email, create_user(self.instance_path, email, role, password))

    def kiosk_code(self):
        """A one-time enrolment code for a new kiosk, made with the project's CLI."""
        self.kiosks += 1
        return create_kiosk(self.instance_path, f"Kiosk {self.kiosks}", "Bench room")

    def kiosk_session(self):
        """A requests session enrolled as a new kiosk, as a device would be."""
        return enrol_session(self.base_url, self.kiosk_code())

    def kiosk_sessions(self, count, place="Bench room"):
        """Many enrolled kiosk sessions: codes made in one go, each device enrolled by form
        (a few devices at a time, as staff walking round a school would)."""
        first, self.kiosks = self.kiosks + 1, self.kiosks + count
        names = [f"Kiosk {n}" for n in range(first, self.kiosks + 1)]
        codes = create_kiosks(self.instance_path, names, place)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            sessions = pool.map(lambda code: enrol_session(self.base_url, code), codes.values())
            return dict(zip(codes, sessions))

    def kill(self):
        """SIGKILL the server, as a power cut or crash would end it; no clean shutdown."""
        self.process.kill()
        self.process.wait()

    def start(self):
        """Start the server again on the same instance folder and port; wait until it answers."""
        self.process = start_process(self.instance_path, self.port, self.log_path)
        wait_ready(self.base_url, self.process, self.log_path)


def free_port():
    """A loopback port nobody is listening on right now."""
    # Binding to port 0 lets the OS choose; the tiny race until the server binds is acceptable.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# A folder every server started here keeps its rendered speech in, when this names one.
# Files are named by a hash of text, voice and rate and written whole, so servers can
# share it: the tests set it so each phrase is rendered once a run, not once a server.
SHARED_SPEECH_CACHE = "KIOSK_BENCH_SPEECH_CACHE"


def instance_env(instance_path):
    """The environment that points the app at one instance folder."""
    return dict(os.environ, KIOSK_INSTANCE_PATH=str(instance_path))


class Authenticator:
    """The phone app a DSL would use: keys from create-user, a fresh code on request.

    The server takes each code once, so a second login in the same 30 seconds uses the
    next period's code (accepted for clock drift), and a third waits for a new period."""

    def __init__(self):
        self.keys, self.used = {}, {}

    def add(self, email, key):
        if key:
            self.keys[email] = key

    def code(self, email):
        from kiosk.accounts import totp
        while True:
            moment = time.time()
            now = int(moment) // totp.PERIOD
            # The last period's code stops working at the next period boundary: use it
            # only while that is more than 10 s away, so the server reads it in time.
            first = now - totp.WINDOW if totp.PERIOD - moment % totp.PERIOD > 10 else now
            fresh = [step for step in range(first, now + totp.WINDOW + 1)
                     if step > self.used.get(email, 0)]
            if fresh:
                self.used[email] = fresh[0]
                return totp.code_for(self.keys[email], fresh[0])
            time.sleep(totp.PERIOD - time.time() % totp.PERIOD + 0.1)  # the next code


def create_user(instance_path, email, role, password=DSL_PASSWORD):
    """Create an account with the project's CLI; returns the authenticator key it printed."""
    printed = flask_command(instance_path, "create-user", email, "--role", role,
                            "--password-stdin", stdin=password + "\n")
    found = re.search(r"^Key: (\S+)$", printed, re.MULTILINE)
    return found.group(1) if found else ""


def create_dsl(instance_path, email=DSL_EMAIL, password=DSL_PASSWORD):
    """Create a DSL account through the project's own CLI command; returns its key."""
    return create_user(instance_path, email, "dsl", password)


def flask_command(instance_path, *args, stdin=""):
    """Run a `flask --app kiosk` command on an instance folder; returns what it printed."""
    return subprocess.run([sys.executable, "-m", "flask", "--app", "kiosk", *args],
                          input=stdin, text=True, cwd=ROOT, env=instance_env(instance_path),
                          check=True, capture_output=True, timeout=60).stdout


def create_kiosk(instance_path, name, place=""):
    """Add a kiosk through the project's own CLI command; returns its enrolment code."""
    printed = flask_command(instance_path, "create-kiosk", name, "--place", place)
    return re.search(r"^Enrolment code: (\S+)$", printed, re.MULTILINE).group(1)


def create_kiosks(instance_path, names, place=""):
    """Add many kiosks at once with the project's own create_kiosk (one process, not
    one CLI start each); returns {name: enrolment code}."""
    from kiosk.devices import kiosks
    from kiosk.db import connect
    db = connect(str(Path(instance_path) / "kiosk.sqlite3"))
    try:
        now = datetime.now(timezone.utc)
        return {name: kiosks.create_kiosk(db, name, place, now, kiosks.CLI_ACTOR)[1]
                for name in names}
    finally:
        db.close()


def enrol_session(base_url, code):
    """A requests session made a kiosk by the real enrolment form (GET, then confirm)."""
    session = requests.Session()
    form = session.get(base_url + "/enrol", params={"code": code}, timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = session.post(base_url + "/enrol", data={"code": code, "csrf_token": token},
                          timeout=10)
    if answer.status_code != 200 or not answer.url.endswith("/kiosk"):
        raise RuntimeError(f"enrolment failed: HTTP {answer.status_code} at {answer.url}")
    return session


def wait_ready(base_url, process, log_path, seconds=READY_SECONDS):
    """Poll GET /kiosk until it answers 200; fail early if the server process died."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{tail(log_path)}")
        try:
            if requests.get(base_url + "/kiosk", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or too busy starting to answer in time
        time.sleep(0.05)  # a short poll interval, not a guess at start-up time
    raise RuntimeError(f"server not ready after {seconds} s:\n{tail(log_path)}")


def tail(path, lines=20):
    """The last lines of a log file, to explain a failure."""
    return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])


SERVER_SPEECH = {"VOICE_WORKERS": 0, "VOICE_WHISPER": False}


@contextlib.contextmanager
def running_server(with_dsl=True, config=None):
    """Start run.py on a free port with a fresh instance folder; always stop it after.

    config: settings for the instance's config.py, as a school would write them.
    Unless config says otherwise, speech input is heard in the server's own process
    and without Whisper: a test run starts dozens of servers, and each would otherwise
    spend seconds of CPU starting worker processes and loading models that only the
    speech tests use (they, and bench/voice.py, say what they need)."""
    config = {**SERVER_SPEECH, **(config or {})}
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as instance_path:
        shared = os.environ.get(SHARED_SPEECH_CACHE)
        if shared and "SPEECH_CACHE" not in config:
            config["SPEECH_CACHE"] = shared
        write_config(instance_path, config)
        authenticator = Authenticator()
        if with_dsl:
            authenticator.add(DSL_EMAIL, create_dsl(instance_path))
        port = free_port()
        log_path = Path(instance_path) / "server.log"
        server = Server(f"http://127.0.0.1:{port}", instance_path, authenticator)
        server.port, server.log_path = port, log_path
        server.process = start_process(instance_path, port, log_path)
        try:
            wait_ready(server.base_url, server.process, log_path)
            yield server
        finally:
            stop(server.process)  # the latest one, after any kill() and start()


def write_config(instance_path, config):
    """The instance's config.py: one `NAME = value` line a setting (values as Python)."""
    lines = [f"{name} = {value!r}\n" for name, value in config.items()]
    (Path(instance_path) / "config.py").write_text("".join(lines))


def start_process(instance_path, port, log_path):
    """run.py on an instance folder and port, its output appended to log_path."""
    # The server logs every request: a file, not a pipe, so a full pipe never blocks it.
    with open(log_path, "a") as log:
        return subprocess.Popen(
            [sys.executable, "run.py", "--host", "127.0.0.1", "--port", str(port),
             "--no-prerender"],
            cwd=ROOT, env=instance_env(instance_path), stdout=log, stderr=subprocess.STDOUT)


def serving_pid(pid):
    """The process that serves requests: gunicorn's worker under run.py's master (where the
    app's CPU time and memory are), else `pid` itself."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return pid
    return int(children[0]) if children else pid


def stop(process):
    """End a server process politely, and for certain if it does not go."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _csrf(page):
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def login(server, email=DSL_EMAIL, password=DSL_PASSWORD):
    """A requests session logged in as staff: password, then the authenticator code."""
    session = requests.Session()
    form = session.get(server.base_url + "/staff/login", timeout=10)
    answer = session.post(server.base_url + "/staff/login", timeout=10,
                          data={"email": email, "password": password, "csrf_token": _csrf(form)})
    if answer.url.endswith("/staff/login/code"):
        answer = session.post(answer.url, timeout=10, data={
            "code": server.authenticator.code(email), "csrf_token": _csrf(answer)})
    # A good login ends on the dashboard; a bad one stays on a form with 401.
    if answer.status_code != 200 or not answer.url.endswith("/staff/"):
        raise RuntimeError(f"login failed: HTTP {answer.status_code} at {answer.url}")
    return session


def cookie_header(session):
    """The session's cookies as one Cookie header, for clients outside requests."""
    return "; ".join(f"{c.name}={c.value}" for c in session.cookies)
