"""Speech input: real pocketsphinx on espeak-ng speech, through the real Socket.IO path."""
import array
import os
import random
import threading
import unicodedata
import zipfile

import pytest

from kiosk.content.loading import ContentError, load_content
from kiosk.extensions import socketio
from kiosk.voice import models
from kiosk.voice.engines import PocketSphinxEngine
from kiosk.voice.listener import Limits, Listener
from kiosk.content.translations import localise
from kiosk.pupil import voice_events as events
from kiosk.voice.phrases import match, normalise, page_phrases

from helpers import kiosk_device
from speech_audio import chunks, heard, in_noise, noise, pink_noise, say, send, spoken, start


@pytest.fixture
def voice(app):
    """A kiosk's /voice connection."""
    client = socketio.test_client(app, namespace="/voice", flask_test_client=kiosk_device(app))
    assert client.is_connected("/voice")
    yield client
    if client.is_connected("/voice"):
        client.disconnect(namespace="/voice")


# -- phrases ---------------------------------------------------------------

def test_phrases_are_normalised_like_what_is_heard():
    assert normalise("Someone I don\u2019t know talked to me.") == "someone i don't know talked to me"
    assert normalise("  No.  Skip! ") == "no skip"


def test_only_a_whole_phrase_maps_to_its_tile():
    phrases = {"in a game": "game", "in an app": "app", "someone was unkind to me": "unkind"}
    assert match("In a game.", phrases) == ("game", 1.0)
    assert match("someone was unkind", phrases) == (None, 0.0)  # the start of one phrase
    assert match("in", phrases) == (None, 0.0)
    assert match("banana", phrases) == (None, 0.0)


def _letters(text):
    return [c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalpha()]


@pytest.mark.parametrize("code", ["en", "pl", "cy", "ur", "ar"])
def test_every_shipped_language_keeps_its_letters_and_matches_its_tiles(app, code):
    """Each tile's label and spoken words, in each language, heard as that tile."""
    content = app.extensions["kiosk"].content
    assert code in content.languages
    pages, _, _ = localise(content, content.languages[code])
    checked = 0
    for page_id, page in pages.items():
        if content.voice_mode(page_id) != "tiles":
            continue
        phrases = page_phrases(page)
        for tile in page.tiles:
            assert normalise(tile.label) in phrases, (page_id, tile.label)
            for said in (tile.label, tile.say):
                assert _letters(normalise(said)) == _letters(said), said
                # A yes phrase sharing words with a "no" is left out (page_phrases).
                expected = (tile.id, 1.0) if normalise(said) in phrases else (None, 0.0)
                assert match(said, phrases) == expected, (page_id, said)
                checked += 1
    assert checked >= 60


def test_letters_of_every_script_are_kept_and_look_alikes_match():
    assert normalise("Dw i\u2019n ofnus, ŵyr!") == "dw i'n ofnus ŵyr"
    assert normalise("Coś złego się stało.") == "coś złego się stało"
    assert normalise("ہاں، میں محفوظ ہوں۔") == "ہاں میں محفوظ ہوں"
    assert normalise("نعم، أنا بأمان.") == "نعم أنا بأمان"
    assert normalise("잘 모르겠어요?") == "잘 모르겠어요"
    assert normalise("ＹＥＳ") == "yes"  # full-width letters, as some keyboards type
    # Urdu typed with an Arabic keyboard's yeh and kaf is the same phrase.
    assert match("ہاں، ٹھیک ہے", {"هاں ٹھيك هے": "yes"}) == ("yes", 1.0)


NEGATIONS = ("no", "not", "don't", "nope", "help")


def test_no_yes_phrase_on_the_safety_page_can_be_part_of_a_no(app):
    """A recogniser that drops a word must not turn a "no" into a "yes"."""
    content = app.extensions["kiosk"].content
    by_tile = {}
    for phrase, tile in content.voice_phrases("safe").items():
        by_tile.setdefault(tile, []).append(phrase.split())
    for yes in by_tile["yes"]:
        assert not set(yes) & set(NEGATIONS), yes
        for other in by_tile["no"] + by_tile["not_sure"]:
            rest = iter(other)
            assert not all(word in rest for word in yes), (yes, other)  # a subsequence


def test_a_yes_that_shares_words_with_a_no_is_left_out_of_the_safety_page(app):
    from kiosk.voice.phrases import page_phrases
    content = app.extensions["kiosk"].content
    synonyms = dict(content.voice.synonyms["safe"], yes=["i am safe", "safe", "yes"])
    phrases = page_phrases(content.pages["safe"], synonyms)
    assert phrases["yes"] == "yes" and phrases["i am not safe"] == "no"
    assert "i am safe" not in phrases and "safe" not in phrases  # beside "i am not safe"
    # The tile's own words open with a yes said out loud, which no "no" sounds like.
    assert phrases["yes i am safe"] == "yes"


