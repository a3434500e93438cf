"""One pupil's utterance, from the first audio chunk to what was heard.

The listener checks every chunk, finds where speech starts and ends by its
loudness, feeds the engine, and turns the engine's words into an outcome the
kiosk can act on: a tile, the pupil's own words, or "not heard" with a reason.
Audio is only ever held in memory, and only until the answer is decided (pocketsphinx
keeps a page answer's few seconds to judge how loud each moment was); never on disk.
"""
import math
import time
from array import array
from dataclasses import dataclass, field

from .engines import SAMPLE_RATE
from .phrases import match

BYTES_PER_SECOND = SAMPLE_RATE * 2  # 16-bit mono
FRAME_BYTES = BYTES_PER_SECOND // 100 * 3  # 30 ms: the unit loudness is judged in


@dataclass(frozen=True)
class Limits:
    max_chunk_bytes: int = BYTES_PER_SECOND // 2  # a client sends ~100 ms at a time
    max_tile_seconds: float = 8.0  # a tile's phrase takes 1-3 s to say
    max_words_seconds: float = 30.0
    end_silence_seconds: float = 0.8  # this much quiet after speech ends the utterance
    speech_level: int = 500  # RMS of 16-bit samples: above it is speech, not room noise
    over_floor: float = 2.0  # a voice ends when no louder than this times the noise floor
    floor_rise: float = 0.005  # how fast the floor follows lasting noise, a frame
    min_speech_seconds: float = 0.15
    idle_seconds: float = 5.0  # no chunk for this long: the stream is abandoned
    partial_every_seconds: float = 0.3


@dataclass
class Outcome:
    status: str  # "tile", "words" or "not_heard"
    engine: str
    tile: str = ""
    text: str = ""
    confidence: float = 0.0
    reason: str = ""  # why not heard: silence, unclear, too_long, bad_audio, timeout,
    # engine_error

    def as_event(self):
        event = {"status": self.status, "engine": self.engine}
        if self.status == "tile":
            event.update(tile=self.tile, text=self.text, confidence=round(self.confidence, 3))
        elif self.status == "words":
            event.update(text=self.text, confidence=round(self.confidence, 3))
        else:
            event["reason"] = self.reason
        return event


def rms(pcm):
    samples = array("h", pcm)
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


