"""Offline speech recognition engines behind one small interface.

An engine hands out a recogniser for one utterance: limited to a page's phrases
(a grammar), or free speech for a pupil's own words. Recognisers are used by one
kiosk at a time; engines are shared and thread-safe.

- vosk: whenever a vosk model is installed. The model is loaded once; each
  utterance gets its own KaldiRecognizer.
- pocketsphinx: always available, its US English model ships in the wheel.
  A decoder holds the acoustic model and language model (about 90 MB), so
  decoders are pooled rather than made per utterance.
"""
import hashlib
import json
import queue
import threading
from dataclasses import dataclass
from importlib import metadata

SAMPLE_RATE = 16000


class VoiceUnavailable(RuntimeError):
    """Recognition cannot run now (busy, or nothing on the page to listen for)."""


@dataclass(frozen=True)
class Heard:
    text: str
    confidence: float  # the engine's own measure, 0..1


class PocketSphinxEngine:
    name = "pocketsphinx"
    min_word_confidence = 0.0  # a grammar match is judged by how much of it was heard
    # fwdflat off: its second pass took about 100 ms at the end of an utterance and
    # made free speech no better (bench/voice.py measures both).
    decoder_options = {"fwdflat": False}

    def __init__(self, max_decoders=4):
        self.model = f"en-us, built in (pocketsphinx {metadata.version('pocketsphinx')})"
        self._max = max_decoders
        self._idle = queue.LifoQueue()
        self._made = 0
        self._lock = threading.Lock()
        self._dictionary = None

    def warm(self):
        """Make one decoder ahead of the first pupil, so nobody waits for the model."""
        self._release(self._take())

    def can_say(self, phrase):
        slot = self._take()
        try:
            return all(slot.decoder.lookup_word(word) is not None for word in phrase.split())
        finally:
            self._release(slot)

    def listen(self, phrases=None):
        """A recogniser for one utterance: phrases limits it to them; None is free speech."""
        slot = self._take()
        try:
            search = self._grammar(slot, phrases) if phrases else "_default"
            slot.decoder.activate_search(search)
            # Start from the model's own channel estimate, not the last speaker's:
            # a pooled decoder serves every kiosk, and a carried-over estimate made a
            # short word after a long phrase fail to match at all.
            slot.decoder.set_cmn(slot.cmn)
            slot.decoder.start_utt()
        except Exception:
            self._release(slot)
            raise
        return _SphinxRecogniser(self, slot)

    def _take(self):
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._made >= self._max:
                raise VoiceUnavailable("every recogniser is busy")
            self._made += 1
        try:
            from pocketsphinx import Config, Decoder
            return _Slot(Decoder(Config(loglevel="FATAL", **self.decoder_options)))
        except Exception:
            with self._lock:
                self._made -= 1
            raise

    def _release(self, slot):
        self._idle.put(slot)

    @staticmethod
    def _grammar(slot, phrases):
        """The page's phrases as a JSGF grammar search, added once per decoder."""
        known = sorted(p for p in phrases
                       if all(slot.decoder.lookup_word(w) is not None for w in p.split()))
        if not known:
            raise VoiceUnavailable("none of this page's phrases can be recognised")
        name = "g" + hashlib.sha1("\n".join(known).encode()).hexdigest()[:16]
        if name not in slot.grammars:
            rule = " | ".join(f"( {phrase} )" for phrase in known)
            slot.decoder.add_jsgf_string(
                name, f"#JSGF V1.0;\ngrammar page;\npublic <say> = {rule} ;\n")
            slot.grammars.add(name)
        return name


class _Slot:
    """A pooled decoder and the grammar searches already added to it."""

    def __init__(self, decoder):
        self.decoder = decoder
        self.grammars = set()
        self.cmn = decoder.get_cmn(False)


class _SphinxRecogniser:
    def __init__(self, engine, slot):
        self._engine, self._slot = engine, slot
        self._decoder = slot.decoder

    def accept(self, pcm):
        self._decoder.process_raw(pcm, False, False)

    def partial(self):
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp else ""

    def finish(self):
        self._decoder.end_utt()
        hyp = self._decoder.hyp()
        return Heard(hyp.hypstr, float(hyp.prob)) if hyp else Heard("", 0.0)

    def close(self):
        """Give the decoder back, ending any utterance left open by a broken stream."""
        decoder, self._decoder = self._decoder, None
        if decoder is None:
            return
        try:
            decoder.end_utt()
        except Exception:  # already ended: nothing to undo
            pass
        self._engine._release(self._slot)


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

    def listen(self, phrases=None):
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