@pytest.mark.parametrize("said", ["no", "nope", "help me", "i'm not safe", "i am not safe",
                                  "i don't feel safe", "no i'm not", "not safe", "no safe",
                                  "yes not", "not yes", "safe"])
def test_heard_text_with_a_negation_is_never_yes(app, said):
    phrases = app.extensions["kiosk"].content.voice_phrases("safe")
    assert match(said, phrases)[0] != "yes"


def test_the_same_phrase_for_two_tiles_is_a_content_error(content_dir, symbols):
    path = content_dir / "voice.toml"
    path.write_text(path.read_text().replace('no = ["no", "nope"', 'no = ["yes", "nope"'))
    with pytest.raises(ContentError, match=r"voice.toml: synonyms.safe: 'yes' would stand for both 'yes' and 'no'"):
        load_content(content_dir, symbols)


def test_free_speech_only_on_a_page_for_the_pupils_words(content_dir, symbols):
    path = content_dir / "voice.toml"
    path.write_text(path.read_text().replace('free_speech = ["more"]', 'free_speech = ["name"]'))
    with pytest.raises(ContentError, match="free_speech names 'name'"):
        load_content(content_dir, symbols)


# -- the real server path ---------------------------------------------------

def test_a_spoken_tile_is_heard_with_partial_results(voice):
    assert start(voice, "what") == {"ok": True, "engine": "pocketsphinx", "mode": "tiles"}
    events = say(voice, spoken("Someone was unkind to me."))
    partials = [args["text"] for name, args in events if name == "partial"]
    assert partials and partials[-1].startswith("someone")
    assert heard(events) == {"status": "tile", "engine": "pocketsphinx", "page": "what",
                             "tile": "unkind", "text": "someone was unkind to me",
                             "confidence": 1.0}


def test_the_end_of_speech_is_found_without_pressing_done(voice):
    start(voice, "safe")
    events = say(voice, spoken("Yes.", tail=1.2), stop=False)
    assert heard(events).get("tile") == "yes", events


def test_free_speech_is_transcribed_and_read_back(app, voice):
    """By Whisper when it is installed (requirements.txt), else pocketsphinx."""
    from kiosk.voice.phrases import normalise
    from kiosk.voice.whisper import model_dir
    app.extensions["kiosk"].voice.start().join()  # Whisper loads in the background
    assert start(voice, "more")["mode"] == "words"
    events = say(voice, spoken("I want to go home."))
    result = heard(events)
    assert result["status"] == "words" and normalise(result["text"]) == "i want to go home"
    assert result["engine"] == ("whisper" if model_dir() else "pocketsphinx")
    wav = [args for name, args in events if name == "readback"]
    assert len(wav) == 1 and wav[0][:4] == b"RIFF" and len(wav[0]) > 20000


def test_audio_is_never_written_to_disk(app, voice):
    before = {p for p in _files(app.instance_path)}
    start(voice, "more")
    say(voice, spoken("My friend is sad."))
    after = {p for p in _files(app.instance_path)}
    assert {p for p in after - before if not p.endswith(("-wal", "-shm"))} == set()


@pytest.mark.parametrize("page,audio,message", [
    ("what", {"rate": 44100}, "16 kHz, mono, 16-bit"),
    ("what", {"channels": 2}, "16 kHz, mono, 16-bit"),
    ("what", {"encoding": "f32le"}, "16 kHz, mono, 16-bit"),
    ("review", {}, "this page cannot be answered by speaking"),
    ("name", {}, "this page cannot be answered by speaking"),
    ("nowhere", {}, "this page cannot be answered by speaking"),
])
def test_a_bad_start_is_refused_with_a_reason(voice, page, audio, message):
    assert message in start(voice, page, **audio)["error"]


@pytest.mark.parametrize("pieces,reason", [
    (chunks(noise(16000 * 3)), "silence"),
    ([b"\x01\x02\x03"], "bad_audio"),         # an odd number of bytes
    ([noise(16000)], "bad_audio"),              # 1 s in one chunk: over the size cap
    (["hello"], "bad_audio"),                   # text instead of audio
], ids=["silence", "odd bytes", "oversized chunk", "text"])
def test_bad_audio_is_not_heard_and_says_why(voice, pieces, reason):
    start(voice, "what")
    assert heard(send(voice, pieces)) == {"status": "not_heard", "engine": "pocketsphinx",
                                          "page": "what", "reason": reason}


def test_a_stream_over_the_time_cap_is_ended(app, voice):
    app.config["VOICE_LIMITS"] = {"max_tile_seconds": 2.0}
    start(voice, "what")
    events = say(voice, noise(16000 * 3, level=3000), stop=False)
    assert heard(events)["reason"] == "too_long"


