"""The pupil's typed words, spoken back on the review, so a pupil who cannot read them
hears what they wrote before sending it.

The words are rendered once for this request and never kept (speak_once): not in the
speech cache, not on disk, not in the log. Only an enrolled kiosk may ask, a few times
a minute, since rendering costs the server real work.
"""
import threading
import time

from flask import Response, jsonify, request

from ..devices import settings as kiosk_settings
from ..safeguarding.reports import MAX_WORDS
from ..services import services
from ..speech.tts import SpeechError
from . import bp
from .enrol import enrolled_kiosk
from .journey import _voice

PER_MINUTE = 12  # a review read a few times over, not a text-to-speech service
_asked = {}  # kiosk id -> recent request times
_asked_guard = threading.Lock()


def _allowed(kiosk_id, now=None):
    now = time.monotonic() if now is None else now
    with _asked_guard:
        recent = [t for t in _asked.get(kiosk_id, ()) if now - t < 60]
        if len(recent) >= PER_MINUTE:
            _asked[kiosk_id] = recent
            return False
        _asked[kiosk_id] = recent + [now]
        return True


@bp.post("/api/read-back")
def read_back():
    """WAV of the words given, in the kiosk's voice for the pupil's language."""
    kiosk = enrolled_kiosk()
    payload = request.get_json(silent=True)
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str) or not text.strip():
        return jsonify(error="send {text: the words to read back}"), 400
    if len(text) > MAX_WORDS:
        return jsonify(error=f"at most {MAX_WORDS} characters can be read back"), 400
    if not _allowed(kiosk["id"]):
        return jsonify(error="too many read-backs: try again in a minute"), 429
    svc = services()
    from .views import settings_for  # the kiosk's own voice and pace
    settings = settings_for(kiosk)
    language = svc.content.languages.get(payload.get("language") or "") \
        or svc.content.languages.get(settings["language"])
    voice = _voice(language, svc.speech.voice, settings["voice_variant"])
    rate = kiosk_settings.speech_rate(settings, svc.speech.rate, payload.get("slower") is True)
    try:
        wav = svc.speech.speak_once(text.replace("\x00", "").strip(), voice=voice, rate=rate)
    except SpeechError as exc:
        return jsonify(error=f"the words could not be spoken: {exc}"), 503
    response = Response(wav, mimetype="audio/wav")
    response.headers["Cache-Control"] = "no-store"  # a pupil's words are kept nowhere
    return response
