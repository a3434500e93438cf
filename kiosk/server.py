"""The production server: gunicorn, one process with many threads, and plain log lines.

Flask-SocketIO in threading mode with simple-websocket runs under gunicorn's threaded
worker (its deployment guide: `gunicorn -w 1 --threads 100 module:app`). Each open
WebSocket (a dashboard, a kiosk listening) holds one thread, so the thread count is the
number of live connections the server can hold at once. One worker only: Socket.IO needs
every request of a client to reach the same process, which gunicorn's own balancing
cannot promise.
"""
import ctypes
import logging
import os
import signal
import sys
import time

from gunicorn import glogging
from gunicorn.app.base import BaseApplication

DEFAULT_THREADS = 100
GRACEFUL_SECONDS = 5  # open dashboards reconnect by themselves; a stop need not wait long
# Idle keep-alive connections wait in the worker's poller, not in a thread, so they are
# cheap. gunicorn's own 2 s closes them under kiosks between taps, and a request sent as
# the server closes its connection is reset; nginx keeps them 75 s.
KEEPALIVE_SECONDS = 75
# No query strings: enrolment codes and alert-screen tokens travel in them.
ACCESS_FORMAT = ('client=%(h)s method=%(m)s path="%(U)s" status=%(s)s bytes=%(B)s '
                 'ms=%(M)s')
# syslog priorities journald reads from a "<N>" line prefix
PRIORITIES = {"CRITICAL": 2, "ERROR": 3, "WARNING": 4, "INFO": 6, "DEBUG": 7}
NAMES = {"gunicorn.error": "server", "gunicorn.access": "access"}


class PlainFormatter(logging.Formatter):
    """One plain line a record: no colours; under journald its priority, not a time."""

    def __init__(self):
        super().__init__()
        # systemd sets JOURNAL_STREAM when standard output goes to the journal, which
        # stamps each line with the time and process itself.
        self.journal = bool(os.environ.get("JOURNAL_STREAM"))

    def format(self, record):
        """`<6>access: ...` for journald, `2026-... INFO kiosk: ...` elsewhere."""
        text = f"{NAMES.get(record.name, record.name)}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        if self.journal:
            priority = PRIORITIES.get(record.levelname, 6)
            return "\n".join(f"<{priority}>{line}" for line in text.splitlines())
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(record.created))
        return f"{stamp} {record.levelname} {text}"


def use_plain_logging(stream=None):
    """Send the app's own log records (Flask's "kiosk" logger, warnings) as plain lines."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_kiosk", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(PlainFormatter())
    handler._kiosk = True
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)


class PlainLogger(glogging.Logger):
    """gunicorn's logger with every line in the plain format."""

    def setup(self, cfg):
        """gunicorn's own set-up, then the plain format on its handlers and the app's."""
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.propagate = False  # written once, by gunicorn's own handler
            for handler in log.handlers:
                handler.setFormatter(PlainFormatter())
        use_plain_logging()


def _die_with_parent(server, worker):
    """The worker ends when the master does, even by SIGKILL, so no orphan keeps the port."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (OSError, AttributeError):
        pass  # not Linux: the worker notices a new parent within a second or so
    if os.getppid() != worker.ppid:  # the master died before prctl took effect
        os._exit(1)


class Server(BaseApplication):
    """gunicorn started from Python: the app comes from `factory()` in the worker."""

    def __init__(self, factory, options):
        self.factory, self.options = factory, options
        super().__init__()

    def load_config(self):
        """Put the options into gunicorn's settings."""
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        """Called in the worker process: build the app there (threads start in it)."""
        return self.factory()


def options(host, port, threads=DEFAULT_THREADS, certfile=None, keyfile=None, on_ready=None):
    """gunicorn settings for the kiosk: one threaded worker, plain logs, TLS when given."""
    settings = {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "graceful_timeout": GRACEFUL_SECONDS,
        "keepalive": KEEPALIVE_SECONDS,
        "accesslog": "-",
        "errorlog": "-",
        "access_log_format": ACCESS_FORMAT,
        "logger_class": PlainLogger,
        "post_fork": _die_with_parent,
        # Proxy headers are the app's to trust (PROXY_HOPS, Werkzeug's ProxyFix), never
        # gunicorn's own default of believing 127.0.0.1.
        "secure_scheme_headers": {},
        "forwarded_allow_ips": "",
        # No control socket: it would sit in the home folder, shared by every instance.
        "control_socket_disable": True,
    }
    if certfile:
        settings.update(certfile=certfile, keyfile=keyfile)
    if on_ready:
        settings["when_ready"] = lambda server: on_ready()
    return settings


def serve(factory, host, port, **kwargs):
    """Run gunicorn until it is stopped; `factory()` builds the app in the worker."""
    Server(factory, options(host, port, **kwargs)).run()
