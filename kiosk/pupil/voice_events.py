"""Socket.IO for speech input: a kiosk streams one utterance at a time and hears back.

Protocol, namespace /voice:
  start {page, rate: 16000, channels: 1, encoding: "s16le"} -> ack {ok, engine, mode} or {error}
  audio <bytes>   about 100 ms of 16-bit mono PCM a time
  stop            the pupil pressed Done: decide now
  cancel          drop the utterance (page changed, Hide, reset)
Server to kiosk:
  partial {text}  words so far
  heard {status: tile|words|not_heard, ...}   exactly one per start
  readback <bytes>  WAV of the pupil's own words, to confirm them by ear
Events for one kiosk are handled in order (async_handlers is off), and the
audio is never written anywhere: each chunk is fed to the recogniser, which holds
at most the one answer's audio in memory until it is decided.
"""
import logging
import threading
import time
from dataclasses import dataclass, field

from flask import current_app, request
from flask_socketio import emit

from flask_socketio import ConnectionRefusedError

from ..extensions import socketio
from ..services import services
from ..speech.tts import SpeechError
from ..voice.engines import SAMPLE_RATE, VoiceUnavailable
from ..voice.listener import Limits, Listener

NAMESPACE = "/voice"
REAP_EVERY = 0.5
log = logging.getLogger(__name__)


@dataclass
class Stream:
    """One kiosk's open utterance. The lock keeps the reaper and the kiosk's own
    events from using the listener at the same moment."""
    listener: Listener
    page: str
    speech: object  # the app's speech cache, to read spoken words back
    lock: threading.Lock = field(default_factory=threading.Lock)


_streams = {}  # sid -> Stream
_streams_lock = threading.Lock()
_reaper = None


@socketio.on("connect", namespace=NAMESPACE)
def connect(auth=None):
    """Only an enrolled kiosk may listen: recognition costs the server real work."""
    from .enrol import this_kiosk
    kiosk = this_kiosk()
    if kiosk is None or kiosk["revoked_at"]:
        raise ConnectionRefusedError("this device is not an enrolled kiosk")
    services().voice.start()
    _start_reaper()


@socketio.on("start", namespace=NAMESPACE)
def start(data):
    svc = services()
    if svc.content is None:
        return {"error": "the kiosk's content is not valid"}
    if not isinstance(data, dict):
        return {"error": "start needs {page, rate, channels, encoding}"}
    if (data.get("rate"), data.get("channels"), data.get("encoding")) != (SAMPLE_RATE, 1, "s16le"):
        return {"error": "audio must be 16 kHz, mono, 16-bit little-endian (s16le)"}
    mode = svc.content.voice_mode(data.get("page"))
    if mode is None:
        return {"error": "this page cannot be answered by speaking"}
    _close(request.sid)  # a new start replaces any utterance left open
    phrases = svc.content.voice_phrases(data["page"]) if mode == "tiles" else None
    limits = Limits(**current_app.config.get("VOICE_LIMITS", {}))
    try:
        engine = svc.voice.words_engine if mode == "words" else svc.voice.engine
        listener = Listener(engine, phrases, limits,
                            strict=svc.content.voice_strict(data["page"]))
    except VoiceUnavailable as exc:
        return {"error": f"speech input is busy or unavailable: {exc}"}
    except Exception as exc:  # an engine fault must answer the kiosk, not leave it waiting
        log.exception("Speech input could not start on page %r", data["page"])
        return {"error": f"speech input failed: {exc}"}
    with _streams_lock:
        _streams[request.sid] = Stream(listener, data["page"], svc.speech)
    return {"ok": True, "engine": listener.engine.name, "mode": mode}


@socketio.on("audio", namespace=NAMESPACE)
def audio(chunk):
    stream = _streams.get(request.sid)
    if stream is None:
        return  # chunks in flight after the utterance ended: nothing to do
    with stream.lock:
        partial = _safely(stream.listener, stream.listener.feed, chunk)
    if partial:
        emit("partial", {"text": partial})
    if stream.listener.finished:
        _conclude(request.sid, stream)


@socketio.on("stop", namespace=NAMESPACE)
def stop(data=None):
    stream = _streams.get(request.sid)
    if stream is None:
        return
    with stream.lock:
        _safely(stream.listener, stream.listener.finish)
    _conclude(request.sid, stream)


@socketio.on("cancel", namespace=NAMESPACE)
def cancel(data=None):
    _close(request.sid)


@socketio.on("disconnect", namespace=NAMESPACE)
def disconnect(*args):
    _close(request.sid)


def _close(sid):
    """Forget a kiosk's utterance and free its recogniser; returns it, or None."""
    with _streams_lock:
        stream = _streams.pop(sid, None)
    if stream is not None:
        with stream.lock:
            stream.listener.close()
    return stream


def _safely(listener, step, *args):
    """One step of recognition; an engine fault ends the utterance as not heard."""
    try:
        return step(*args)
    except Exception:
        log.exception("Speech recognition failed")
        listener.fail("engine_error")
        return ""


def _conclude(sid, stream):
    """Send the one 'heard' event of an utterance, then the read-back of spoken words.

    Only `stream` is concluded: if the kiosk has started a new utterance meanwhile
    (the reaper checked an old one), the new one is left alone.
    """
    with _streams_lock:
        if _streams.get(sid) is not stream:
            return  # another thread concluded it first, or it was replaced
        del _streams[sid]
    with stream.lock:
        stream.listener.close()
    outcome = stream.listener.outcome
    socketio.emit("heard", dict(outcome.as_event(), page=stream.page), to=sid,
                  namespace=NAMESPACE)
    if outcome.status == "words":
        try:
            wav = stream.speech.speak_once(outcome.text)
        except SpeechError as exc:
            log.warning("Could not read spoken words back: %s", exc)
            return
        socketio.emit("readback", wav, to=sid, namespace=NAMESPACE)


def _start_reaper():
    """One background task ends streams that stopped sending or ran over time."""
    global _reaper
    with _streams_lock:
        if _reaper is None:
            _reaper = socketio.start_background_task(_reap)


def _reap():
    """Runs for the life of the process: nothing a stream does may end it."""
    while True:
        time.sleep(REAP_EVERY)
        try:
            reap_once()
        except Exception:
            log.exception("Ending stale speech streams failed")


def reap_once():
    """End each stream that stopped sending or ran over time, and tell its kiosk."""
    for sid, stream in list(_streams.items()):
        with stream.lock:
            _safely(stream.listener, stream.listener.check_time)
        if stream.listener.finished:
            _conclude(sid, stream)
