"""Offline speech recognition engines behind one small interface.

An engine hands out a recogniser for one utterance: limited to a page's phrases
(a grammar), or free speech for a pupil's own words. Recognisers are used by one
kiosk at a time; engines are shared and thread-safe.

- vosk: whenever a vosk model is installed. The model is loaded once; each
  utterance gets its own KaldiRecognizer.
- pocketsphinx: always available, its US English model ships in the wheel.
  Pages of tiles use small grammar-only decoders checked against a phone loop;
  free speech uses the full language model. Both are pooled (see the class).
"""
import hashlib
import json
import math
import os
import queue
import threading
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

SAMPLE_RATE = 16000


class VoiceUnavailable(RuntimeError):
    """Recognition cannot run now (busy, or nothing on the page to listen for)."""


@dataclass(frozen=True)
class Heard:
    text: str
    confidence: float  # the engine's own measure, 0..1
    misfit: float | None = None  # pocketsphinx: how much worse than a phone loop it fits
    coverage: float | None = None  # pocketsphinx: share of the speech the words account for


class PocketSphinxEngine:
    """pocketsphinx, with two kinds of pooled recogniser.

    A page of tiles is heard by a grammar-only decoder (the acoustic model and the
    page's words, about 6 MB, no language model) beside a phone loop decoder that
    hears the same audio with no words at all. A tile is only taken when the
    grammar's path fits the sound nearly as well as the phone loop's: speech that is
    not on the page can only be forced onto a phrase at a cost the phone loop does
    not pay, and that cost is how it is told apart. Free speech needs the full
    language model (about 95 MB a decoder), so those decoders are few and apart.
    """
    name = "pocketsphinx"
    min_word_confidence = 0.0  # a grammar match is judged by how well it fits, below
    # fwdflat off: its second pass took about 100 ms at the end of an utterance and
    # made free speech no better (bench/voice.py measures both).
    decoder_options = {"fwdflat": False}
    # A tile is taken only when the page's phrase fits the sound nearly as well as a
    # phone loop does (misfit: how much worse, natural log per 10 ms frame) and its
    # words cover most of the loud part of the audio (coverage). Out-of-page speech
    # forced onto a phrase fits worse, or leaves much of what was said to silence and
    # noise. Set from espeak-ng speech in five voices through the real listener
    # (tests/test_voice_accuracy.py measures it): kept 200 of 206 phrases said right,
    # took 13 of 256 out-of-page sentences on other pages and 1 of 32 on the safety
    # page, against 142 and 23 with no check. A page with a yes (the safety page) is
    # stricter: a wrong tile there matters most.
    fit = {"strict": (3.2, 0.8), "usual": (3.6, 0.6)}  # (most misfit, least coverage)

    def __init__(self, max_decoders=4):
        self.model = f"en-us, built in (pocketsphinx {metadata.version('pocketsphinx')})"
        self._tiles = _Pool(self._tile_slot, max_decoders)
        self._words = _Pool(self._words_slot, max_decoders)
        self._lexicon = None
        self._lexicon_lock = threading.Lock()

    def warm(self):
        """Make the whole pool of page recognisers, and one for free speech, ahead of
        the first pupil: nobody waits for a model, and no request pays for one."""
        self.lexicon()
        self._tiles.fill()
        self._words.release(self._words.take())

    @property
    def _made(self):
        return self._tiles.made + self._words.made

    def lexicon(self):
        """{word: [pronunciation, ...]} of the model's dictionary, read once."""
        with self._lexicon_lock:
            if self._lexicon is None:
                from pocketsphinx import get_model_path
                lexicon = {}
                path = Path(get_model_path()) / "en-us" / "cmudict-en-us.dict"
                with open(path, encoding="utf-8") as lines:
                    for line in lines:
                        word, _, phones = line.partition(" ")
                        lexicon.setdefault(word.split("(")[0], []).append(phones.strip())
                self._lexicon = lexicon
            return self._lexicon

    def can_say(self, phrase):
        lexicon = self.lexicon()
        return all(word in lexicon for word in phrase.split())

    def listen(self, phrases=None, strict=False):
        """A recogniser for one utterance: phrases limits it to them; None is free speech.
        strict: the page is one where a wrong tile matters most (see `fit`)."""
        if not phrases:
            slot = self._words.take()
            try:
                slot.decoder.set_cmn(slot.cmn)
                slot.decoder.start_utt()
            except Exception:
                self._words.release(slot)
                raise
            return _SphinxRecogniser(self._words, slot)
        slot = self._tiles.take()
        try:
            slot.decoder.activate_search(self._grammar(slot, phrases))
            for decoder, cmn in ((slot.decoder, slot.cmn), (slot.phones, slot.phones_cmn)):
                # Start from the model's own channel estimate, not the last speaker's:
                # a pooled decoder serves every kiosk, and a carried-over estimate made a
                # short word after a long phrase fail to match at all.
                decoder.set_cmn(cmn)
                decoder.start_utt()
        except Exception:
            slot.end()
            self._tiles.release(slot)
            raise
        return _SphinxRecogniser(self._tiles, slot, self.fit["strict" if strict else "usual"])

    def _tile_slot(self):
        from pocketsphinx import Config, Decoder, get_model_path
        model = Path(get_model_path()) / "en-us"
        # No dictionary at first: each page's words are added as its grammar is.
        empty = _empty_dictionary()
        grammar = Decoder(Config(loglevel="FATAL", lm=None, dict=empty, **self.decoder_options))
        phones = Decoder(Config(loglevel="FATAL", lm=None, dict=empty,
                                allphone=str(model / "en-us-phone.lm.bin")))
        return _Slot(grammar, phones)

    def _words_slot(self):
        from pocketsphinx import Config, Decoder
        return _Slot(Decoder(Config(loglevel="FATAL", **self.decoder_options)))

    def _grammar(self, slot, phrases):
        """The page's phrases as a JSGF grammar search, added once per decoder with
        the pronunciations of any words the decoder does not have yet."""
        lexicon = self.lexicon()
        known = sorted(p for p in phrases if all(word in lexicon for word in p.split()))
        if not known:
            raise VoiceUnavailable("none of this page's phrases can be recognised")
        name = "g" + hashlib.sha1("\n".join(known).encode()).hexdigest()[:16]
        if name not in slot.grammars:
            for word in sorted({word for phrase in known for word in phrase.split()}):
                if slot.decoder.lookup_word(word) is None:
                    for n, phones in enumerate(lexicon[word]):
                        slot.decoder.add_word(word if n == 0 else f"{word}({n + 1})",
                                              phones, True)
            rule = " | ".join(f"( {phrase} )" for phrase in known)
            slot.decoder.add_jsgf_string(
                name, f"#JSGF V1.0;\ngrammar page;\npublic <say> = {rule} ;\n")
            slot.grammars.add(name)
        return name


