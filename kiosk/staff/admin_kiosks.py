"""Kiosk pages for school IT: enrol a device, give a replaced iPad a new code, revoke, staff PIN."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for

from ..devices import kiosks
from ..db import get_db, writing
from . import bp
from .auditing import log, now
from .auth import roles_required

KIOSK_ADMINS = ("it",)


def _actor(user):
    return f"{user['email']} (it)"


def _enrol_link(code):
    base = current_app.config.get("BASE_URL") or request.host_url.rstrip("/")
    return f"{base}{url_for('pupil.enrol_form')}?code={code}"


def _code_page(user, kiosk, code, status=200):
    return render_template("staff/kiosk_code.html", user=user, kiosk=kiosk, code=code,
                           link=_enrol_link(code), hours=current_app.config["KIOSK_ENROL_HOURS"]), status


def _kiosk(kiosk_id):
    kiosk = kiosks.get_kiosk(get_db(), kiosk_id)
    if kiosk is None:
        abort(404, f"There is no kiosk {kiosk_id}.")
    return kiosk


@bp.get("/admin/kiosks")
@roles_required(*KIOSK_ADMINS)
def admin_kiosks(user):
    with writing(get_db()):
        log("kiosks.viewed", "kiosks")
    rows = [dict(k, state=kiosks.state_of(k, now())) for k in kiosks.list_kiosks(get_db())]
    return render_template("staff/admin_kiosks.html", user=user, kiosks=rows)


@bp.post("/admin/kiosks")
@roles_required(*KIOSK_ADMINS)
def admin_create_kiosk(user):
    try:
        kiosk, code = kiosks.create_kiosk(get_db(), request.form.get("name"),
                                          request.form.get("place", ""), now(), _actor(user),
                                          current_app.config["KIOSK_ENROL_HOURS"])
    except kiosks.KioskError as exc:
        flash(f"Not added: {exc}.")
        return redirect(url_for("staff.admin_kiosks")), 303
    return _code_page(user, kiosk, code, 201)


@bp.post("/admin/kiosks/<int:kiosk_id>/code")
@roles_required(*KIOSK_ADMINS)
def admin_kiosk_code(user, kiosk_id):
    try:
        kiosk, code = kiosks.new_enrol_code(get_db(), _kiosk(kiosk_id)["name"], now(),
                                            current_app.config["KIOSK_ENROL_HOURS"], _actor(user))
    except kiosks.KioskError as exc:
        flash(f"No code: {exc}.")
        return redirect(url_for("staff.admin_kiosks")), 303
    return _code_page(user, kiosk, code)


@bp.post("/admin/kiosks/<int:kiosk_id>/revoke")
@roles_required(*KIOSK_ADMINS)
def admin_revoke_kiosk(user, kiosk_id):
    try:
        kiosk = kiosks.revoke_kiosk(get_db(), _kiosk(kiosk_id)["name"], now(), _actor(user))
        flash(f"Revoked {kiosk['name']}: that device can no longer send reports.")
    except kiosks.KioskError as exc:
        flash(f"Not revoked: {exc}.")
    return redirect(url_for("staff.admin_kiosks"))


@bp.post("/admin/staff-pin")
@roles_required(*KIOSK_ADMINS)
def admin_staff_pin(user):
    pin = request.form.get("pin", "")
    if pin != request.form.get("confirm", ""):
        flash("The two PINs are not the same.")
        return redirect(url_for("staff.admin_kiosks")), 303
    try:
        kiosks.set_staff_pin(get_db(), pin, now(), _actor(user))
    except kiosks.KioskError as exc:
        flash(f"Not set: {exc}.")
        return redirect(url_for("staff.admin_kiosks")), 303
    flash("Staff PIN set for every kiosk.")
    return redirect(url_for("staff.admin_kiosks"))