@dataclass
class Listener:
    engine: object
    phrases: dict | None  # phrase -> tile id; None for free speech
    limits: Limits = field(default_factory=Limits)
    clock: object = time.monotonic
    strict: bool = False  # a page where a wrong tile matters most (the safety page)

    def __post_init__(self):
        phrases = sorted(self.phrases) if self.phrases else None
        self._recogniser = (self.engine.listen(phrases, strict=True) if self.strict
                            else self.engine.listen(phrases))
        self.started = self.last_chunk = self.clock()
        self._received = 0  # bytes of audio
        self._speech_bytes = 0
        self._quiet_bytes = 0  # since speech was last heard
        self._pending = b""  # part of a loudness frame not yet judged
        self._floor = None  # the room's noise level, RMS (see _over_floor)
        self._voice_before = False
        self._voice_heard = False  # a voice stood out from the noise: its end can be found
        self._last_partial_at = 0
        self._partial = ""
        self.outcome = None

    @property
    def finished(self):
        return self.outcome is not None

    @property
    def max_seconds(self):
        limits = self.limits
        return limits.max_tile_seconds if self.phrases else limits.max_words_seconds

    def feed(self, chunk):
        """Take one chunk; returns a new partial text, or "" when there is none."""
        if self.finished:
            return ""
        if not isinstance(chunk, (bytes, bytearray)) or not chunk:
            return self._give_up("bad_audio")
        if len(chunk) % 2 or len(chunk) > self.limits.max_chunk_bytes:
            return self._give_up("bad_audio")
        chunk = bytes(chunk)
        self.last_chunk = self.clock()
        self._received += len(chunk)
        if self._received > self.max_seconds * BYTES_PER_SECOND:
            return self._too_long()
        self._judge_loudness(chunk)
        self._recogniser.accept(chunk)
        if self._voice_heard and self._quiet_bytes >= self.limits.end_silence_seconds * BYTES_PER_SECOND:
            self.finish()
            return ""
        return self._maybe_partial()

    def _judge_loudness(self, chunk):
        data = self._pending + chunk
        whole = len(data) - len(data) % FRAME_BYTES
        for start in range(0, whole, FRAME_BYTES):
            level = rms(data[start:start + FRAME_BYTES])
            if level >= self.limits.speech_level:
                self._speech_bytes += FRAME_BYTES  # something was said (not silence)
            voice = self._over_floor(level)
            # A lone loud frame is a knock or a burst of noise, not the pupil again.
            if voice and self._voice_before:
                self._voice_heard = True
                self._quiet_bytes = 0
            elif self._voice_heard:
                self._quiet_bytes += FRAME_BYTES
            self._voice_before = voice
        self._pending = data[whole:]

    def _over_floor(self, level):
        """Louder than the fixed speech level and, by a margin, than the room's noise.

        The noise floor follows the quietest frames: it falls at once and rises
        slowly, so a noisy classroom raises it and the pupil's voice does not.
        """
        floor = self._floor
        if floor is None or level < floor:
            self._floor = level
        else:
            self._floor = floor + (level - floor) * self.limits.floor_rise
        return level >= max(self.limits.speech_level, self._floor * self.limits.over_floor)

    def _maybe_partial(self):
        heard_bytes = self._received - self._last_partial_at
        if not self._speech_bytes or heard_bytes < self.limits.partial_every_seconds * BYTES_PER_SECOND:
            return ""
        self._last_partial_at = self._received
        text = self._recogniser.partial()
        if text == self._partial:
            return ""
        self._partial = text
        return text

    def finish(self):
        """End of speech (the pupil pressed Done, or quiet followed speech): decide."""
        if self.finished:
            return self.outcome
        if self._speech_bytes < self.limits.min_speech_seconds * BYTES_PER_SECOND:
            self._give_up("silence")
            return self.outcome
        heard = self._recogniser.finish()
        self.close()
        name = self.engine.name
        if self.phrases is None:
            if not heard.text.strip():
                self._give_up("unclear")
                return self.outcome
            self.outcome = Outcome("words", name, text=heard.text.strip(),
                                   confidence=heard.confidence)
            return self.outcome
        tile, share = match(heard.text, self.phrases)
        if tile is None or heard.confidence < self.engine.min_word_confidence:
            self._give_up("unclear")
            return self.outcome
        # pocketsphinx's grammar posterior says little about a single phrase (about
        # 0.15 for a clear match), so only an engine that scores words weighs in.
        weight = heard.confidence if self.engine.min_word_confidence else 1.0
        self.outcome = Outcome("tile", name, tile=tile, text=heard.text,
                               confidence=share * weight)
        return self.outcome

    def check_time(self):
        """Called regularly: a stream that stopped sending, or ran too long, is ended."""
        if self.finished:
            return None
        now = self.clock()
        if now - self.last_chunk > self.limits.idle_seconds:
            return self._give_up("timeout")
        if now - self.started > self.max_seconds + self.limits.idle_seconds:
            return self._give_up("too_long")
        return None

    def _too_long(self):
        """An answer over the time cap (its end lost in noise) is decided on what was
        heard so far; only if that is no answer does it count as too long."""
        self.finish()
        if self.outcome.status == "not_heard" and self.outcome.reason == "unclear":
            self.outcome = Outcome("not_heard", self.engine.name, reason="too_long")
        return ""

    def fail(self, reason):
        """End the utterance as not heard for a reason found outside the listener."""
        if self.finished:
            return
        self.outcome = Outcome("not_heard", self.engine.name, reason=reason)
        try:
            self.close()
        except Exception:  # the engine is already at fault; the outcome stands
            pass

    def _give_up(self, reason):
        """End the utterance as not heard; returns "" (no partial) for feed's callers."""
        self.close()
        self.outcome = Outcome("not_heard", self.engine.name, reason=reason)
        return ""

    def close(self):
        """Free the recogniser; safe to call more than once."""
        recogniser, self._recogniser = self._recogniser, None
        if recogniser is not None:
            recogniser.close()
