"""Hearing back at the kiosk: a code with the thank-you, and "Did an adult read my worry?".

A kiosk can only add: the check answers with one word the DSL chose (or "waiting",
"unknown", "locked") and never anything of the report. There is no GET: a code is
never put in an address, where a browser's history would keep it.
"""
from flask import current_app, jsonify, request

from ..content import hearing_back as content
from ..db import get_db
from ..safeguarding import hearing_back
from . import bp
from .enrol import enrolled_kiosk


def code_for(report):
    """The pictures for a report stored just now, or None. The report is already safe:
    a fault here is logged and the pupil gets no code, rather than the send failing."""
    config = current_app.config
    try:
        return hearing_back.issue(get_db(), report, config["CLOCK"](),
                                  config.get("HEARING_BACK_DAYS", hearing_back.DEFAULT_DAYS))
    except Exception:  # noqa: BLE001 - a stored report must still be answered as stored
        current_app.logger.exception("no hearing-back code for report %s", report["id"])
        return None


def _rule():
    config = current_app.config
    return hearing_back.lock_rule(
        config.get("HEARING_BACK_ATTEMPTS", hearing_back.DEFAULT_ATTEMPTS),
        config.get("HEARING_BACK_LOCK_MINUTES", hearing_back.DEFAULT_LOCK_MINUTES))


@bp.post("/api/hearing-back")
def hearing_back_check():
    """{"code": [picture, picture, picture]} -> {"status": read|talk|waiting|unknown},
    or 429 {"status": "locked", "seconds": N} after too many wrong codes at this kiosk."""
    kiosk = enrolled_kiosk()
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify(error="the check must be a JSON object with a code"), 400
    try:
        pictures = content.catalogue().pictures
    except content.HearingBackError as exc:  # the school's file: the kiosk says ask an adult
        current_app.logger.error("hearing back cannot answer: %s", exc)
        return jsonify(error="hearing back is not set up right"), 503
    try:
        code = hearing_back.parse_code(payload.get("code"), pictures)
    except hearing_back.BadCode as exc:
        return jsonify(error=str(exc)), 400
    status, seconds = hearing_back.check(get_db(), kiosk, code,
                                         current_app.config["CLOCK"](), _rule())
    response = jsonify(status="locked", seconds=seconds) if status == "locked" else \
        jsonify(status=status)
    response.headers["Cache-Control"] = "no-store"
    return response, 429 if status == "locked" else 200
