"""A member of staff's own account: change password, log out everywhere."""
from flask import flash, redirect, render_template, request, session, url_for

from ..accounts import logins, sessions, users
from ..db import get_db, writing
from ..accounts.users import ROLE_NAMES, UserError
from . import bp
from .auditing import log, now
from .auth import disconnect_sessions, limits, login_required


@bp.get("/account")
@login_required
def account(user):
    return render_template("staff/account.html", user=user, role_name=ROLE_NAMES[user["role"]],
                           live=len(sessions.live_ids(get_db(), user["id"])))


def _everywhere(user, action, change):
    """Make the change, end every session of this user (this one too), close dashboards."""
    db = get_db()
    live = sessions.live_ids(db, user["id"])
    with writing(db):
        change(db)
        sessions.end_all(db, user["id"], now(), "logged out everywhere")
        log(action, f"user:{user['id']}")
    disconnect_sessions(live)
    session.clear()


@bp.post("/account/password")
@login_required
def change_password(user):
    """Needs the current password; afterwards every session, this one too, must log in again."""
    new = request.form.get("new_password", "")
    db = get_db()
    wait = logins.wait_seconds(db, user["email"], user, request.remote_addr or "", now(),
                               limits())
    if wait:  # guesses at the current password are slowed as at the login page
        flash(logins.wait_message(wait))
        return redirect(url_for("staff.account")), 303
    if users.password_matches(db, user["email"], request.form.get("password")) is None:
        # Someone at an unlocked screen must not get unlimited guesses at the password.
        with writing(db):
            logins.count_failure(db, user, now(), limits(), request.remote_addr or "")
            log("login.failed", f"user:{user['id']}", {"why": "wrong current password"})
        flash("Your current password is not right.")
        return redirect(url_for("staff.account")), 303
    if new != request.form.get("confirm", ""):
        flash("The two new passwords are not the same.")
        return redirect(url_for("staff.account")), 303
    try:
        _everywhere(user, "user.password_changed",
                    lambda db: users.set_password(db, user["id"], new, now()))
    except UserError as exc:
        flash(f"Not changed: {exc}.")
        return redirect(url_for("staff.account")), 303
    flash("Password changed. You were logged out everywhere: log in with the new password.")
    return redirect(url_for("staff.login"))


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere(user):
    _everywhere(user, "user.logged_out_everywhere", lambda db: None)
    flash("You were logged out on every device.")
    return redirect(url_for("staff.login"))
