"""Pupil routes. Nothing here returns a stored report: a kiosk can only add one."""
from flask import abort, current_app, jsonify, render_template, request, send_file

from ..devices import settings as kiosk_settings
from .. import notify
from ..safeguarding import outbox
from ..db import get_db
from ..safeguarding.reports import (MAX_NAME, MAX_WORDS, BadReport, parse_submission,
    Sender, store_report)
from ..services import services
from ..speech.compress import FORMATS
from ..speech.tts import SpeechError
from . import bp
from . import hearing_back_views
from .enrol import enrolled_kiosk, not_a_kiosk_page, this_kiosk
from .journey import journey_data
from .unlock import end_unlock

AUDIO_MAX_AGE = 365 * 24 * 3600  # audio URLs change whenever the words, voice or rate do


@bp.get("/")
@bp.get("/kiosk")
def kiosk():
    """The whole pupil journey in one page; answers live only in the page's memory."""
    refused = not_a_kiosk_page()
    if refused:
        return refused
    end_unlock()  # back with the pupils: a staff unlock does not linger
    data = _journey(this_kiosk())
    response = current_app.make_response(render_template("pupil/kiosk.html", journey=data))
    response.headers["Cache-Control"] = "no-store"  # no back-forward copy of a report
    return response


@bp.get("/api/kiosk/journey")
def journey():
    """The journey again in another language or pace, chosen by a pupil on the first page."""
    kiosk = enrolled_kiosk()
    args = request.args
    language = args.get("lang", "")
    if language and language not in services().content.languages:
        return jsonify(error=f"no translation for language '{language}'"), 404
    response = jsonify(_journey(kiosk, language or None, args.get("slower") == "1",
                                args.get("bigger") == "1"))
    response.headers["Cache-Control"] = "no-store"
    return response


def settings_for(kiosk):
    svc = services()
    return kiosk_settings.for_kiosk(kiosk, svc.symbols.chosen.name, svc.symbols.names(),
                                    svc.content.languages)


def _journey(kiosk, language=None, slower=False, bigger=False):
    config = current_app.config
    timing = {"idle": config["KIOSK_IDLE_SECONDS"], "warning": config["KIOSK_WARNING_SECONDS"],
              "thanks": config["KIOSK_THANKS_SECONDS"]}
    return journey_data(services(), settings_for(kiosk), timing,
                        {"words": MAX_WORDS, "name": MAX_NAME}, language, slower, bigger)


@bp.get("/symbols/<pack>/<file_name>")
def symbol(pack, file_name):
    path = services().symbols.file_path(pack, file_name)
    if path is None:
        abort(404)
    return send_file(path, max_age=24 * 3600)


@bp.get("/audio/<key>.wav")
def audio(key):
    """A rendered phrase; only phrases from the content are ever rendered.

    `?as=opus` or `?as=mp3` asks for the same words compressed, as the page's browser
    says it can play (kiosk.js). The format is a query, not the file's extension, so the
    phrase keeps one path wherever the page compares what it is saying.
    """
    fmt = request.args.get("as", "wav")
    speech = services().speech
    if not speech.is_known(key) or (fmt != "wav" and fmt not in FORMATS):
        abort(404)
    try:
        path, mimetype, encoded = speech.render_as(key, fmt)
    except SpeechError as exc:
        current_app.logger.error("speech unavailable: %s", exc)
        abort(503)
    response = send_file(path, mimetype=mimetype, max_age=AUDIO_MAX_AGE)
    # A WAV sent because the encoder failed is not kept under this URL for a year:
    # the next load asks again and gets the small file once encoding works.
    response.headers["Cache-Control"] = (f"public, max-age={AUDIO_MAX_AGE}, immutable"
                                         if encoded else "no-cache")
    return response


@bp.get("/about/symbols")
def about_symbols():
    return render_template("pupil/about_symbols.html", packs=services().symbols.packs)


@bp.post("/api/reports")
def send_report():
    """Store a pupil's report; answers 201 once it is safely on disk (200 for a retry)."""
    kiosk = enrolled_kiosk()
    payload = request.get_json(silent=True)
    if payload is None:
        return jsonify(error="the report must be JSON"), 400
    svc = services()
    try:
        submission = parse_submission(payload, svc.content)
    except BadReport as exc:
        return jsonify(error=str(exc)), 400
    now = current_app.config["CLOCK"]()
    report, notification = store_report(get_db(), svc.reporting, submission, now,
                                         Sender(kiosk=kiosk))
    notify.push(svc.broker, notification)
    outbox.wake()  # an urgent report's email leaves now, not at the next look
    status = 201 if notification else 200
    # The pictures are given once, with the first answer: only their hash is kept, so a
    # retried send (200) cannot be told them again and gets null.
    code = hearing_back_views.code_for(report) if notification else None
    return jsonify(status="stored", reference=report["client_id"],
                   told=svc.school.told_when(report["due_at"], now),
                   hearing_code=code), status
