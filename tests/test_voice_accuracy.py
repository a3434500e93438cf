"""How often a spoken tile is heard as the right tile, through the real Socket.IO path.

Every tile's spoken words and its label, on every page a pupil answers by voice
(kinds start, choice and multi), are spoken by espeak-ng in several voices at 130
and 175 words a minute, streamed to /voice in 100 ms chunks with `start` for that
page and `stop`, and the one `heard` result is checked against the tile.

Measured on the default content (41 phrases on 9 pages, 82 utterances a voice):

    pocketsphinx   130 wpm  175 wpm   share
    en-us            40/41    41/41   98.8%
    en-us+m3         40/41    41/41   98.8%
    en-us+f2      40-41/41    40/41   97.6-98.8%
    en-gb            33/41    35/41   82.9%
    en+f3            37/41    38/41   91.5%
    en-gb-x-rp       35/41    35/41   85.4%
    US voices                         98.4-98.8%  (242-243/246)  asserted >= 95%
    overall                           92.5-92.7%  (455-456/492)  asserted >= 90%

pocketsphinx's model is US
English, so British voices are heard less well. espeak-ng 1.51 ignores a variant
after "en-gb" ("en-gb+f3" is the same audio as "en-gb"); "en+f3" is the British
voice with a female variant.

Noise on the same path, one clip of each kind on each of the 9 pages, measured taken
for a tile: loud white noise 0 of 9, random bytes 0 of 9, mains hum 2 of 9 ("home" on
what_more and where; 1 of 9 before "on the internet" became "internet"), knocks 3 of 9
("safe", "phone", "before": short one-word phrases). The same in three runs.
Asserted: at most 1, 1, 2 and 4 of 9.

The vosk test runs only when KIOSK_VOSK_MODEL names a vosk model folder.
"""
import array
import math
import os
import random
from pathlib import Path

import pytest

from kiosk import create_app
from kiosk.extensions import socketio
from kiosk.voice.models import missing_parts

from helpers import kiosk_device
from speech_audio import RATE, heard, noise, say, spoken, spoken_tiles, start

US_VOICES = ("en-us", "en-us+m3", "en-us+f2")
BRITISH_VOICES = ("en-gb", "en+f3", "en-gb-x-rp")
RATES = (130, 175)
US_LEVEL = 0.95  # measured 0.984-0.988
OVERALL_LEVEL = 0.90  # measured 0.925-0.927
# Of 9 clips of each kind, one on each page: measured 0, 0, 2 and 3 taken for a tile.
MAX_NOISE_ACCEPTS = {"white noise": 1, "random bytes": 1, "mains hum": 2, "knocks": 4}


def make_app(tmp_path, monkeypatch, vosk_model=""):
    """An app on a fresh instance folder with its engine loaded before the first kiosk."""
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    # VOSK_MODEL is given explicitly, so KIOSK_VOSK_MODEL in the environment cannot
    # switch the pocketsphinx tests over to vosk.
    app = create_app({"TESTING": True, "VOSK_MODEL": vosk_model})
    # start() rather than load(): the kiosk's connect calls start() too, and a loaded
    # service must not load its model a second time in the background.
    app.extensions["kiosk"].voice.start().join()
    return app


def hear(client, page, pcm):
    """Stream one utterance as a kiosk does; returns the one `heard` event."""
    assert start(client, page).get("ok")
    return heard(say(client, pcm))


def measure(app, voices):
    """[(voice, rate, page, tile, text, heard event)] for every phrase in every voice."""
    client = socketio.test_client(app, namespace="/voice", flask_test_client=kiosk_device(app))
    cases = spoken_tiles(app.extensions["kiosk"].content)
    try:
        return [(voice, rate, page, tile, text, hear(client, page, spoken(text, voice, rate)))
                for voice in voices for rate in RATES for page, tile, text in cases]
    finally:
        client.disconnect(namespace="/voice")


def right(result):
    return result[5].get("tile") == result[3]


def share(results, voices):
    chosen = [r for r in results if r[0] in voices]
    return sum(map(right, chosen)) / len(chosen), sum(map(right, chosen)), len(chosen)


def table(engine, results):
    """The figures as text: per voice and rate, per accent, overall, and every miss."""
    lines = [f"{engine}, page-limited phrases, measured on the default content",
             f"{'voice':<14}" + "".join(f"{rate:>5} wpm" for rate in RATES) + "    share"]
    for voice in US_VOICES + BRITISH_VOICES:
        cells = []
        for rate in RATES:
            cell = [r for r in results if r[0] == voice and r[1] == rate]
            cells.append(f"{sum(map(right, cell))}/{len(cell)}")
        lines.append(f"{voice:<14}" + "".join(f"{c:>9}" for c in cells)
                     + f"   {share(results, (voice,))[0]:6.1%}")
    for name, voices in (("US voices", US_VOICES), ("British voices", BRITISH_VOICES),
                         ("overall", US_VOICES + BRITISH_VOICES)):
        value, hits, total = share(results, voices)
        lines.append(f"{name:<32}{value:6.1%}  ({hits}/{total})")
    for voice, rate, page, tile, text, result in results:
        if result.get("tile") != tile:
            got = result.get("tile") or result.get("reason")
            lines.append(f"  missed {voice} {rate} {page}: {text!r} ({tile}) -> {got}"
                         + (f" ({result['text']!r})" if result.get("text") else ""))
    return "\n".join(lines)


