"""Settings for one kiosk, changed on the kiosk itself by staff who know the PIN."""
from flask import current_app, redirect, render_template, request, url_for

from ..devices import settings as kiosk_settings
from ..csrf import check_csrf, csrf_token
from ..db import get_db
from ..services import services
from . import bp
from .unlock import SETTINGS_MINUTES, renew_unlock, unlocked_kiosk
from .views import settings_for


def _page(kiosk, settings, error="", status=200):
    svc = services()
    html = render_template(
        "pupil/settings.html", kiosk=kiosk, settings=settings, error=error,
        saved=request.args.get("saved") == "1",
        csrf_token=csrf_token(), seconds=SETTINGS_MINUTES * 60,
        numbers=kiosk_settings.NUMBERS, choices=kiosk_settings.CHOICES,
        packs=[svc.symbols.pack(name) for name in svc.symbols.names()],
        languages=list(svc.content.languages.values()))
    response = current_app.make_response((html, status))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/kiosk/settings")
def settings_form():
    """The kiosk's settings, for staff who have just typed the PIN on it."""
    kiosk = unlocked_kiosk()
    if kiosk is None:
        return redirect(url_for("pupil.kiosk"))
    renew_unlock(kiosk, SETTINGS_MINUTES)
    return _page(kiosk, settings_for(kiosk))


@bp.post("/kiosk/settings")
def save_settings():
    """Check and store every setting at once; a bad one changes nothing."""
    check_csrf()
    kiosk = unlocked_kiosk()
    if kiosk is None:
        return redirect(url_for("pupil.kiosk"), 303)
    renew_unlock(kiosk, SETTINGS_MINUTES)
    svc = services()
    try:
        settings = kiosk_settings.parse(request.form, svc.symbols.names(),
                                        svc.content.languages)
    except kiosk_settings.SettingsError as exc:
        # Show what was typed, so one slip does not mean setting everything again.
        typed = {**settings_for(kiosk), **request.form.to_dict()}
        for name in kiosk_settings.SWITCHES:
            typed[name] = name in request.form
        return _page(kiosk, typed, error=str(exc), status=400)
    kiosk_settings.save(get_db(), kiosk, settings, current_app.config["CLOCK"](),
                        actor=f"staff PIN on kiosk: {kiosk['name']}")
    return redirect(url_for("pupil.settings_form", saved=1), 303)
