"""Staff login and logout, and the guards every staff route uses."""
import functools

from flask import abort, flash, redirect, render_template, request, session, url_for

from ..db import get_db
from ..users import READER_ROLES, authenticate, get_user
from . import bp


def current_user():
    """The logged-in staff member, or None."""
    user_id = session.get("uid")
    return get_user(get_db(), user_id) if user_id else None


def reader_required(view):
    """Only the DSL team and the head may read reports."""
    @functools.wraps(view)
    def wrapped(**kwargs):
        user = current_user()
        if user is None:
            return redirect(url_for("staff.login", next=request.path))
        if user["role"] not in READER_ROLES:
            abort(403)
        return view(user=user, **kwargs)
    return wrapped


def _safe_next(target):
    return target if target and target.startswith("/staff/") and "//" not in target else None


@bp.route("/login", methods=("GET", "POST"))
def login():
    """Email and password; a fresh session on success so no old session id survives."""
    if request.method == "POST":
        user = authenticate(get_db(), request.form.get("email"), request.form.get("password"))
        if user is not None:
            session.clear()
            session.permanent = True
            session["uid"] = user["id"]
            return redirect(_safe_next(request.args.get("next")) or url_for("staff.dashboard"))
        flash("That email and password do not match an account.")
        return render_template("staff/login.html"), 401
    return render_template("staff/login.html")


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("staff.login"))
