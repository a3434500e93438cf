"""Who this staff request is: the login on its server-side session, read once a request.

Its own module so that auditing and the live channel can know the user without
importing the login routes (which import them)."""
from flask import current_app, request, session

from ..accounts import sessions
from ..accounts.users import get_user
from ..db import get_db
from ..devices import kiosks
from .rooms import disconnect_sessions

ON_A_KIOSK = "staff page opened on a kiosk"
KIOSK_REFUSED = ("This device is a kiosk for pupils, so staff pages cannot be used on it. "
                 "Use a staff computer or phone.")


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


def on_a_kiosk():
    """Whether this browser is an enrolled kiosk: it carries a live kiosk device cookie."""
    kiosk = kiosks.kiosk_for_token(get_db(), request.cookies.get(kiosks.DEVICE_COOKIE))
    return kiosk is not None and not kiosk["revoked_at"]


def _load(state):
    token = session.get("st")
    if not token:
        return
    db = get_db()
    if on_a_kiosk():
        # A staff login must never stay on a device pupils use: end it, and its dashboards.
        live = sessions.find(db, token)
        sessions.end(db, token, now(), ON_A_KIOSK)
        state.logged_out_why = ON_A_KIOSK
        session.pop("st", None)
        if live is not None:
            disconnect_sessions([live["id"]])
        return
    config = current_app.config
    live, why = sessions.check(db, token, now(), config["STAFF_IDLE_MINUTES"],
                               config["STAFF_SESSION_HOURS"])
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
