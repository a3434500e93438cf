"""Speech out: real pyttsx3 + espeak-ng audio, cached by words, voice and rate."""
import array
import json
import subprocess
import wave

import pytest

from kiosk.speech.tts import Renderer, SpeechCache, SpeechError, speech_key
from kiosk.speech.worker import choose_voice


def journey(client):
    html = client.get("/kiosk").get_data(as_text=True)
    return json.loads(html.split('type="application/json">', 1)[1].split("</script>", 1)[0])


def loudness(path):
    """Duration in seconds and RMS level of a 16-bit mono WAV."""
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        samples = array.array("h", wav.readframes(wav.getnframes()))
        seconds = wav.getnframes() / wav.getframerate()
    return seconds, (sum(s * s for s in samples) / len(samples)) ** 0.5


def test_every_prompt_and_tile_has_audio(client):
    data = journey(client)
    for page in data["pages"].values():
        assert page["prompt"]["audio"].startswith("/audio/")
        for tile in page["tiles"]:
            assert tile["audio"].startswith("/audio/"), tile
    for control in data["controls"].values():
        assert control["audio"]


def test_audio_is_real_speech_and_cached(client, app, tmp_path):
    url = journey(client)["pages"]["safe"]["prompt"]["audio"]
    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == "audio/wav"
    assert "immutable" in first.headers["Cache-Control"]
    path = tmp_path / "said.wav"
    path.write_bytes(first.data)
    seconds, rms = loudness(path)
    assert 1.0 < seconds < 4.0   # "Are you safe right now?" at a slow rate
    assert rms > 500             # not silence
    cached = app.extensions["kiosk"].speech.path_for(url.rsplit("/", 1)[1][:-4])
    assert cached.exists()
    assert client.get(url).data == first.data


def test_only_content_phrases_are_rendered(client):
    assert client.get("/audio/" + "0" * 32 + ".wav").status_code == 404
    assert client.get("/audio/../secret_key.wav").status_code == 404


def test_key_changes_with_words_voice_and_rate():
    keys = {speech_key("Hello", "en-gb", 140), speech_key("Hello.", "en-gb", 140),
            speech_key("Hello", "en-us", 140), speech_key("Hello", "en-gb", 160)}
    assert len(keys) == 4


def test_british_voice_is_found():
    import pyttsx3
    assert "en" in choose_voice(pyttsx3.init(), "en-gb")


def test_slower_rate_makes_longer_audio(tmp_path):
    lengths = []
    for rate in (120, 220):
        cache = SpeechCache(tmp_path / str(rate), "en-gb", rate)
        key = cache.register(["Someone was unkind to me."])["Someone was unkind to me."]
        lengths.append(loudness(cache.render(key))[0])
    assert lengths[0] > lengths[1] * 1.4


def test_unknown_voice_is_a_clear_error(tmp_path):
    cache = SpeechCache(tmp_path, "xx-nowhere", 140)
    key = cache.register(["Hello"])["Hello"]
    with pytest.raises(SpeechError, match="no speech voice matches 'xx-nowhere'"):
        cache.render(key)
    assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_speech_process_that_dies_is_restarted(tmp_path):
    renderer = Renderer()
    cache = SpeechCache(tmp_path, "en-gb", 140, renderer)
    keys = cache.register(["One.", "Two."])
    cache.render(keys["One."])
    subprocess.run(["pkill", "-f", "kiosk.speech.worker"], check=False)
    assert cache.render(keys["Two."]).exists()


def test_missing_speech_process_gives_503_not_a_crash(app, client):
    app.extensions["kiosk"].speech.renderer = Renderer(["/nonexistent/speech-worker"])
    response = client.get(journey(client)["pages"]["when"]["prompt"]["audio"])
    assert response.status_code == 503


def test_build_cache_renders_all_content(runner, app):
    result = runner.invoke(args=["speech", "build-cache"])
    assert result.exit_code == 0, result.output
    svc = app.extensions["kiosk"]
    phrases, languages = len(svc.speech), len(svc.content.languages)
    assert phrases > len(svc.content.spoken_texts()) * (languages - 1)  # every language
    assert (f"Speech cache ready: {phrases} phrases in {languages} languages, "
            f"{phrases} rendered now") in result.output
    again = runner.invoke(args=["speech", "build-cache"])
    assert f"{phrases} phrases in {languages} languages, 0 rendered now" in again.output
