"""Real speech for recognition tests: espeak-ng speaks a phrase, sox makes it 16 kHz mono,
and a kiosk's way of streaming it to the server's /voice namespace.

A microphone never delivers digital silence: every recording carries a little room
noise, and recognisers rely on it (pocketsphinx's feature normalisation goes wrong
on exact zeros). So the audio gets a faint, seeded noise floor, with quiet before
and after the words, as a kiosk's microphone would hear it.
"""
import array
import functools
import random
import subprocess

from kiosk.voice.phrases import normalise

RATE = 16000
CHUNK = 3200  # 100 ms, what the kiosk page sends at a time


def noise(samples, level=30, seed=7):
    rng = random.Random(seed)
    return array.array("h", (int(rng.gauss(0, level)) for _ in range(samples))).tobytes()


def with_room_noise(pcm, level=30, seed=7):
    rng = random.Random(seed)
    samples = array.array("h", pcm)
    return array.array("h", (max(-32768, min(32767, s + int(rng.gauss(0, level))))
                             for s in samples)).tobytes()


@functools.lru_cache(maxsize=None)
def spoken(text, voice="en-us", rate=150, lead=0.3, tail=1.0):
    """16 kHz mono s16le PCM of `text` spoken by espeak-ng, with room noise around it."""
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "--stdout", text],
                         capture_output=True, check=True).stdout
    pcm = subprocess.run(["sox", "-t", "wav", "-", "-t", "raw", "-r", str(RATE), "-c", "1",
                          "-b", "16", "-e", "signed-integer", "-"],
                         input=wav, capture_output=True, check=True).stdout
    silence = b"\0\0"
    return with_room_noise(silence * int(lead * RATE) + pcm + silence * int(tail * RATE))


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
