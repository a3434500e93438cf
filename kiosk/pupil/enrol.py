"""Which kiosk a device is (its cookie), and enrolling a device with a one-time code."""
from flask import abort, current_app, redirect, render_template, request, url_for

from ..devices import kiosks
from ..csrf import check_csrf, csrf_token
from ..db import get_db
from ..services import services
from . import bp
from .journey import symbol_url

COOKIE = kiosks.DEVICE_COOKIE
COOKIE_MAX_AGE = 5 * 365 * 24 * 3600  # an enrolled iPad should not drop out after a term
NOT_A_KIOSK = "this device is not an enrolled kiosk"


def this_kiosk():
    """The kiosk this device's cookie names (a revoked one too), or None."""
    # Cached on the request, not on `g`: an app context can outlive one request.
    if not hasattr(request, "kiosk_device"):
        request.kiosk_device = kiosks.kiosk_for_token(get_db(), request.cookies.get(COOKIE))
    return request.kiosk_device


def enrolled_kiosk():
    """The device's kiosk when enrolled and not revoked; anything else is refused (403)."""
    kiosk = this_kiosk()
    if kiosk is None or kiosk["revoked_at"]:
        abort(403, NOT_A_KIOSK)
    return kiosk


def not_a_kiosk_page():
    """None for an enrolled kiosk; otherwise the calm page that says to ask an adult."""
    kiosk = this_kiosk()
    if kiosk is not None and not kiosk["revoked_at"]:
        return None
    revoked, svc = kiosk is not None, services()
    symbol = symbol_url(svc.symbols, svc.content.controls["get_adult"].concept)
    html = render_template("pupil/not_a_kiosk.html", revoked=revoked, symbol=symbol)
    response = current_app.make_response((html, 403 if revoked else 200))
    response.headers["Cache-Control"] = "no-store"
    return response


def _status(exc):
    return 429 if isinstance(exc, kiosks.KioskWait) else 400


def _rule():
    return kiosks.enrol_rule(current_app.config["ENROL_ATTEMPTS"])


def _enrol_page(code, error="", status=200):
    kiosk = None
    if code and not error:
        try:
            kiosk = kiosks.checked_code(get_db(), code, current_app.config["CLOCK"](),
                                        request.remote_addr or "", _rule())
        except kiosks.KioskError as exc:
            error, status = str(exc), _status(exc)
    html = render_template("pupil/enrol.html", code=code, kiosk=kiosk, error=error,
                           csrf_token=csrf_token())
    response = current_app.make_response((html, status))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/enrol")
def enrol_form():
    """Name the kiosk a code would make this device; never enrols (link previews use GET)."""
    return _enrol_page(request.args.get("code", "").strip()[:40])


@bp.post("/enrol")
def enrol():
    """Enrol this device with the code, remember it in a long-lived cookie, open the kiosk."""
    check_csrf()
    code = request.form.get("code", "").strip()[:40]
    try:
        _, token = kiosks.enrol(get_db(), code, current_app.config["CLOCK"](),
                                ip=request.remote_addr or "", rule=_rule())
    except kiosks.KioskError as exc:
        return _enrol_page(code, str(exc), _status(exc))
    response = redirect(url_for("pupil.kiosk"), 303)
    response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE, httponly=True,
                        samesite="Lax", secure=request.is_secure)
    return response
