"""Speech out: each phrase is rendered once by pyttsx3 into a WAV cache the kiosk plays.

pyttsx3 would otherwise speak on the server's own speaker; here it only saves files,
in one process of its own (see worker.py).
"""
import hashlib
import json
import logging
import queue
import select
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from . import compress

log = logging.getLogger(__name__)


class SpeechError(RuntimeError):
    """Speech could not be rendered (no engine, no such voice, engine failure)."""


def speech_key(text, voice, rate):
    """Cache key for a phrase: changes whenever the words, voice or rate change."""
    return hashlib.sha256(f"{voice}\n{rate}\n{text}".encode()).hexdigest()[:32]


WORKER_COMMAND = [sys.executable, "-m", "kiosk.speech.worker"]
PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent


class Renderer:
    """Feeds phrases, one at a time, to the speech process that owns the engine.

    The engine lives in its own process (kiosk/speech/worker.py): pyttsx3 is not
    thread-safe, espeak-ng has one state per process, and a crash or hang there must
    not take the server down. The process starts on first use and restarts if it dies.
    """

    def __init__(self, command=WORKER_COMMAND, job_timeout=30):
        self._command = command
        self._job_timeout = job_timeout
        self._jobs = queue.Queue()
        self._lock = threading.Lock()
        self._thread = None

    def submit(self, text, voice, rate, path):
        """Queue one phrase; returns an Event whose .error is "" on success."""
        done = threading.Event()
        done.error = ""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._feed, name="tts", daemon=True)
                self._thread.start()
        self._jobs.put(({"text": text, "voice": voice, "rate": rate, "path": str(path)}, done))
        return done

    def _start_process(self):
        return subprocess.Popen(self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True, cwd=PROJECT_ROOT, bufsize=1)

    def _ask(self, process, job):
        process.stdin.write(json.dumps(job) + "\n")
        process.stdin.flush()
        ready, _, _ = select.select([process.stdout], [], [], self._job_timeout)
        if not ready:
            raise TimeoutError("speech took too long to render")
        line = process.stdout.readline()
        if not line:
            raise OSError("the speech process stopped")
        return json.loads(line)["error"]

    def _feed(self):
        process = None
        while True:
            job, done = self._jobs.get()
            try:
                if process is None or process.poll() is not None:
                    process = self._start_process()
                try:
                    done.error = self._ask(process, job)
                except OSError:  # it died between jobs: one fresh start, then give up
                    process.kill()
                    process = self._start_process()
                    done.error = self._ask(process, job)
            except (OSError, TimeoutError, ValueError) as exc:
                done.error = f"speech unavailable: {exc}"
                if process is not None:
                    process.kill()
                process = None
            finally:
                if done.error:
                    log.error("speech failed for %r: %s", job["text"], done.error)
                done.set()


RENDERER = Renderer()


class SpeechCache:
    """Phrases the kiosk may speak, each rendered once into `folder`."""

    def __init__(self, folder, voice, rate, renderer=RENDERER):
        self.folder = Path(folder)
        self.voice, self.rate = voice, int(rate)
        self.renderer = renderer
        self._phrases = {}  # key -> text: only known phrases are ever rendered

    def register(self, texts, voice="", rate=None):
        """Allow these phrases to be spoken; returns {text: key}.

        `voice` and `rate` default to the server's own: a kiosk set to another
        language or a slower pace registers the same phrases in its voice and rate.
        """
        voice, rate = voice or self.voice, int(rate or self.rate)
        keys = {text: speech_key(text, voice, rate) for text in texts}
        self._phrases.update({key: (text, voice, rate) for text, key in keys.items()})
        return keys

    def __len__(self):
        return len(self._phrases)

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

    def render_as(self, key, fmt, timeout=30):
        """(path, mimetype, encoded) for a known phrase as `fmt` ("wav", "opus", "mp3").

        The WAV is rendered as by render(), then encoded once into a file beside it.
        An encoder that fails gives the WAV (encoded False) with a log line: the pupil
        still hears the words, only with more bytes.
        """
        path = self.render(key, timeout)
        if fmt == "wav":
            return path, compress.WAV_MIMETYPE, True
        try:
            return compress.encode(path, fmt), compress.FORMATS[fmt].mimetype, True
        except compress.EncodeError as exc:
            log.error("speech sent as WAV instead: %s", exc)
            return path, compress.WAV_MIMETYPE, False

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
        text, voice, rate = self._phrases[key]
        return self.renderer.submit(text, voice, rate, self.path_for(key))

    def speak_once(self, text, timeout=15, voice="", rate=None):
        """WAV bytes for a one-off phrase (a pupil's own words read back), never cached.

        The file lives only in a private temporary folder for the moment it takes
        to read it, so a pupil's words do not stay on disk.
        """
        with tempfile.TemporaryDirectory(prefix="kiosk-say-") as folder:
            path = Path(folder) / "say.wav"
            done = self.renderer.submit(text, voice or self.voice, int(rate or self.rate), path)
            if not done.wait(timeout):
                raise SpeechError("speech took too long to render")
            if not path.exists():
                raise SpeechError(done.error or "speech could not be rendered")
            return path.read_bytes()
