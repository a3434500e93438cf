"""Who has a dashboard open, across every process of the school (with REDIS_URL).

A dashboard's socket lives in one process, but the escalation ladder runs in one process
for all, and says who it told by an open dashboard (and sounds "nobody to tell" when no
one was). So each process writes the login sessions and alert screens it holds to Redis
every INTERVAL_SECONDS, under a key that lapses soon after the process stops; the ladder
reads them all. Without Redis there is one process, and its own memory is the answer.
"""
import json
import logging
import os
import socket

from ..extensions import queue_channel
from . import help as staff_help
from . import rooms

INTERVAL_SECONDS = 2
LAPSE_SECONDS = 3 * INTERVAL_SECONDS  # a stopped process's dashboards are forgotten after
log = logging.getLogger(__name__)


def _redis(app):
    import redis  # only needed, and only installed for, more than one process
    return redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=2)


def _prefix(app):
    return f"{queue_channel(app.config)}:dashboards:"


def here():
    """{"sessions", "screens"}: the ids this process's sockets belong to now."""
    sessions, screens = rooms.held_here()
    return {"sessions": sessions, "screens": screens}


def publisher(app):
    """The job each process runs: write what it holds, to lapse unless written again."""
    client, key = _redis(app), f"{_prefix(app)}{socket.gethostname()}:{os.getpid()}"

    def job(db):
        client.set(key, json.dumps(here()), ex=LAPSE_SECONDS)
    return job


def watching(app):
    """The ladder's watching(db): readers with a dashboard or alert screen open anywhere."""
    if not app.config["REDIS_URL"]:
        return staff_help.readers_watching
    client, prefix = _redis(app), _prefix(app)

    def everywhere(db):
        found = here()
        sessions, screens = set(found["sessions"]), set(found["screens"])
        try:
            for key in client.scan_iter(match=prefix + "*"):
                held = json.loads(client.get(key) or "{}")
                sessions.update(held.get("sessions", []))
                screens.update(held.get("screens", []))
        except Exception:  # Redis away: the ladder must still run, on what is known here
            log.exception("Cannot read the other processes' dashboards from Redis; the "
                          "escalation record names this process's only")
        return staff_help.readers(db, sorted(sessions), sorted(screens))
    return everywhere
