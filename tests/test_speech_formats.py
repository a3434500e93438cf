"""Speech sent small: real espeak-ng phrases through the audio route as Opus and MP3."""
import io
import json
import logging

import pytest
import soundfile

from kiosk.speech import compress


def journey(client):
    html = client.get("/kiosk").get_data(as_text=True)
    return json.loads(html.split('type="application/json">', 1)[1].split("</script>", 1)[0])


@pytest.fixture
def phrase(client):
    """The URL of a real phrase: the first question's prompt, as the page has it."""
    return journey(client)["pages"]["safe"]["prompt"]["audio"]


def cached(app, url, suffix):
    key = url.rsplit("/", 1)[1][:-4]
    return app.extensions["kiosk"].speech.path_for(key).with_suffix(suffix)


@pytest.mark.parametrize("fmt, mimetype, container, samplerate", [
    ("opus", "audio/ogg", "OGG", 24000),
    ("mp3", "audio/mpeg", "MP3", 22050),
])
def test_compressed_speech_is_the_same_words_in_a_quarter_of_the_bytes(
        app, client, phrase, fmt, mimetype, container, samplerate):
    wav = client.get(phrase)
    small = client.get(phrase + "?as=" + fmt)
    assert small.status_code == 200 and small.mimetype == mimetype
    assert small.headers["Cache-Control"] == wav.headers["Cache-Control"]
    assert "immutable" in small.headers["Cache-Control"]
    assert len(small.data) * 4 <= len(wav.data)  # the goal: a quarter at most
    assert len(small.data) * 8 <= len(wav.data)  # what these settings actually give
    info = soundfile.info(io.BytesIO(small.data))
    spoken = soundfile.info(io.BytesIO(wav.data))
    assert (info.format, info.samplerate, info.channels) == (container, samplerate, 1)
    assert abs(info.duration - spoken.duration) < 0.1  # the same phrase, not cut short
    samples, _ = soundfile.read(io.BytesIO(small.data), dtype="float32")
    assert (samples ** 2).mean() ** 0.5 > 0.02  # speech, not silence
    assert cached(app, phrase, "." + fmt).read_bytes() == small.data  # kept beside the WAV


def test_each_format_is_encoded_once_then_served_from_the_cache(app, client, phrase,
                                                                monkeypatch):
    first = client.get(phrase + "?as=opus").data
    monkeypatch.setattr(compress, "resample", lambda *a: pytest.fail("encoded again"))
    assert client.get(phrase + "?as=opus").data == first


def test_wav_is_still_served_by_default_and_on_request(client, phrase):
    plain, asked = client.get(phrase), client.get(phrase + "?as=wav")
    assert plain.mimetype == asked.mimetype == "audio/wav"
    assert plain.data == asked.data and plain.data[:4] == b"RIFF"


def test_unknown_phrase_or_format_is_404_and_renders_nothing(app, client, phrase):
    assert client.get("/audio/" + "0" * 32 + ".wav?as=opus").status_code == 404
    assert client.get(phrase + "?as=flac").status_code == 404
    assert client.get(phrase + "?as=../../secret_key").status_code == 404
    assert not cached(app, phrase, ".wav").exists()  # a refused format rendered nothing


def test_a_failing_encoder_sends_the_wav_with_a_log_line(app, client, phrase, monkeypatch,
                                                         caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("no Opus encoder here")
    monkeypatch.setattr(soundfile, "write", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get(phrase + "?as=opus")
    assert response.status_code == 200 and response.mimetype == "audio/wav"
    assert response.data[:4] == b"RIFF"  # the words, with more bytes, not silence
    assert response.headers["Cache-Control"] == "no-cache"  # not kept a year under this URL
    assert "speech sent as WAV instead" in caplog.text and "no Opus encoder here" in caplog.text
    folder = cached(app, phrase, ".wav").parent
    assert not list(folder.glob("*.opus*"))  # no half-written file left behind
    monkeypatch.undo()  # the encoder works again: the next request gets Opus
    assert client.get(phrase + "?as=opus").mimetype == "audio/ogg"
