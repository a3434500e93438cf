"""What the app loads once at start-up: content, symbols, school day, speech, live events, voice."""
from dataclasses import dataclass

from flask import current_app

from .content.loading import Content, ContentError, load_content
from .extensions import socketio
from .notify import SocketIOBroker
from .safeguarding.reports import School
from .safeguarding.schoolday import SchoolDay
from .speech.tts import SpeechCache
from .content.symbols import SymbolError, Symbols
from .voice.service import VoiceService


@dataclass
class Services:
    content: Content | None
    symbols: Symbols | None
    error: str  # why the content cannot be used, or ""
    school: SchoolDay
    speech: SpeechCache
    broker: object
    voice: VoiceService

    @property
    def reporting(self):
        """What a report sent now is judged by: the content, the school day and the
        school's settings (read from the config each time, so a change applies at once)."""
        return School(self.content, self.school, current_app.config["SCHOOL_SETTINGS"])


def load_checked_content(config):
    """(symbols, content) from the configured folders; raises ContentError on any fault."""
    try:
        symbols = Symbols(config["SYMBOLS_DIR"], config["SYMBOL_PACK"])
    except SymbolError as exc:
        raise ContentError(str(exc)) from None
    return symbols, load_content(config["CONTENT_DIR"], symbols)


def init_app(app):
    try:
        symbols, content, error = *load_checked_content(app.config), ""
    except ContentError as exc:
        symbols, content, error = None, None, str(exc)
        app.logger.error("Content is not valid, the kiosk will not serve: %s", error)
    speech = SpeechCache(app.config["SPEECH_CACHE"], app.config["SPEECH_VOICE"],
                         app.config["SPEECH_RATE"])
    if content is not None:
        register_speech(speech, content)
    app.extensions["kiosk"] = Services(
        content, symbols, error, SchoolDay.from_config(app.config["SCHOOL_DAY"]), speech,
        app.config.get("BROKER") or SocketIOBroker(socketio),
        VoiceService(app.instance_path, app.config["VOSK_MODEL"], app.config["VOICE_MAX_STREAMS"],
                     app.config["VOICE_WORKERS"], app.config["VOICE_WHISPER"]))


def register_speech(speech, content):
    """Every phrase of every language, in that language's voice, so prerendering covers all.

    Kiosks set to a slower rate or another voice render theirs on first use.
    """
    speech.register(content.spoken_texts() + ["English"])
    for language in content.languages.values():
        if language.voice:
            says = [say for _, say in language.strings.values() if say]
            speech.register(says + [language.name], language.voice)


def services():
    """The current app's loaded services."""
    return current_app.extensions["kiosk"]
