"""Staff login (password, then an authenticator code for readers), logout, and route guards."""
import functools

from flask import (abort, current_app, flash, redirect, render_template, request, session,
                   url_for)

from ..accounts import logins, sessions
from ..db import get_db, writing
from ..accounts.users import READER_ROLES
from . import bp
from .auditing import log, refused
from .identity import KIOSK_REFUSED, current_user, login_state, now, on_a_kiosk
from .rooms import disconnect_sessions

CODE_MINUTES = 5  # how long a correct password waits for its code


def limits():
    cfg = current_app.config
    return {"attempts": cfg["LOCKOUT_ATTEMPTS"], "minutes": cfg["LOCKOUT_MINUTES"],
            "account_attempts": cfg["LOGIN_ACCOUNT_ATTEMPTS"]}


def source():
    """The address a login comes from, as the throttle counts it."""
    return request.remote_addr or ""


def _wants_json():
    return "/api/" in request.path or request.accept_mimetypes.best == "application/json"


def _to_login():
    why = login_state().logged_out_why
    if why == "idle":
        flash(f"You were logged out after {current_app.config['STAFF_IDLE_MINUTES']} "
              "minutes without activity.")
    elif why == sessions.TOO_OLD:
        flash(f"You were logged out: it is {current_app.config['STAFF_SESSION_HOURS']} hours "
              "since you logged in. Please log in again.")
    elif why in ("role changed", "password changed", "authenticator reset",
                 "logged out everywhere", "account switched off"):
        flash(f"You were logged out: {why}. Please log in again.")
    if _wants_json():
        abort(401, "Please log in again.")
    return redirect(url_for("staff.login", next=request.path))


def roles_required(*roles):
    """Only these roles; anyone else is refused (and it is logged)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(**kwargs):
            user = current_user()
            if user is None:
                return _to_login()
            if roles and user["role"] not in roles:
                refused(f"role {user['role']} may not use {request.endpoint}")
                abort(403, "Your role does not allow this page.")
            return view(user=user, **kwargs)
        return wrapped
    return decorate


reader_required = roles_required(*READER_ROLES)
login_required = roles_required()


def _safe_next(target):
    return target if target and target.startswith("/staff/") and "//" not in target else None


def _start(user):
    """A fresh session (no old id survives a login) bound to a server-side record."""
    db = get_db()
    with writing(db):
        token = sessions.start(db, user["id"], now())
        log("login", f"user:{user['id']}", user=user)
    session.clear()
    session.permanent = True
    session["st"] = token
    return redirect(_safe_next(request.args.get("next")) or url_for("staff.dashboard"))


def _refused_on_a_kiosk(template):
    """No staff login on a device pupils use; a login tried there is in the audit log."""
    if request.method == "POST":
        with writing(get_db()):
            log("refused", request.path, {"why": "staff login on a kiosk", "method": "POST"})
    return render_template(template, on_a_kiosk=True, refusal=KIOSK_REFUSED), 403


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Email and password; the DSL team and the head then give an authenticator code."""
    if on_a_kiosk():
        return _refused_on_a_kiosk("staff/login.html")
    if request.method == "GET":
        return render_template("staff/login.html")
    email = (request.form.get("email") or "").strip().lower()
    db = get_db()
    with writing(db):
        attempt = logins.check_password(db, email, request.form.get("password"), now(),
                                        limits(), source())
        if attempt.outcome in ("wrong", "wait"):
            log("login.failed", f"email:{email}", {"why": attempt.outcome}, user=attempt.user)
    if attempt.outcome == "needs_code":
        session.clear()
        session["pending"] = {"uid": attempt.user["id"],
                              "until": (now().timestamp() + CODE_MINUTES * 60)}
        return redirect(url_for("staff.login_code", next=request.args.get("next")))
    if attempt.outcome == "ok":
        return _start(attempt.user)
    flash(attempt.message)
    return render_template("staff/login.html"), 401 if attempt.outcome == "wrong" else 429


@bp.route("/login/code", methods=("GET", "POST"))
def login_code():
    """The six-digit code from the authenticator app, after a correct password."""
    pending = session.get("pending")
    if not pending or pending["until"] < now().timestamp():
        session.pop("pending", None)
        flash("Please start again: enter your email and password.")
        return redirect(url_for("staff.login"))
    if on_a_kiosk():
        session.pop("pending", None)
        return _refused_on_a_kiosk("staff/login_code.html")
    if request.method == "GET":
        return render_template("staff/login_code.html")
    db = get_db()
    with writing(db):
        attempt = logins.check_code(db, pending["uid"], request.form.get("code"), now(),
                                    limits(), source())
        if attempt.outcome != "ok":
            log("login.failed", f"user:{pending['uid']}", {"why": "code " + attempt.outcome},
                user=attempt.user)
    if attempt.outcome == "ok":
        return _start(attempt.user)
    flash(attempt.message)
    return render_template("staff/login_code.html"), 401 if attempt.outcome == "wrong" else 429


@bp.post("/logout")
def logout():
    user, state = current_user(), login_state()
    if user is not None:
        db = get_db()
        with writing(db):
            sessions.end_id(db, state.session_id, now(), "logged out")
            log("logout", f"user:{user['id']}", user=user)
        disconnect_sessions([state.session_id])
    session.clear()
    return redirect(url_for("staff.login"))
