"""Which engine recognises speech, loaded once in the background at start-up.

vosk is used whenever a model is installed (or configured) and loads; until it
has loaded, and whenever it cannot, pocketsphinx answers instead, so a missing
or damaged model never stops a pupil from speaking or the server from starting.

pocketsphinx runs in worker processes (voice/workers.py) unless the workers are set to
0: it holds Python's GIL while decoding, so in the server's own process it would use
one core however many there are. vosk stays in the server process: its calls release
the GIL (cffi), so kiosks already decode on every core, and its model (hundreds of MB)
is loaded once rather than once a worker.
"""
import logging
import threading

from .engines import PocketSphinxEngine, VoskEngine
from .models import active_model, missing_parts
from .whisper import WhisperEngine
from .workers import shared_pool

log = logging.getLogger(__name__)


class VoiceService:
    def __init__(self, instance_path, configured_model="", max_streams=24, workers=0,
                 whisper=True):
        self.model_path = active_model(instance_path, configured_model)
        # The pool is only made here; its processes start with load(), off any request.
        self.workers = workers
        self.fallback = shared_pool(workers, max_streams) if workers else _pocketsphinx(max_streams)
        self.vosk = None
        self.vosk_problem = "" if self.model_path else "no vosk model installed"
        # A pupil's own words: Whisper tiny.en when installed (about a fifth of
        # pocketsphinx's wrong words, bench/whisper.py), one model a process.
        self.whisper = _whisper() if whisper else None
        self._start_lock = threading.Lock()
        self._thread = None

    def start(self):
        """Load models off the request path; returns the thread (tests may join it)."""
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self.load, name="voice-load",
                                                daemon=True)
                self._thread.start()
        return self._thread

    def load(self):
        try:
            self.fallback.warm()
        except Exception as exc:  # logged, and the kiosk's tiles still work
            log.error("pocketsphinx could not start: %s", exc)
        if self.model_path is not None:
            self.vosk, self.vosk_problem = load_vosk(self.model_path)
            if self.vosk_problem:
                log.warning("Speech input uses pocketsphinx: %s", self.vosk_problem)
            elif self.workers:
                self.fallback.close()  # vosk answers from now on: free the workers' memory
        if self.whisper is not None and self.vosk is None:
            self.whisper.load()  # nothing to do without faster-whisper or its model

    @property
    def engine(self):
        return self.vosk or self.fallback

    @property
    def words_engine(self):
        """What hears a pupil's own words: Whisper once loaded, unless a vosk model is
        in use (it may be another language; tiny.en is English only)."""
        if self.vosk is None and self.whisper is not None and self.whisper.ready:
            return self.whisper
        return self.engine

    def status(self):
        """What hears the kiosks now; `where` is the worker processes or the server's own."""
        engine = self.engine
        in_workers = engine is self.fallback and self.workers
        where = self.fallback.describe() if in_workers else "in the server process"
        model = f"{engine.model}; {where}" if in_workers else engine.model
        words = self.words_engine
        return {"engine": engine.name, "model": model, "where": where,
                "words_engine": words.name, "words_model": words.model,
                "whisper_problem": self.whisper.problem if self.whisper else "turned off",
                "vosk_model": str(self.model_path) if self.model_path else "",
                "vosk_problem": self.vosk_problem}


_SPHINX = {}
_SPHINX_LOCK = threading.Lock()
_WHISPER = []


def _whisper():
    """One Whisper engine a process, as for pocketsphinx: its model is about 150 MB."""
    with _SPHINX_LOCK:
        if not _WHISPER:
            _WHISPER.append(WhisperEngine())
        return _WHISPER[0]


def _pocketsphinx(max_streams):
    """One pool of pocketsphinx decoders a process: every app in it uses the same model."""
    with _SPHINX_LOCK:
        if max_streams not in _SPHINX:
            _SPHINX[max_streams] = PocketSphinxEngine(max_decoders=max_streams)
        return _SPHINX[max_streams]


def load_vosk(path):
    """(engine, "") or (None, why not)."""
    if not path.is_dir():
        return None, f"vosk model folder {path} does not exist"
    missing = missing_parts(path)
    if missing:
        return None, f"vosk model {path} is incomplete: missing {', '.join(missing)}"
    try:
        return VoskEngine(path), ""
    except Exception as exc:  # vosk raises a bare Exception for a model it cannot read
        return None, f"vosk model {path} could not be loaded ({exc})"
