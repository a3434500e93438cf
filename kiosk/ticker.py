"""A job run every few seconds in a daemon thread, with its own database connection.

Given a `wake` event, the job also runs as soon as someone sets it (a new report wakes
the email outbox), instead of waiting out the interval."""
import threading

from .db import connect


class Ticker:
    """Runs job(db) now and then every `interval` seconds until stopped; survives errors."""

    def __init__(self, app, name, interval, job, wake=None):
        self.app, self.name, self.interval, self.job = app, name, float(interval), job
        self._stopping = threading.Event()
        self._wake = wake  # None: the interval alone
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self, timeout=10):
        """Ask the thread to finish after its current run; True once it has."""
        self._stopping.set()
        if self._wake is not None:
            self._wake.set()
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self):
        # Its own connection: sqlite connections are not shared between threads here.
        db = connect(self.app.config["DATABASE"])
        try:
            while True:
                try:
                    with self.app.app_context():
                        self.job(db)
                except Exception:  # one bad run must not stop the next
                    self.app.logger.exception("%s failed; trying again in %s s",
                                              self.name, self.interval)
                if self._pause():
                    return
        finally:
            db.close()

    def _pause(self):
        """Wait for the interval, or a wake; True when the ticker is stopping."""
        if self._wake is None:
            return self._stopping.wait(self.interval)
        self._wake.wait(self.interval)
        # Cleared before the next run: a wake during that run runs the job once more.
        self._wake.clear()
        return self._stopping.is_set()
