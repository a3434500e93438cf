"""Background jobs: started when a process first serves, the shared ones run by one process.

Every serving process sweeps its own dashboards (their sockets are its own). The jobs that
act for the whole school (the escalation ladder, the email outbox, the backup schedule)
run in exactly one process at a time: the one holding an exclusive lock on `jobs.lock` in
the instance folder. The others try again every few seconds, so when that process ends,
however it ends, the kernel frees the lock and another takes the jobs over. A file lock
beside the database suits it: every process of one school shares that database file, so
they share its folder too. Each serving process also holds `server.lock` shared, which is
how `restore` knows a server is running.
"""
import fcntl
import logging
import os
import threading
from pathlib import Path

from . import audit, backup, doctor
from .db import writing
from .safeguarding import checkpoint_mail, escalation, outbox
from .staff import live as staff_events
from .staff import presence
from .ticker import Ticker

SERVING_LOCK = "server.lock"  # held shared by every serving process
JOBS_LOCK = "jobs.lock"       # held by the one process running the school-wide jobs
RETRY_SECONDS = 2             # how soon another process takes the jobs over
BACKUP_CHECK_SECONDS = 600    # how often the schedule looks whether a backup is due
BACKUP_ACTOR = "backup schedule"
EXTENSION = "kiosk.jobs"

log = logging.getLogger(__name__)
_guard = threading.Lock()


def enabled(app):
    """BACKGROUND_JOBS: None (the default) starts them unless the app is TESTING."""
    wanted = app.config.get("BACKGROUND_JOBS")
    return (not app.testing) if wanted is None else bool(wanted)


def init_app(app):
    """Have the jobs start with the first request this process serves, under any server
    (a server with BACKGROUND_JOBS False still holds the serving lock restore looks for)."""
    if enabled(app) or not app.testing:
        app.wsgi_app = _StartOnFirstCall(app, app.wsgi_app)


class _StartOnFirstCall:
    """WSGI middleware: the first call (a page, or a Socket.IO request) starts the jobs."""

    def __init__(self, app, wsgi_app):
        self.app, self.wsgi_app, self.started = app, wsgi_app, False

    def __call__(self, environ, start_response):
        if not self.started:
            start(self.app)
            self.started = True
        return self.wsgi_app(environ, start_response)


def start(app):
    """Start this process's jobs, once; returns them."""
    with _guard:
        jobs = app.extensions.get(EXTENSION)
        if jobs is None:
            jobs = app.extensions[EXTENSION] = Jobs(app).start()
    return jobs


def stop(app):
    """Stop this process's jobs and let their locks go (tests, and a clean shutdown)."""
    with _guard:
        jobs = app.extensions.pop(EXTENSION, None)
    if jobs is not None:
        jobs.stop()


def lock_path(app_or_folder, name):
    folder = getattr(app_or_folder, "instance_path", app_or_folder)
    return Path(folder) / name


def _open_lock(path):
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def _try_lock(fd, mode):
    """flock without waiting; True when taken."""
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def hold_for_restore(instance_path):
    """The serving lock, held exclusively so no server starts meanwhile; None while a
    server is running. Close the returned descriptor to let servers start again."""
    fd = _open_lock(lock_path(instance_path, SERVING_LOCK))
    if _try_lock(fd, fcntl.LOCK_EX):
        return fd
    os.close(fd)
    return None


