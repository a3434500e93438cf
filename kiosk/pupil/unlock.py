"""Leaving kiosk mode: a staff PIN typed on the kiosk opens a short-lived pause page."""
from datetime import datetime, timedelta

from flask import current_app, jsonify, redirect, render_template, request, session, url_for

from ..devices import kiosks
from ..csrf import check_csrf, csrf_token
from ..db import get_db
from . import bp
from .enrol import enrolled_kiosk, this_kiosk

UNLOCK_MINUTES = 2  # long enough to choose, short enough that a pupil cannot wander in
SETTINGS_MINUTES = 10  # reading and choosing a kiosk's settings takes longer
UNLOCKED = "kiosk_unlocked_until"


def end_unlock():
    """Forget any staff unlock on this device (the pupil page does so on every load)."""
    session.pop(UNLOCKED, None)
    session.pop("kiosk_unlocked_for", None)


def unlocked_kiosk():
    """The kiosk a staff member unlocked on this device in the last minutes, or None."""
    kiosk, until = this_kiosk(), session.get(UNLOCKED)
    if kiosk is None or kiosk["revoked_at"] or not until:
        return None
    fresh = datetime.fromisoformat(until) > current_app.config["CLOCK"]()
    return kiosk if fresh and session.get("kiosk_unlocked_for") == kiosk["id"] else None


def renew_unlock(kiosk, minutes=UNLOCK_MINUTES):
    """Keep the kiosk paused for staff for `minutes` from now."""
    now = current_app.config["CLOCK"]()
    session[UNLOCKED] = (now + timedelta(minutes=minutes)).isoformat()
    session["kiosk_unlocked_for"] = kiosk["id"]


@bp.post("/api/kiosk/unlock")
def unlock():
    """Check the staff PIN typed on this kiosk; a right one opens the pause page."""
    kiosk = enrolled_kiosk()
    payload = request.get_json(silent=True)
    pin = payload.get("pin") if isinstance(payload, dict) else None
    if not isinstance(pin, str):
        return jsonify(error="Send the PIN as JSON: {\"pin\": \"...\"}."), 400
    config, now = current_app.config, current_app.config["CLOCK"]()
    result = kiosks.check_staff_pin(get_db(), kiosk["id"], pin, now,
                                    config["KIOSK_PIN_ATTEMPTS"],
                                    config["KIOSK_PIN_LOCK_MINUTES"], ip=request.remote_addr)
    if result.outcome == "unset":
        return jsonify(error="No staff PIN is set yet. School IT can set one with "
                             "set-staff-pin."), 409
    if result.outcome == "locked":
        minutes = f"{result.minutes_left} minute" + ("s" if result.minutes_left != 1 else "")
        return jsonify(error=f"Too many wrong PINs. Try again in {minutes}."), 429
    if result.outcome == "wrong":
        tries = f"{result.attempts_left} tr" + ("ies" if result.attempts_left != 1 else "y")
        return jsonify(error=f"That PIN is not right. {tries} left."), 403
    renew_unlock(kiosk)
    return jsonify(next=url_for("pupil.paused"))


@bp.get("/kiosk/staff")
def paused():
    """The kiosk paused for staff: back to the pupils, or leave kiosk mode."""
    kiosk = unlocked_kiosk()
    if kiosk is None:
        return redirect(url_for("pupil.kiosk"))
    response = current_app.make_response(render_template(
        "pupil/paused.html", kiosk=kiosk, csrf_token=csrf_token(),
        seconds=UNLOCK_MINUTES * 60))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/api/kiosk/more-time")
def more_time():
    """Staff still busy on the paused or settings page keep the kiosk paused a while longer."""
    check_csrf()
    kiosk = unlocked_kiosk()
    if kiosk is None:
        return jsonify(error="The kiosk is no longer paused. Type the staff PIN again."), 409
    payload = request.get_json(silent=True)
    minutes = SETTINGS_MINUTES if isinstance(payload, dict) and \
        payload.get("page") == "settings" else UNLOCK_MINUTES
    renew_unlock(kiosk, minutes)
    return jsonify(seconds=minutes * 60)


@bp.post("/kiosk/leave")
def leave():
    """End the unlock and go to the staff login; the device stays enrolled."""
    check_csrf()
    if unlocked_kiosk() is None:
        return redirect(url_for("pupil.kiosk"), 303)
    end_unlock()
    return redirect(url_for("staff.login"), 303)
