"""Extension objects created once and bound to the app in create_app."""
import hashlib

import socketio as python_socketio
from flask_socketio import SocketIO

from .jsonlimits import SocketJSON

# Threading mode: speech work blocks, and a school server has few clients.
# async_handlers off: one client's events run in the order they arrive, which a
# stream of audio chunks needs.
# json: packets nested past any real event's depth are dropped before they are parsed.
socketio = SocketIO(async_mode="threading", async_handlers=False, json=SocketJSON)


def queue_channel(config):
    """The Redis channel of this school's processes: REDIS_CHANNEL, else one named from the
    instance's secret key, so schools sharing a Redis never hear each other's events."""
    if config.get("REDIS_CHANNEL"):
        return config["REDIS_CHANNEL"]
    digest = hashlib.sha256(b"kiosk redis channel" + str(config["SECRET_KEY"]).encode())
    return "kiosk-" + digest.hexdigest()[:16]


def socketio_options(config):
    """How socketio.init_app binds this app: with REDIS_URL, every event goes through
    Redis to the sockets of every process of the school; without it, this process only.

    The manager is always given, never left to Flask-SocketIO, because it keeps the
    options of an earlier init_app (another app in the same process) otherwise."""
    url = config.get("REDIS_URL") or ""
    if not url:
        return {"client_manager": None}  # None: python-socketio's in-process manager
    return {"client_manager": python_socketio.RedisManager(url, channel=queue_channel(config))}
