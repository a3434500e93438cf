"""Accounts pages: school IT runs staff and IT accounts; the DSL and head run the DSL team's.

IT must never be able to read reports, so IT can neither give a reader role nor reset
the password or authenticator of anyone who has one: that would let it become them.
"""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from ..accounts import qr, sessions, users
from ..db import get_db, writing
from ..accounts.users import GRANTS, READER_ROLES, ROLE_NAMES, UserError
from . import bp
from .auditing import log, now, refused
from .auth import disconnect_sessions, roles_required

ACCOUNT_ADMINS = ("it", "dsl", "head")
ISSUER = "Worry kiosk"


def issuer():
    return current_app.config.get("SCHOOL_NAME") or ISSUER


def may_manage(actor, target_role):
    return target_role in GRANTS.get(actor["role"], ())


def _target(actor, user_id):
    target = users.get_user(get_db(), user_id)
    if target is None:
        abort(404, f"There is no user {user_id}.")
    if target["id"] == actor["id"]:
        refused("may not change their own account from the accounts page")
        abort(403, "You cannot change your own role or reset your own account here: "
                   "ask a colleague, or use your Account page for your password.")
    if not may_manage(actor, target["role"]):
        refused(f"role {actor['role']} may not manage a {target['role']} account")
        abort(403, f"Your role cannot change a "
                   f"{ROLE_NAMES[target['role']]} account.")
    return target


def _authenticator_page(actor, target, status=200):
    uri = users.authenticator_uri(target, issuer())
    return render_template("staff/authenticator.html", user=actor, target=target, uri=uri,
                           qr=Markup(qr.svg(uri)), secret=target["totp_secret"]), status


@bp.get("/admin/users")
@roles_required(*ACCOUNT_ADMINS)
def admin_users(user):
    with writing(get_db()):
        log("users.viewed", "users")
    return render_template("staff/admin_users.html", user=user, people=users.list_users(get_db()),
                           grantable=GRANTS[user["role"]], role_names=ROLE_NAMES,
                           manageable=lambda role: may_manage(user, role), now=now())


@bp.post("/admin/users")
@roles_required(*ACCOUNT_ADMINS)
def admin_create_user(user):
    role = request.form.get("role", "")
    if role in users.ROLES and not may_manage(user, role):
        refused(f"role {user['role']} may not create a {role} account")
        abort(403, f"Your role cannot create a {ROLE_NAMES[role]} account.")
    db = get_db()
    try:
        with writing(db):
            created = users.create_user(db, request.form.get("email"), request.form.get("password"),
                                        role, request.form.get("name", ""), now())
            log("user.created", f"user:{created['id']}", {"role": role})
    except UserError as exc:
        flash(f"Not created: {exc}.")
        return redirect(url_for("staff.admin_users")), 303
    if created["role"] in READER_ROLES:
        return _authenticator_page(user, created, 201)
    flash(f"Created {created['email']} ({ROLE_NAMES[role]}).")
    return redirect(url_for("staff.admin_users"))


def _change(user, user_id, action, change):
    """Apply one account change, audit it, and close the dashboards of ended sessions."""
    target = _target(user, user_id)
    db = get_db()
    live = sessions.live_ids(db, user_id)
    try:
        with writing(db):
            result = change(db, target)
            log(action, f"user:{user_id}", {"by_role": user["role"]})
    except UserError as exc:
        flash(f"Not changed: {exc}.")
        return None
    disconnect_sessions(live)
    return result


@bp.post("/admin/users/<int:user_id>/role")
@roles_required(*ACCOUNT_ADMINS)
def admin_set_role(user, user_id):
    role = request.form.get("role", "")
    if role in users.ROLES and not may_manage(user, role):
        refused(f"role {user['role']} may not give the role {role}")
        abort(403, f"Your role cannot give the role {ROLE_NAMES[role]}.")
    changed = _change(user, user_id, "user.role_changed",
                      lambda db, t: users.set_role(db, t["id"], role, now()))
    if changed is not None and changed["role"] in READER_ROLES and not changed["totp_last_step"]:
        return _authenticator_page(user, changed)
    if changed is not None:
        flash(f"{changed['email']} is now {ROLE_NAMES[role]} and was logged out everywhere.")
    return redirect(url_for("staff.admin_users"))


@bp.post("/admin/users/<int:user_id>/password")
@roles_required(*ACCOUNT_ADMINS)
def admin_set_password(user, user_id):
    if _change(user, user_id, "user.password_set", lambda db, t: users.set_password(
            db, t["id"], request.form.get("password"), now())):
        flash("Password set; they were logged out everywhere.")
    return redirect(url_for("staff.admin_users"))


@bp.post("/admin/users/<int:user_id>/authenticator")
@roles_required(*ACCOUNT_ADMINS)
def admin_reset_authenticator(user, user_id):
    changed = _change(user, user_id, "user.authenticator_reset",
                      lambda db, t: users.reset_authenticator(db, t["id"], now()))
    if changed is not None:
        return _authenticator_page(user, changed)
    return redirect(url_for("staff.admin_users"))


@bp.post("/admin/users/<int:user_id>/unlock")
@roles_required(*ACCOUNT_ADMINS)
def admin_unlock(user, user_id):
    """Unlock only an account this role runs (README "Roles"): IT no reader's, the DSL
    not the head's."""
    target = _target(user, user_id)
    db = get_db()
    with writing(db):
        users.unlock(db, target["id"])
        log("user.unlocked", f"user:{user_id}")
    flash("Unlocked.")
    return redirect(url_for("staff.admin_users"))


@bp.post("/admin/users/<int:user_id>/active")
@roles_required(*ACCOUNT_ADMINS)
def admin_set_active(user, user_id):
    active = request.form.get("active") == "1"
    if _change(user, user_id, "user.switched_on" if active else "user.switched_off",
               lambda db, t: users.set_active(db, t["id"], active, now())):
        flash("Account switched on." if active else "Account switched off and logged out.")
    return redirect(url_for("staff.admin_users"))