def test_garbage_bytes_leave_the_kiosk_usable(voice):
    start(voice, "safe")
    garbage = random.Random(1).randbytes(32000)
    assert heard(say(voice, garbage))["status"] == "not_heard"
    assert start(voice, "safe")["ok"]
    assert heard(say(voice, spoken("No.")))["tile"] == "no"


def test_recognisers_are_freed_after_every_ending():
    """With one recogniser, every way an utterance ends must give it back."""
    engine = PocketSphinxEngine(max_decoders=1)
    phrases = {"yes": "yes", "no": "no"}
    clock = [0.0]
    endings = [
        lambda l: l.finish(),                           # Done pressed
        lambda l: l.feed(b"\x01"),                      # bad audio
        lambda l: (clock.__setitem__(0, 99.0), l.check_time()),  # stream went quiet
        lambda l: l.close(),                            # disconnect / Hide
        lambda l: [l.feed(c) for c in chunks(spoken("Yes."))],  # end of speech found
    ]
    for end in endings * 2:
        clock[0] = 0.0
        listener = Listener(engine, phrases, Limits(), clock=lambda: clock[0])
        end(listener)
        listener.close()
    assert engine._made == 1


def test_a_kiosk_that_disconnects_mid_stream_frees_its_recogniser(app):
    app.config["VOICE_MAX_STREAMS"] = 1
    first = socketio.test_client(app, namespace="/voice", flask_test_client=kiosk_device(app))
    start(first, "what")
    say(first, spoken("Someone was")[:16000], stop=False)
    first.disconnect(namespace="/voice")
    second = socketio.test_client(app, namespace="/voice", flask_test_client=kiosk_device(app))
    assert start(second, "safe")["ok"]
    assert heard(say(second, spoken("Yes.")))["tile"] == "yes"
    second.disconnect(namespace="/voice")


def test_a_spoken_report_records_that_the_words_were_transcribed(client, db):
    from helpers import a_report
    report = dict(a_report(), words="I do not want to go home", words_source="pocketsphinx")
    assert client.post("/api/reports", json=report).status_code == 201
    row = next(db.query("SELECT words, words_source FROM reports"))
    assert row == {"words": "I do not want to go home", "words_source": "pocketsphinx"}
    bad = dict(a_report(), words="x", words_source="a microphone")
    response = client.post("/api/reports", json=bad)
    assert response.status_code == 400 and "words_source" in response.get_json()["error"]


# -- vosk models ------------------------------------------------------------

def make_zip(path, files):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


MODEL_FILES = {"vosk-model-test/am/final.mdl": b"not really a model",
               "vosk-model-test/conf/mfcc.conf": b"--sample-frequency=16000\n",
               # a dynamic graph: one with graph/HCLG.fst is refused as static
               "vosk-model-test/graph/HCLr.fst": b"x", "vosk-model-test/graph/Gr.fst": b"x"}


def test_install_model_checks_the_zip_and_makes_it_active(tmp_path, runner):
    instance = runner.app.instance_path
    archive = make_zip(tmp_path / "model.zip", MODEL_FILES)
    result = runner.invoke(args=["speech", "install-model", str(archive), "--no-load-check"])
    assert result.exit_code == 0, result.output
    assert "Installed vosk model 'vosk-model-test'" in result.output
    assert (models.vosk_dir(instance) / "active").read_text().strip() == "vosk-model-test"
    assert (models.vosk_dir(instance) / "models/vosk-model-test/am/final.mdl").exists()


def test_a_model_vosk_cannot_load_is_refused_and_nothing_changes(tmp_path, runner):
    archive = make_zip(tmp_path / "model.zip", MODEL_FILES)
    result = runner.invoke(args=["speech", "install-model", str(archive)])
    assert result.exit_code == 1
    assert "vosk could not load the model" in result.output
    vosk = models.vosk_dir(runner.app.instance_path)
    assert not (vosk / "active").exists() and list((vosk / "models").iterdir()) == []


@pytest.mark.parametrize("files,message", [
    ({"vosk-model-test/README": b"hi"}, "not a vosk model, missing am/final.mdl"),
    ({"../../evil/am/final.mdl": b"x"}, "unsafe path in zip"),
    ({"/etc/evil": b"x"}, "unsafe path in zip"),
])
def test_bad_model_zips_are_refused(tmp_path, runner, files, message):
    archive = make_zip(tmp_path / "model.zip", files)
    result = runner.invoke(args=["speech", "install-model", str(archive), "--no-load-check"])
    assert result.exit_code == 1 and message in result.output


def test_not_a_zip_is_refused(tmp_path, runner):
    bogus = tmp_path / "model.zip"
    bogus.write_bytes(b"PK\x03\x04 but then nothing sensible")
    result = runner.invoke(args=["speech", "install-model", str(bogus)])
    assert result.exit_code == 1 and "not a zip file" in result.output