class Jobs:
    """One process's background jobs and the locks that say what it runs."""

    def __init__(self, app):
        self.app = app
        self.tickers = []
        self.leading = threading.Event()  # set once this process runs the shared jobs
        self._stopping = threading.Event()
        self._serving = self._jobs_lock = None
        self._thread = threading.Thread(target=self._take_over, name="jobs lock", daemon=True)

    def start(self):
        self._serving = _open_lock(lock_path(self.app, SERVING_LOCK))
        fcntl.flock(self._serving, fcntl.LOCK_SH)  # waits out a restore in progress
        if not enabled(self.app):
            return self
        # Close live dashboards whose login ended elsewhere or went idle (they become
        # alert screens), and alert screens that have ended: this process's own sockets.
        self.tickers.append(Ticker(self.app, "session sweep",
                                   staff_events.sweep_seconds(self.app.config),
                                   staff_events.sweep).start())
        if self.app.config["REDIS_URL"]:
            # Tell the other processes whose dashboards are open here, for the ladder.
            self.tickers.append(Ticker(self.app, "dashboards open here",
                                       presence.INTERVAL_SECONDS,
                                       presence.publisher(self.app)).start())
        self._thread.start()
        return self

    def _take_over(self):
        """Wait for the jobs lock, then run the school-wide jobs until the process ends."""
        self._jobs_lock = _open_lock(lock_path(self.app, JOBS_LOCK))
        while not _try_lock(self._jobs_lock, fcntl.LOCK_EX):
            if self._stopping.wait(RETRY_SECONDS):
                return
        with _guard:
            if self._stopping.is_set():
                return
            self.tickers.extend(shared_tickers(self.app))
            self.leading.set()
        log.info("This process (pid %s) runs the school-wide jobs: the escalation ladder, "
                 "the email outbox, the audit checkpoints and the backup schedule", os.getpid())

    def stop(self):
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(10)
        with _guard:
            tickers, self.tickers = self.tickers, []
        for ticker in tickers:
            ticker.stop()
        for fd in (self._jobs_lock, self._serving):
            if fd is not None:
                os.close(fd)  # closing the descriptor releases its flock
        self._jobs_lock = self._serving = None


def shared_tickers(app):
    """Start the jobs one process runs for the whole school; returns their Tickers."""
    return [
        # Escalate reports and "Get an adult" nobody has acknowledged in time; the record
        # names who had a dashboard open, on any of the school's processes.
        escalation.start(app, watching=presence.watching(app)),
        # Send queued email (arrival, escalation), retrying failures; woken by new reports.
        outbox.start(app),
        Ticker(app, "backup schedule", BACKUP_CHECK_SECONDS, backup_job(app)).start(),
        # Seal newly stored records into the audit log; the daily signed checkpoint and
        # its email to the head and the DSL (safeguarding/checkpoint_mail.py).
        checkpoint_mail.start(app),
    ]


def backup_job(app):
    """The backup schedule: an encrypted backup when the newest is BACKUP_EVERY_HOURS old."""
    def job(db):
        config = app.config
        if not config["BACKUP_EVERY_HOURS"]:
            return
        now = config["CLOCK"]()
        if backup.due(config["BACKUP_DIR"], now, config["BACKUP_EVERY_HOURS"]):
            take_backup(app, db, now)
    return job


def take_backup(app, db, now):
    """One scheduled backup and the rotation, recorded for the doctor and in the audit log."""
    config = app.config
    if not Path(config["BACKUP_KEY_FILE"]).exists():
        log.warning("Made the backup key %s: copy it somewhere safe, apart from the backups; "
                    "without it no backup can be restored", config["BACKUP_KEY_FILE"])
    key = backup.ensure_key(config["BACKUP_KEY_FILE"])
    path, size, deleted = backup.take_scheduled(
        config["DATABASE"], config["BACKUP_DIR"], key, now,
        config["BACKUP_KEEP_DAILY"], config["BACKUP_KEEP_WEEKLY"])
    record_backup(db, path, size, now, BACKUP_ACTOR, deleted)
    return path


def record_backup(db, path, size, now, actor, deleted=()):
    """Remember a backup for the doctor, and say in the audit log that a copy was made."""
    with writing(db):
        doctor.record_backup(db, path, size, now)
        audit.record(db, "database.backed_up", at=now, actor=actor, target=str(path),
                     detail={"size": size, "rotated_out": [Path(p).name for p in deleted]})
