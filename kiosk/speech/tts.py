"""Speech out: pyttsx3 renders each phrase once into a WAV cache the kiosk plays.

pyttsx3 engines are not thread-safe and would otherwise speak on the server's own
speaker, so one worker thread owns the engine and only ever saves to files.
"""
import hashlib
import logging
import os
import queue
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class SpeechError(RuntimeError):
    """Speech could not be rendered (no engine, no such voice, engine failure)."""


def speech_key(text, voice, rate):
    """Cache key for a phrase: changes whenever the words, voice or rate change."""
    return hashlib.sha256(f"{voice}\n{rate}\n{text}".encode()).hexdigest()[:32]


def _default_engine():
    import pyttsx3  # imported here so the app starts even where speech is unavailable
    return pyttsx3.init()


def choose_voice(engine, wanted):
    """The engine voice id whose id, name or language matches `wanted` (e.g. 'en-gb')."""
    wanted = wanted.lower()
    for voice in engine.getProperty("voices"):
        languages = [str(lang).lower() for lang in (voice.languages or [])]
        if wanted in (voice.id.lower(), voice.name.lower(), *languages):
            return voice.id
    raise SpeechError(f"no speech voice matches '{wanted}'")


class SpeechCache:
    """Phrases the kiosk may speak, rendered once each by a single worker thread."""

    def __init__(self, folder, voice, rate, engine_factory=_default_engine):
        self.folder = Path(folder)
        self.voice, self.rate = voice, int(rate)
        self._engine_factory = engine_factory
        self._phrases = {}  # key -> text: only known phrases are ever rendered
        self._jobs = queue.Queue()
        self._start_lock = threading.Lock()
        self._worker = None

    def register(self, texts):
        """Allow these phrases to be spoken; returns {text: key}."""
        keys = {text: speech_key(text, self.voice, self.rate) for text in texts}
        self._phrases.update({key: text for text, key in keys.items()})
        return keys

    def path_for(self, key):
        return self.folder / f"{key}.wav"

    def is_known(self, key):
        return key in self._phrases

    def render(self, key, timeout=30):
        """The WAV file for a known phrase, rendering it now if it is not cached."""
        path = self.path_for(key)
        if path.exists():
            return path
        done = self._submit(key)
        if not done.wait(timeout):
            raise SpeechError("speech took too long to render")
        if not path.exists():
            raise SpeechError(done.error or "speech could not be rendered")
        return path

    def render_all(self):
        """Render every registered phrase not yet cached; returns how many were rendered."""
        pending = [self._submit(key) for key in list(self._phrases)
                   if not self.path_for(key).exists()]
        for done in pending:
            done.wait()
        failed = [d.error for d in pending if d.error]
        if failed:
            raise SpeechError(failed[0])
        return len(pending)

    def _submit(self, key):
        done = threading.Event()
        done.error = ""
        self._ensure_worker()
        self._jobs.put((key, done))
        return done

    def _ensure_worker(self):
        with self._start_lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="tts", daemon=True)
                self._worker.start()

    def _work(self):
        engine, engine_error = None, ""
        try:
            engine = self._engine_factory()
            engine.setProperty("voice", choose_voice(engine, self.voice))
            engine.setProperty("rate", self.rate)
        except Exception as exc:  # no espeak-ng, no voice: say so on every job
            engine_error = f"speech engine unavailable: {exc}"
            log.error(engine_error)
        while True:
            key, done = self._jobs.get()
            try:
                if engine is None:
                    done.error = engine_error
                elif not self.path_for(key).exists():
                    self._render_one(engine, key)
            except Exception as exc:
                done.error = f"speech failed: {exc}"
                log.exception("speech failed for %s", key)
            finally:
                done.set()

    def _render_one(self, engine, key):
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.path_for(key)
        partial = final.with_suffix(f".{os.getpid()}.part")
        engine.save_to_file(self._phrases[key], str(partial))
        engine.runAndWait()
        if not partial.exists() or partial.stat().st_size <= 44:  # a bare WAV header
            partial.unlink(missing_ok=True)
            raise SpeechError("the engine produced no audio")
        os.replace(partial, final)  # never serve a half-written file
