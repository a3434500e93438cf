"""Socket.IO for dashboards: only a logged-in DSL, deputy or head may connect."""
from flask_socketio import ConnectionRefusedError, join_room

from .. import notify
from ..db import get_db
from ..extensions import socketio
from ..users import READER_ROLES
from .auth import current_user


@socketio.on("connect", namespace=notify.STAFF_NAMESPACE)
def connect(auth=None):
    """A dashboard connects with its login cookie and joins the staff room."""
    user = current_user()
    if user is None or user["role"] not in READER_ROLES:
        raise ConnectionRefusedError("staff login required")
    join_room(notify.STAFF_ROOM)


@socketio.on("catch_up", namespace=notify.STAFF_NAMESPACE)
def catch_up(data):
    """The dashboard sends {since: id} on (re)connect and gets back what it missed."""
    user = current_user()
    if user is None or user["role"] not in READER_ROLES:
        return {"error": "staff login required"}
    try:
        cursor = int((data or {}).get("since", 0))
    except (TypeError, ValueError, AttributeError):
        return {"error": "since must be a notification number"}
    return {"notifications": notify.since(get_db(), cursor)}