def test_status_names_the_engine_and_why_vosk_is_not_used(tmp_path, runner):
    result = runner.invoke(args=["speech", "status"])
    assert "Speech input engine: pocketsphinx" in result.output
    assert "no vosk model installed" in result.output
    archive = make_zip(tmp_path / "model.zip", MODEL_FILES)
    runner.invoke(args=["speech", "install-model", str(archive), "--no-load-check"])
    result = runner.invoke(args=["speech", "status"])
    assert "Speech input engine: pocketsphinx" in result.output
    assert "vosk-model-test could not be loaded" in result.output


def test_a_damaged_vosk_model_falls_back_and_the_kiosk_still_hears(tmp_path, monkeypatch, clock):
    from kiosk import create_app
    broken = tmp_path / "broken-model"
    for name, data in MODEL_FILES.items():
        target = broken / name.split("/", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "VOSK_MODEL": str(broken)})
    app.extensions["kiosk"].voice.load()
    assert "could not be loaded" in app.extensions["kiosk"].voice.status()["vosk_problem"]
    client = socketio.test_client(app, namespace="/voice", flask_test_client=kiosk_device(app))
    assert start(client, "safe")["engine"] == "pocketsphinx"
    assert heard(say(client, spoken("Yes.")))["tile"] == "yes"


# -- helpers ------------------------------------------------------------------

def _files(root):
    for folder, _, names in os.walk(root):
        for name in names:
            yield os.path.join(folder, name)


# -- the reaper ------------------------------------------------------------------

class _Interleaved:
    """A kiosk's listener as the reaper in this test's thread sees it: `on_check` runs
    while the reaper checks it, `meanwhile` between that check and its ending. The
    server's own reaper thread sees a stream that is never due, so it stays out."""

    def __init__(self, listener, on_check=None, meanwhile=None):
        self._listener, self._on_check, self._meanwhile = listener, on_check, meanwhile
        self._thread = threading.current_thread()

    def __getattr__(self, name):
        return getattr(self._listener, name)

    def check_time(self):
        if threading.current_thread() is self._thread and self._on_check:
            self._on_check(self._listener)

    @property
    def finished(self):
        if threading.current_thread() is not self._thread:
            return False
        meanwhile, self._meanwhile = self._meanwhile, None
        if meanwhile:
            meanwhile()
        return self._listener.finished


def _stream_of(client):
    sid = socketio.server.manager.sid_from_eio_sid(client.eio_sid, "/voice")
    return sid, events._streams[sid]


def test_the_reaper_ends_only_the_stream_it_checked(voice):
    """The kiosk's next utterance starts between the reaper's check and its ending."""
    start(voice, "safe")
    sid, stale = _stream_of(voice)
    stale.listener = _Interleaved(stale.listener, on_check=lambda l: l.fail("timeout"),
                                  meanwhile=lambda: start(voice, "safe"))
    events.reap_once()
    assert events._streams[sid] is not stale  # the new utterance is still open
    assert heard(say(voice, spoken("Yes.")))["tile"] == "yes"


def test_a_fault_while_reaping_tells_the_kiosk_and_the_reaper_goes_on(voice):
    start(voice, "safe")
    sid, stream = _stream_of(voice)

    def broken(listener):
        raise RuntimeError("the recogniser failed")
    stream.listener = _Interleaved(stream.listener, on_check=broken)
    events.reap_once()  # does not raise
    assert heard(send(voice, [], stop=False))["reason"] == "engine_error"
    assert start(voice, "safe")["ok"]
    assert heard(say(voice, spoken("No.")))["tile"] == "no"


# -- noise: the end of speech, and answers over the time cap ----------------------

def test_the_end_of_speech_is_found_in_steady_noise(voice):
    """Pink noise at 10 dB below the voice, before, under and after it: the noise
    floor adapts, so the pause after the words ends the utterance by itself."""
    start(voice, "safe")
    pcm = in_noise(spoken("No.", tail=2.0), "pink", 10, seed=3)
    assert heard(say(voice, pcm, stop=False)).get("tile") == "no"


def test_an_answer_over_the_time_cap_keeps_what_was_heard(app, voice):
    """Loud noise starts as the pupil finishes, so no pause is ever heard."""
    app.config["VOICE_LIMITS"] = {"max_tile_seconds": 4.0}
    start(voice, "what")
    bed = array.array("h", (int(x * 1500) for x in pink_noise(16000 * 6, seed=3)))
    pcm = spoken("Someone was unkind to me.", tail=0.2) + bed.tobytes()
    assert heard(say(voice, pcm, stop=False))["tile"] == "unkind"
