"""Who this staff request is: the login on its server-side session, read once a request.

Its own module so that auditing and the live channel can know the user without
importing the login routes (which import them)."""
from flask import current_app, request, session

from ..accounts import sessions
from ..accounts.users import get_user
from ..db import get_db


def now():
    return current_app.config["CLOCK"]()


class _Login:
    """What this request knows of its login; kept on the request, not on `g`, because a
    test's app context (and a Socket.IO connection's environ) outlives one request."""
    user = None
    session_id = None
    logged_out_why = None


def login_state():
    state = getattr(request, "kiosk_login", None)
    if state is None:
        state = request.kiosk_login = _Login()
        _load(state)
    return state


def _load(state):
    token = session.get("st")
    if not token:
        return
    db = get_db()
    live, why = sessions.check(db, token, now(), current_app.config["STAFF_IDLE_MINUTES"])
    user = get_user(db, live["user_id"]) if live and not why else None
    if user is not None and user["active"]:
        sessions.touch(db, live, now())
        state.user, state.session_id = user, live["id"]
    else:
        state.logged_out_why = why
        session.pop("st", None)


def current_user():
    """The logged-in staff member, or None; ends idle and revoked sessions on the way."""
    return login_state().user