def test_spoken_tiles_are_heard_as_the_right_tile(tmp_path, monkeypatch):
    app = make_app(tmp_path, monkeypatch)
    assert app.extensions["kiosk"].voice.status()["engine"] == "pocketsphinx"
    results = measure(app, US_VOICES + BRITISH_VOICES)
    figures = table("pocketsphinx", results)
    print("\n" + figures)
    assert share(results, US_VOICES)[0] >= US_LEVEL, figures
    assert share(results, US_VOICES + BRITISH_VOICES)[0] >= OVERALL_LEVEL, figures


def test_vosk_hears_spoken_tiles_when_a_model_is_given(tmp_path, monkeypatch):
    model = os.environ.get("KIOSK_VOSK_MODEL", "")
    how = "run with KIOSK_VOSK_MODEL=/path/to/model (an unpacked vosk model folder)"
    if not model:
        pytest.skip(f"no vosk model is installed here: {how}")
    if missing_parts(Path(model)):
        pytest.skip(f"KIOSK_VOSK_MODEL={model} is not a vosk model folder "
                    f"(missing {', '.join(missing_parts(Path(model)))}): {how}")
    app = make_app(tmp_path, monkeypatch, vosk_model=model)
    status = app.extensions["kiosk"].voice.status()
    assert status["engine"] == "vosk", status
    results = measure(app, US_VOICES + BRITISH_VOICES)
    figures = table(f"vosk ({status['model']})", results)
    print("\n" + figures)
    assert share(results, US_VOICES)[0] >= US_LEVEL, figures


# -- noise ------------------------------------------------------------------

def hum(samples, seed):
    """Mains hum (50 Hz and its harmonics) over room noise, as from a bad cable."""
    rng = random.Random(seed)
    return array.array("h", (int(2500 * math.sin(2 * math.pi * 50 * i / RATE)
                                 + 1200 * math.sin(2 * math.pi * 150 * i / RATE)
                                 + 600 * math.sin(2 * math.pi * 250 * i / RATE)
                                 + rng.gauss(0, 30)) for i in range(samples))).tobytes()


def knocks(samples, seed):
    """Sharp knocks on the kiosk (decaying bursts) over room noise."""
    rng = random.Random(seed)
    pcm = array.array("h", noise(samples, seed=seed))
    for knock in range(RATE // 5, samples - RATE // 10, RATE // 3):
        for i in range(RATE // 20):
            value = pcm[knock + i] + rng.gauss(0, 12000) * math.exp(-i / 150)
            pcm[knock + i] = int(max(-32768, min(32767, value)))
    return pcm.tobytes()


NOISES = ("white noise", "random bytes", "mains hum", "knocks")


def noise_clip(kind, seed):
    """One clip of a kind of noise, 1 to 2.5 s long, loud enough to pass as speech."""
    samples = RATE * (2 + seed % 4) // 2
    if kind == "white noise":
        return noise(samples, level=1000 + 700 * (seed % 8), seed=seed)
    if kind == "random bytes":
        return random.Random(seed).randbytes(samples * 2)
    if kind == "mains hum":
        return hum(samples, seed=seed)
    return knocks(samples, seed=seed)


def test_noise_is_rarely_taken_for_a_tile(tmp_path, monkeypatch):
    app = make_app(tmp_path, monkeypatch)
    content = app.extensions["kiosk"].content
    pages = [p for p in content.pages if content.voice_mode(p) == "tiles"]
    client = socketio.test_client(app, namespace="/voice", flask_test_client=kiosk_device(app))
    accepted = {kind: [] for kind in NOISES}
    for seed, page in enumerate(pages):
        for kind in NOISES:
            result = hear(client, page, noise_clip(kind, seed))
            if result["status"] != "not_heard":
                accepted[kind].append(f"{page} -> {result.get('tile')} ({result.get('text')!r})")
    client.disconnect(namespace="/voice")
    figures = "\n".join(f"{kind}: {len(hits)} of {len(pages)} taken for a tile {hits}"
                        for kind, hits in accepted.items())
    print("\n" + figures)
    for kind, most in MAX_NOISE_ACCEPTS.items():
        assert len(accepted[kind]) <= most, figures