_EMPTY_DICTIONARY = None


def _empty_dictionary():
    """A dictionary file with no words (pocketsphinx needs one to start from)."""
    global _EMPTY_DICTIONARY
    if _EMPTY_DICTIONARY is None:
        import tempfile
        handle, path = tempfile.mkstemp(prefix="kiosk-empty-", suffix=".dict")
        os.close(handle)
        _EMPTY_DICTIONARY = path
    return _EMPTY_DICTIONARY


class _Pool:
    """Recognisers made up to a limit and handed out one utterance at a time."""

    def __init__(self, make, limit):
        self._make, self._limit = make, limit
        self._idle = queue.LifoQueue()
        self.made = 0
        self._lock = threading.Lock()

    def fill(self):
        while True:
            with self._lock:
                if self.made >= self._limit:
                    return
                self.made += 1
            self._idle.put(self._new())

    def take(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self.made >= self._limit:
                raise VoiceUnavailable("every recogniser is busy")
            self.made += 1
        return self._new()

    def _new(self):
        try:
            return self._make()
        except Exception:
            with self._lock:
                self.made -= 1
            raise

    def release(self, slot):
        self._idle.put(slot)


class _Slot:
    """Pooled decoders (a grammar decoder and its phone loop, or one free-speech
    decoder) and the grammar searches already added."""

    def __init__(self, decoder, phones=None):
        self.decoder, self.phones = decoder, phones
        self.grammars = set()
        self.cmn = decoder.get_cmn(False)
        self.phones_cmn = phones.get_cmn(False) if phones else None

    def decoders(self):
        return (self.decoder,) if self.phones is None else (self.decoder, self.phones)

    def end(self):
        """End any utterance left open (by a broken stream); already ended is fine."""
        for decoder in self.decoders():
            try:
                decoder.end_utt()
            except Exception:
                pass


# What a decoder's path calls silence or noise rather than words.
_FILLERS = frozenset({"<s>", "</s>", "<sil>", "[NOISE]", "[SPEECH]", "(NULL)"})
FRAME_STEP, FRAME_WINDOW = 160, 410  # pocketsphinx's frames: 10 ms apart, 25.6 ms long
LOUD_OVER_QUIET = 3.0  # a frame this much louder than the utterance's quiet is speech
LOUD_AT_LEAST = 300  # RMS of 16-bit samples; quieter than this is never speech
HELD_FRAMES = 40  # a sound the phone loop holds for 0.4 s is steady noise (a fan, a hum)


def _path(decoder):
    """(acoustic score of the best path, natural log; its frames; frames of words)."""
    score, frames, words = 0.0, 0, set()
    for segment in decoder.seg():
        # Scores are relative to the best sound of each frame, so a segment's is
        # rarely tiny; one too small for a float counts as a very poor fit.
        score += math.log(segment.ascore) if segment.ascore > 0 else -1000.0
        frames += segment.end_frame - segment.start_frame + 1
        if segment.word not in _FILLERS:
            words.update(range(segment.start_frame, segment.end_frame + 1))
    return score, frames, words


def loud_frames(pcm):
    """The frames (as the decoder numbers them) loud enough to be speech: well above
    the quietest fifth of the utterance, the room's own noise."""
    import numpy as np
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    if samples.size < FRAME_WINDOW:
        return set()
    sums = np.concatenate(([0.0], np.cumsum(samples * samples)))
    starts = np.arange(0, samples.size - FRAME_WINDOW + 1, FRAME_STEP)
    levels = np.sqrt((sums[starts + FRAME_WINDOW] - sums[starts]) / FRAME_WINDOW)
    quiet = np.sort(levels)[:max(1, levels.size // 5)].mean()
    return set(np.flatnonzero(levels >= max(LOUD_AT_LEAST, LOUD_OVER_QUIET * quiet)).tolist())


def fit(grammar, phones, pcm):
    """(misfit, coverage) of a grammar decoder's phrase against a phone loop's path on
    the same audio: how much worse it scores a frame, and what share of the loud
    frames the phrase's words account for. Loud steady noise (no phone of speech
    lasts 0.4 s) is left out, so noise starting after the answer does not count
    against it."""
    said, frames, words = _path(grammar)
    loop, _, _ = _path(phones)
    loud = loud_frames(pcm)
    for segment in phones.seg():
        if segment.end_frame - segment.start_frame + 1 >= HELD_FRAMES:
            loud.difference_update(range(segment.start_frame, segment.end_frame + 1))
    coverage = len(words & loud) / len(loud) if loud else 0.0
    return (loop - said) / max(frames, 1), coverage


class _SphinxRecogniser:
    def __init__(self, pool, slot, limits=None):
        self._pool, self._slot = pool, slot
        self._decoders = slot.decoders()
        self._limits = limits  # (most misfit, least coverage) for a page of tiles
        # A page's answer is a few seconds long; its audio is kept, in memory, only
        # until the answer is decided, to judge how loud each moment was.
        self._audio = [] if limits else None

    def accept(self, pcm):
        for decoder in self._decoders:
            decoder.process_raw(pcm, False, False)
        if self._audio is not None:
            self._audio.append(pcm)

    def partial(self):
        hyp = self._decoders[0].hyp()
        return hyp.hypstr if hyp else ""

    def finish(self):
        for decoder in self._decoders:
            decoder.end_utt()
        if self._limits is None:
            hyp = self._decoders[0].hyp()
            return Heard(hyp.hypstr, float(hyp.prob)) if hyp else Heard("", 0.0)
        audio, self._audio = b"".join(self._audio), []
        heard = self._judge(audio)
        if not heard.text and audio:
            # A second look, with the sound normalised by this answer's own average.
            # As it streams in, the average starts from the model's and catches up
            # slowly, which a loud microphone (a browser's automatic gain) outruns: a
            # phrase said right was heard as one word of it. One pass over the whole
            # answer gives its average; both decoders then hear it again from there.
            # Only answers turned away pay for this (about 0.2 s of CPU for 3 s).
            grammar = self._decoders[0]
            grammar.start_utt()
            grammar.process_raw(audio, False, True)
            grammar.end_utt()
            average = grammar.get_cmn(False)
            for decoder in self._decoders:
                decoder.set_cmn(average)
                decoder.start_utt()
                decoder.process_raw(audio, False, True)
                decoder.end_utt()
            heard = self._judge(audio)
        return heard

    def _judge(self, audio):
        """The page's phrase the grammar heard, if it fits well enough (see `fit`)."""
        hyp = self._decoders[0].hyp()
        if not hyp:
            return Heard("", 0.0)
        misfit, coverage = fit(self._decoders[0], self._slot.phones, audio)
        most, least = self._limits
        if misfit > most or coverage < least:
            # Speech that is none of the page's phrases: the pupil is asked again.
            return Heard("", 0.0, misfit=misfit, coverage=coverage)
        return Heard(hyp.hypstr, float(hyp.prob), misfit=misfit, coverage=coverage)

    def close(self):
        """Give the decoders back, ending any utterance left open by a broken stream."""
        slot, self._slot = self._slot, None
        self._audio = None
        if slot is None:
            return
        slot.end()
        self._pool.release(slot)


class VoskEngine:
    name = "vosk"
    # vosk scores each word 0..1; below this a tile is not taken (the pupil is
    # asked again). Set where a real model was measured; see bench/voice.py.
    min_word_confidence = 0.5

    def __init__(self, model_dir):
        import vosk
        vosk.SetLogLevel(-1)
        self._vosk = vosk
        self.model = f"{model_dir.name} (vosk {metadata.version('vosk')})"
        # Raises if the folder is not a model vosk can load; the caller falls back.
        self._model = vosk.Model(str(model_dir))

    def warm(self):
        pass

    def knows(self, word):
        """Whether the model's vocabulary has the word (vosk names the call differently
        across versions: 0.3.45 has only vosk_model_find_word)."""
        find = getattr(self._model, "vosk_model_find_word", None) or self._model.find_word
        return find(word) >= 0

    def can_say(self, phrase):
        return all(self.knows(word) for word in phrase.split())

    def grammar(self, phrases):
        """The page's phrases the model can say, as vosk's JSON grammar (UTF-8 as it is:
        vosk does not decode \\uXXXX escapes and would drop every non-ASCII phrase)."""
        known = sorted(p for p in phrases if self.can_say(p))
        if not known:
            raise VoiceUnavailable("none of this page's phrases can be recognised")
        # "[unk]" lets anything else be heard as unknown instead of forced onto a tile;
        # a model without it in its vocabulary only warns about it, so leave it out.
        return json.dumps(known + (["[unk]"] if self.knows("[unk]") else []),
                          ensure_ascii=False)

    def listen(self, phrases=None, strict=False):
        """strict is pocketsphinx's; vosk's grammar has [unk] to turn speech away."""
        if phrases:
            recogniser = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE,
                                                    self.grammar(phrases))
        else:
            recogniser = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE)
        recogniser.SetWords(True)
        return _VoskRecogniser(recogniser)


class _VoskRecogniser:
    def __init__(self, recogniser):
        self._recogniser = recogniser
        self._done = []  # utterances vosk's own endpointer closed mid-stream

    def accept(self, pcm):
        if self._recogniser.AcceptWaveform(pcm):
            self._done.append(json.loads(self._recogniser.Result()))

    def partial(self):
        text = json.loads(self._recogniser.PartialResult()).get("partial", "")
        return " ".join([*(r.get("text", "") for r in self._done), text]).strip()

    def finish(self):
        results = [*self._done, json.loads(self._recogniser.FinalResult())]
        words = [w for r in results for w in r.get("result", [])]
        if any(w.get("word") == "[unk]" for w in words):
            return Heard("", 0.0)
        text = " ".join(r.get("text", "") for r in results).strip()
        confidence = min((float(w.get("conf", 0.0)) for w in words), default=0.0)
        return Heard(text, confidence if text else 0.0)

    def close(self):
        self._recogniser = None
