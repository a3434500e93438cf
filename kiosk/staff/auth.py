"""Staff login (password, then an authenticator code for readers), logout, and route guards."""
import functools

from flask import (abort, current_app, flash, redirect, render_template, request, session,
                   url_for)

from ..accounts import logins, sessions
from ..db import get_db, writing
from ..accounts.users import CHAIR_ROLE, READER_ROLES
from ..safeguarding import allegations, case_pupils
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

# Where the chair of governors may go besides the cases about the head: their dashboard
# (which lists only those cases), its data, and their own account.
CHAIR_PAGES = {"staff.dashboard", "staff.board_panels", "staff.closed_cases",
               "staff.notifications_since", "staff.account", "staff.change_password",
               "staff.logout_everywhere", "staff.logout", "staff.login", "staff.login_code",
               "staff.static", "staff.alert_screen", "staff.stop_alerts"}
CLOSED_TO_YOU = "This case is not open to you. If you think you need it, ask the head teacher."
REPORT_FORM_FIELDS = ("into", "other")  # form fields naming another case (merge, link)


def _cases_named(view_args):
    """The case numbers this request names: in its address, or in a form field."""
    named = [view_args["report_id"]] if "report_id" in view_args else []
    for name in REPORT_FORM_FIELDS:
        value = (request.form.get(name) or "").strip() if request.method == "POST" else ""
        if value.isdigit():
            named.append(int(value))
    return named


def _closed_to(user, db):
    """(target, why[, words]) when this request names a case the person may not see (or
    would give the case to someone it names), else None."""
    view_args = request.view_args or {}
    for report_id in _cases_named(view_args):
        if not allegations.may_read(db, user, report_id):
            return f"report:{report_id}", "case closed to this account"
    owner = (request.form.get("owner_id") or "").strip() if request.method == "POST" else ""
    if "report_id" in view_args and owner.isdigit() and \
            int(owner) in allegations.named_in(db, view_args["report_id"]):
        return (f"report:{view_args['report_id']}", "owner is named by the case",
                "This case names that person: it cannot be given to them.")
    if "pupil_id" in view_args:
        if user["role"] == CHAIR_ROLE:
            return f"pupil:{view_args['pupil_id']}", "pupil records closed to this account"
        hidden = allegations.naming(db, user["id"])
        if hidden and any(c["id"] in hidden for c in case_pupils.cases_for(db, view_args["pupil_id"])):
            return f"pupil:{view_args['pupil_id']}", "pupil record holds a case closed to this account"
    if user["role"] == CHAIR_ROLE and "report_id" not in view_args \
            and request.endpoint not in CHAIR_PAGES:
        return request.path, f"role {CHAIR_ROLE} may not use {request.endpoint}"
    return None


def shown(db, reports):
    """Those of these reports the person asking may see listed (dashboard, searches)."""
    return allegations.visible(db, current_user(), reports)


def panels_shown(db, panels):
    """The dashboard's side panels as the person asking may see them: no sign-off waiting
    on a case closed to them; for the chair, nothing but their cases' sign-offs."""
    user = current_user()
    if user is None:
        return panels
    allowed = {r["id"] for r in allegations.visible(
        db, user, [{"id": i} for i in panels["sign_off"]])}
    panels = dict(panels, sign_off=[i for i in panels["sign_off"] if i in allowed])
    if user["role"] == CHAIR_ROLE:
        panels.update(help=[], warnings=[])
    return panels


@bp.before_request
def refuse_closed_cases():
    """One check before every staff route: nobody reaches a case that names them (an
    allegation about staff), and the chair of governors reaches only the cases about the
    head. Each refusal is audited with who tried; the words never say why."""
    user = current_user()
    if user is None:
        return None
    db = get_db()
    closed = _closed_to(user, db)
    if closed is None:
        return None
    with writing(db):
        refused(closed[1], closed[0])
    abort(403, closed[2] if len(closed) > 2 else CLOSED_TO_YOU)


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
