"""Speech input: speed, time to the result, memory and accuracy of each recognition engine.

pocketsphinx is always measured; vosk too when KIOSK_VOSK_MODEL names a model folder.
Speech is made with espeak-ng (tests/speech_audio.py), so the figures are for clear
synthetic speech, not for children at a kiosk. --at-once-only measures just (f): many
kiosks streaming together, recognised in the server process and in worker processes.
"""
import argparse
import json
import os
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import socketio

from _server import ROOT, cookie_header, running_server, serving_pid

# Run as bench/voice.py: make the kiosk package and the test speech maker importable.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from kiosk.content.loading import load_content  # noqa: E402
from kiosk.content.symbols import Symbols  # noqa: E402
from kiosk.defaults import cpu_count  # noqa: E402
from kiosk.voice.engines import PocketSphinxEngine  # noqa: E402
from kiosk.voice.listener import BYTES_PER_SECOND, FRAME_BYTES, Limits, Listener, rms  # noqa: E402
from kiosk.voice.phrases import normalise  # noqa: E402
from kiosk.voice.service import load_vosk  # noqa: E402
from speech_audio import CHUNK, chunks, spoken, spoken_tiles  # noqa: E402

LATENCY_GOAL_MS = 300
ACCURACY_GOAL = 0.95
US_VOICES = ("en-us", "en-us+m3", "en-us+f2", "en-us+f3")
BRITISH_VOICES = ("en-gb", "en+f3", "en-gb-x-rp")  # espeak-ng ignores "+f3" after "en-gb"
RATES = (130, 175)
LATENCY_VOICE, LATENCY_RATE = "en-us", 150
SENTENCES = (  # what a pupil might say on the free-speech page
    "I want to go home.",
    "My friend is sad.",
    "A boy in my class hit me.",
    "Someone took my phone at lunch.",
    "I do not feel safe at home.",
    "My brother is mean to me.",
    "A man sent me a message.",
    "I am scared to go to school.",
)
AUDIO = {"rate": 16000, "channels": 1, "encoding": "s16le"}
CHUNK_SECONDS = CHUNK / BYTES_PER_SECOND
LIMITS = Limits()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--utterances", type=int, default=40,
                        help="utterances per latency figure (default 40)")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="send audio this many times faster than real time (default 1)")
    parser.add_argument("--kiosks", type=int, default=16,
                        help="kiosks streaming at once in (f) (default 16)")
    parser.add_argument("--rounds", type=int, default=4,
                        help="utterances each of those kiosks says after its first (default 4)")
    parser.add_argument("--at-once-only", action="store_true",
                        help="measure only (f), kiosks streaming at once")
    parser.add_argument("--memory-probe", metavar="MODEL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.utterances < 2 or args.kiosks * args.rounds < 2:
        parser.error("--utterances and --kiosks x --rounds must be at least 2 (percentiles)")
    return args


# -- the phrases --------------------------------------------------------------

def default_content():
    return load_content(ROOT / "content", Symbols(ROOT / "symbols"))


def tile_cases(content):
    """(page id, {phrase: tile}, tile id, text) for every tile phrase."""
    return [(page, content.voice_phrases(page), tile, text)
            for page, tile, text in spoken_tiles(content)]


def speech_end(pcm):
    """Bytes up to the end of the last 30 ms frame loud enough to be speech."""
    end = 0
    for start in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        if rms(pcm[start:start + FRAME_BYTES]) >= LIMITS.speech_level:
            end = start + FRAME_BYTES
    return end


def word_errors(reference, heard):
    """Word-level edit distance between what was said and what was heard."""
    ref, hyp = normalise(reference).split(), normalise(heard).split()
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
    return row[-1], len(ref)


def percentile(values, pct):
    """The pct-th percentile (inclusive method)."""
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def spread(values_ms):
    return (f"median {statistics.median(values_ms):.0f} ms, "
            f"p95 {percentile(values_ms, 95):.0f} ms, max {max(values_ms):.0f} ms")


def verdict(passed):
    return "PASS" if passed else "MISS"


# -- in this process: speed, accuracy, word error rate -------------------------

class FwdflatSphinx(PocketSphinxEngine):
    """pocketsphinx with its second (fwdflat) pass on, which the kiosk leaves off."""
    name = "pocketsphinx+fwdflat"
    decoder_options = {"fwdflat": True}


def decode(engine, phrases, pcm):
    """(text, CPU s, wall s, finish wall s) for the engine alone on a whole utterance."""
    cpu, wall = time.thread_time(), time.perf_counter()
    recogniser = engine.listen(sorted(phrases) if phrases else None)
    try:
        for chunk in chunks(pcm):
            recogniser.accept(chunk)
        ending = time.perf_counter()
        heard = recogniser.finish()
        done = time.perf_counter()
    finally:
        recogniser.close()
    return heard.text, time.thread_time() - cpu, done - wall, done - ending


def listen(engine, phrases, pcm):
    """The outcome through the kiosk's listener: loudness check, engine, decision."""
    listener = Listener(engine, phrases, LIMITS)
    for chunk in chunks(pcm):
        listener.feed(chunk)
        if listener.finished:
            break
    outcome = listener.finish()
    listener.close()
    return outcome


def loudness_cpu(pcm):
    """CPU seconds the listener spends judging loudness (pure Python) on the audio."""
    cpu = time.thread_time()
    for start in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
        rms(pcm[start:start + FRAME_BYTES])
    return time.thread_time() - cpu


def real_time_factors(engine, cases, label, loudness=False):
    """Print decode CPU and wall time over audio length, page-limited and free speech."""
    for kind, items in (
            ("page-limited", [(phrases, spoken(text, LATENCY_VOICE, rate))
                              for _, phrases, _, text in cases for rate in RATES]),
            ("free speech", [(None, spoken(text, LATENCY_VOICE, LATENCY_RATE))
                             for text in SENTENCES])):
        audio = sum(len(pcm) for _, pcm in items) / BYTES_PER_SECOND
        runs = [decode(engine, phrases, pcm) for phrases, pcm in items]
        finish_ms = [run[3] * 1000 for run in runs]
        print(f"  {label:<22} {kind:<12} ({len(items)} utterances, {audio:.0f} s): "
              f"{sum(r[1] for r in runs) / audio:.3f} CPU, {sum(r[2] for r in runs) / audio:.3f} "
              f"wall; finishing an utterance {spread(finish_ms)}")
    if loudness:
        pcm = b"".join(pcm for _, pcm in items)
        print(f"  {'the loudness check':<22} (the listener's own work on each chunk): "
              f"{loudness_cpu(pcm) / (len(pcm) / BYTES_PER_SECOND):.3f} CPU")


def accuracy(engine, cases):
    """Print the share of tiles heard right per voice; returns {voice: share}."""
    shares, misses = {}, []
    print(f"  {'voice':<12}" + "".join(f"{rate:>5} wpm" for rate in RATES) + "    share")
    for voice in US_VOICES + BRITISH_VOICES:
        cells, hits = [], 0
        for rate in RATES:
            right = 0
            for page, phrases, tile, text in cases:
                outcome = listen(engine, phrases, spoken(text, voice, rate))
                if outcome.tile == tile:
                    right += 1
                else:
                    misses.append(f"{voice} {rate} {page}: {text!r} -> "
                                  f"{outcome.tile or outcome.reason} {outcome.text!r}")
            cells.append(f"{right}/{len(cases)}")
            hits += right
        shares[voice] = hits / (len(cases) * len(RATES))
        print(f"  {voice:<12}" + "".join(f"{c:>9}" for c in cells) + f"   {shares[voice]:6.1%}")
    total = len(cases) * len(RATES)
    for name, voices in (("US voices", US_VOICES), ("British voices", BRITISH_VOICES),
                         ("overall", US_VOICES + BRITISH_VOICES)):
        share = sum(shares[v] for v in voices) / len(voices)
        print(f"  {name:<30}{share:6.1%}  ({round(share * total * len(voices))}/"
              f"{total * len(voices)})")
    meeting = [v for v in shares if shares[v] >= ACCURACY_GOAL]
    us = sum(shares[v] for v in US_VOICES) / len(US_VOICES)
    print(f"  goal: >= {ACCURACY_GOAL:.0%} on page-limited phrases for clear synthetic speech "
          f"-> US voices together {us:.1%} {verdict(us >= ACCURACY_GOAL)}; voices meeting it: "
          f"{', '.join(meeting) or 'none'}")
    print(f"  misheard ({len(misses)}):")
    for miss in misses:
        print(f"    {miss}")
    return us >= ACCURACY_GOAL


def word_error_rate(engine, label, show=False):
    """Print the free-speech word error rate per voice."""
    for voice in ("en-us", "en-gb"):
        errors = words = 0
        heard = []
        for text in SENTENCES:
            outcome = listen(engine, None, spoken(text, voice, LATENCY_RATE))
            wrong, count = word_errors(text, outcome.text)
            errors, words = errors + wrong, words + count
            heard.append(f"    {text!r} -> {outcome.text or outcome.reason!r}")
        print(f"  {label} {voice} ({len(SENTENCES)} sentences, {words} words): "
              f"word error rate {errors / words:.0%}")
        if show:
            print("\n".join(heard))


# -- a real server: time to the result, memory -----------------------------------

def server_pid(base_url):
    """The run.py process this script started for base_url's port."""
    port = base_url.rsplit(":", 1)[1].encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
        if parent == os.getpid() and b"run.py" in command and port in command:
            return serving_pid(int(entry.name))  # gunicorn's worker, which loads the engine
    raise RuntimeError(f"no server process found for {base_url}")


def voice_workers(pid):
    """The speech worker processes a server (or app) process started (voice/workers.py)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(int(child))
            except OSError:
                pass  # it ended as we looked
    return found


def pss_mb(pid):
    """Proportional set size: resident memory with pages shared between processes (the
    libraries every worker maps) split between them, so processes add up truly."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass  # ended as we looked
    return 0.0


def family_mb(pid):
    """PSS of a server process and its speech workers together."""
    return sum(pss_mb(p) for p in [pid, *voice_workers(pid)])


def cpu_seconds(pid):
    """CPU time (user + system) a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Kiosk:
    """A Socket.IO client on /voice, as the kiosk page is; `heard` events are timestamped."""

    def __init__(self, server, session=None):
        self.heard = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("heard", self._on_heard, namespace="/voice")
        # Only an enrolled kiosk may listen: enrol, then connect with its device cookie.
        device = cookie_header(session or server.kiosk_session())
        self.client.connect(server.base_url, namespaces=["/voice"], transports=["websocket"],
                            headers={"Cookie": device}, wait_timeout=10)

    def _on_heard(self, data):
        self.heard.put((time.perf_counter(), data))  # stamped on arrival

    def start(self, page):
        ack = self.client.call("start", {"page": page, **AUDIO}, namespace="/voice", timeout=30)
        if not ack.get("ok"):
            raise RuntimeError(f"start refused: {ack}")
        return ack

    def emit(self, event, data=None):
        self.client.emit(event, data, namespace="/voice")

    def send(self, pcm, speed, until=None):
        """Send chunks paced at `speed` x real time; returns when each was sent."""
        sent, begun = [], time.perf_counter()
        for i, chunk in enumerate(chunks(pcm[:until])):
            wait = begun + i * CHUNK_SECONDS / speed - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            self.emit("audio", chunk)
            sent.append(time.perf_counter())
        return sent

    def result(self, timeout=10):
        return self.heard.get(timeout=timeout)

    def close(self):
        self.client.disconnect()


def wait_for_engine(kiosk, engine, seconds=300):
    """Start and cancel until the server answers with the engine wanted (vosk loads slowly)."""
    deadline = time.monotonic() + seconds
    while True:
        ack = kiosk.client.call("start", {"page": "safe", **AUDIO}, namespace="/voice",
                                timeout=30)
        kiosk.emit("cancel")
        if ack.get("engine") == engine:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server still answers {ack} after {seconds} s")
        time.sleep(0.5)


def after_stop(kiosk, utterances, speed):
    """ms from the last speech chunk sent and `stop` emitted to `heard`; and misses."""
    latencies, misses = [], []
    for page, tile, text, pcm in utterances:
        kiosk.start(page)
        end = speech_end(pcm)
        kiosk.send(pcm, speed, until=end + (-end) % CHUNK)  # up to the chunk speech ends in
        kiosk.emit("stop")
        stopped = time.perf_counter()
        arrived, heard = kiosk.result()
        latencies.append((arrived - stopped) * 1000)
        if heard.get("tile") != tile if tile else heard["status"] != "words":
            misses.append(missed(page, text, heard))
    return latencies, misses


def missed(page, text, heard):
    got = heard.get("tile") or heard.get("reason")
    return f"{page}: {text!r} -> {got} {heard.get('text', '')!r}"


def after_end_of_speech(kiosk, utterances, speed):
    """ms from sending the chunk speech ends in to `heard`, when the server finds the end."""
    latencies, misses = [], []
    for page, tile, text, pcm in utterances:
        kiosk.start(page)
        last = (speech_end(pcm) - 1) // CHUNK  # the chunk the speech ends in
        sent = kiosk.send(pcm, speed)
        arrived, heard = kiosk.result()
        if heard.get("reason") == "silence" or arrived < sent[last]:
            raise RuntimeError(f"the utterance ended before its speech: {heard}")
        latencies.append((arrived - sent[last]) * 1000)
        if heard.get("tile") != tile:
            misses.append(missed(page, text, heard))
    return latencies, misses


def four_kiosks_at_once(server):
    """Four kiosks start listening together: the pool makes a recogniser for each."""
    kiosks = [Kiosk(server) for _ in range(4)]
    try:
        threads = [threading.Thread(target=k.start, args=("what",)) for k in kiosks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    except Exception:
        for kiosk in kiosks:
            kiosk.close()
        raise
    return kiosks


def server_figures(engine_name, vosk_model, cases, args):
    """Start a real server using the engine; print memory and time to the result."""
    if vosk_model:
        os.environ["KIOSK_VOSK_MODEL"] = vosk_model
    else:
        os.environ.pop("KIOSK_VOSK_MODEL", None)  # the server would otherwise use vosk
    n = args.utterances
    tiles = [(page, tile, text, spoken(text, LATENCY_VOICE, LATENCY_RATE, tail=1.2))
             for page, _, tile, text in (cases * (n // len(cases) + 1))[:n]]
    words = [("more", "", text, spoken(text, LATENCY_VOICE, LATENCY_RATE)) for text in SENTENCES]
    # The server as a school runs it: a worker a core, Whisper for free speech if installed.
    with running_server(with_dsl=False, config={"VOICE_WORKERS": os.cpu_count(),
                                                "VOICE_WHISPER": True}) as server:
        pid = server_pid(server.base_url)
        kiosk = Kiosk(server)
        try:
            wait_for_engine(kiosk, engine_name)
            loaded = family_mb(pid)
            stop_ms, stop_misses = after_stop(kiosk, tiles, args.speed)
            words_ms, _ = after_stop(kiosk, words, args.speed)
            eos_ms, eos_misses = after_end_of_speech(kiosk, tiles, args.speed)
            after = family_mb(pid)
        finally:
            kiosk.close()
        kiosks = four_kiosks_at_once(server)
        four = family_mb(pid)
        for kiosk in kiosks:
            kiosk.close()
    window = LIMITS.end_silence_seconds * 1000 / args.speed
    pace = "real time" if args.speed == 1 else f"{args.speed:g} x real time"
    print(f"  server memory (PSS of the server and its speech workers; run.py loads the "
          f"engine at start): {loaded:.0f} MB with "
          f"the engine ready, {after:.0f} MB after the runs below, {four:.0f} MB with 4 kiosks "
          "listening at once")
    print(f"  end of speech -> heard, audio sent at {pace}, {LATENCY_VOICE} {LATENCY_RATE} wpm:")
    passed = percentile(stop_ms, 95) < LATENCY_GOAL_MS
    print(f"    Done pressed (stop), {len(stop_ms)} tiles: {spread(stop_ms)}"
          f"   goal: < {LATENCY_GOAL_MS} ms at p95 -> {verdict(passed)}")
    words_ok = percentile(words_ms, 95) < LATENCY_GOAL_MS
    print(f"    Done pressed (stop), {len(words_ms)} free-speech sentences: {spread(words_ms)}"
          f"   goal: < {LATENCY_GOAL_MS} ms at p95 -> {verdict(words_ok)}")
    print(f"    server found the end (no stop), {len(eos_ms)} tiles: {spread(eos_ms)}")
    beyond = [ms - window for ms in eos_ms]
    print(f"      the same less the {window:.0f} ms of quiet the server waits for "
          f"(end_silence_seconds): {spread(beyond)}   goal: < {LATENCY_GOAL_MS} ms at p95 "
          f"-> {verdict(percentile(beyond, 95) < LATENCY_GOAL_MS)}")
    for how, misses in (("Done pressed as the speech ended", stop_misses),
                        ("the server found the end", eos_misses)):
        print(f"    tiles misheard when {how}: {len(misses)} of {len(tiles)}"
              + "".join(f"\n      {miss}" for miss in misses))
    return passed


def memory_probe(model):
    """Run in a fresh process: PSS of an app before and after its engine is loaded."""
    from kiosk import create_app
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as instance_path:
        os.environ["KIOSK_INSTANCE_PATH"] = instance_path
        app = create_app({"VOSK_MODEL": "" if model == "-" else model})
        voice = app.extensions["kiosk"].voice
        before = family_mb(os.getpid())
        voice.load()
        recogniser = voice.engine.listen(["yes", "no"])
        after = family_mb(os.getpid())  # with the speech workers the app started
        recogniser.close()
        print(json.dumps({"before": before, "after": after, "engine": voice.engine.name}))
    return 0


def app_memory(engine_name, vosk_model):
    """Print the memory an engine adds to a fresh app process (no server, no other use)."""
    probe = subprocess.run([sys.executable, __file__, "--memory-probe", vosk_model or "-"],
                           cwd=ROOT, capture_output=True, text=True, timeout=600)
    if probe.returncode:
        raise RuntimeError(f"memory probe failed: {probe.stderr.strip()[-500:]}")
    figures = json.loads(probe.stdout.strip().splitlines()[-1])
    if figures["engine"] != engine_name:
        raise RuntimeError(f"memory probe loaded {figures['engine']}, not {engine_name}")
    also = " (and pocketsphinx's decoder, the fallback)" if engine_name != "pocketsphinx" else ""
    print(f"  app memory (PSS, with its speech workers): {figures['before']:.0f} MB before "
          "any voice use, "
          f"{figures['after']:.0f} MB with the engine loaded{also} and a recogniser made "
          f"(+{figures['after'] - figures['before']:.0f} MB)")


# -- (f) many kiosks streaming at once ----------------------------------------------

class Sampler:
    """The largest PSS of a server and its workers, sampled while kiosks stream."""

    def __init__(self, pid, every=0.25):
        self.pid, self.every, self.peak = pid, every, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._done.wait(self.every):
            self.peak = max(self.peak, family_mb(self.pid))

    def stop(self):
        self._done.set()
        self._thread.join()
        return self.peak


def keep_talking(kiosk, utterances, rounds, seed, begin, results):
    """One kiosk: its utterances one after another, Done pressed as each one's speech
    ends, a short random pause between; appends (round, ms, right) to results."""
    rng = random.Random(seed)
    begin.wait()
    for turn in range(rounds + 1):
        page, tile, text, pcm = rng.choice(utterances)
        time.sleep(rng.uniform(0, 0.5))  # kiosks do not all start on the same beat
        kiosk.start(page)
        end = speech_end(pcm)
        kiosk.send(pcm, 1.0, until=end + (-end) % CHUNK)
        kiosk.emit("stop")
        stopped = time.perf_counter()
        arrived, heard = kiosk.result(timeout=30)
        results.append((turn, (arrived - stopped) * 1000, heard.get("tile") == tile))


def wait_for_workers(server, count, seconds=60):
    """Until the server's log says each of its speech workers is ready."""
    deadline = time.monotonic() + seconds
    while Path(server.log_path).read_text(errors="replace").count("ready in") < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} speech workers not ready after {seconds} s")
        time.sleep(0.1)


def streaming_at_once(config, utterances, args):
    """Start a real server with `config`; its figures with args.kiosks kiosks streaming."""
    with running_server(with_dsl=False, config=config) as server:
        pid = server_pid(server.base_url)
        sessions = server.kiosk_sessions(args.kiosks).values()
        kiosks = [Kiosk(server, session) for session in sessions]
        try:
            wait_for_engine(kiosks[0], "pocketsphinx")
            wait_for_workers(server, config["VOICE_WORKERS"])
            workers = voice_workers(pid)
            before = family_mb(pid)
            cpu = {p: cpu_seconds(p) for p in [pid, *workers]}
            sampler, results = Sampler(pid), []
            begin = threading.Barrier(len(kiosks))
            threads = [threading.Thread(target=keep_talking, args=(
                k, utterances, args.rounds, n, begin, results)) for n, k in enumerate(kiosks)]
            started, load = time.perf_counter(), os.getloadavg()[0]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            peak = sampler.stop()
            used = {p: cpu_seconds(p) - cpu[p] for p in cpu}
        finally:
            for kiosk in kiosks:
                kiosk.close()
    return {"results": results, "before": before, "peak": peak, "wall": wall,
            "server_cpu": used[pid], "workers_cpu": sum(used[p] for p in workers),
            "workers": len(workers), "load": load}


def at_once(cases, args):
    """(f) print Done-to-heard with many kiosks streaming at once, and memory a listener,
    in the server process and in worker processes; returns whether the workers meet it."""
    os.environ.pop("KIOSK_VOSK_MODEL", None)  # pocketsphinx: the engine that runs in workers
    utterances = [(page, tile, text, spoken(text, LATENCY_VOICE, LATENCY_RATE))
                  for page, _, tile, text in cases]
    n, cores = args.kiosks, cpu_count()
    print(f"(f) {n} kiosks streaming at once to a real server (run.py), each saying "
          f"{args.rounds + 1} tiles one after another ({LATENCY_VOICE} {LATENCY_RATE} wpm, "
          f"real time, Done pressed as the speech ends); {cores} cores here:")
    p95s = {}
    for label, workers in (("in the server process", 0), (f"{cores} worker processes", cores)):
        # Room for every kiosk in either case: the default is 24.
        figures = streaming_at_once({"VOICE_WORKERS": workers,
                                     "VOICE_MAX_STREAMS": max(n, 24)}, utterances, args)
        later = [ms for turn, ms, _ in figures["results"] if turn]
        first = [ms for turn, ms, _ in figures["results"] if not turn]
        wrong = sum(not right for _, _, right in figures["results"])
        p95s[label] = percentile(later, 95)
        cpu = figures["server_cpu"] + figures["workers_cpu"]
        grown = figures["peak"] - figures["before"]
        print(f"  {label} (machine load average {figures['load']:.1f} as it began: other "
              "work slows both):")
        print(f"    Done -> heard, {len(later)} utterances after each kiosk's first: "
              f"{spread(later)}")
        print(f"    each kiosk's first utterance ({len(first)}, all starting together): "
              f"{spread(first)}")
        print(f"    misheard: {wrong} of {len(figures['results'])}")
        print(f"    CPU: {figures['server_cpu']:.1f} s server process, "
              f"{figures['workers_cpu']:.1f} s in {figures['workers']} workers, over "
              f"{figures['wall']:.1f} s: {cpu / figures['wall']:.2f} cores busy")
        print(f"    memory (PSS, server and workers): {figures['before']:.0f} MB ready, "
              f"{figures['peak']:.0f} MB at most with {n} listening: "
              f"{grown / n:.0f} MB a listener over ready, {figures['peak'] / n:.0f} MB a "
              "listener in all")
    inside, outside = p95s.values()
    passed = outside < LATENCY_GOAL_MS
    print(f"  p95 in the server process / in worker processes: {inside / outside:.1f} x"
          f"   goal: < {LATENCY_GOAL_MS} ms at p95 with {n} kiosks in worker processes "
          f"-> {verdict(passed)}")
    return passed


# -- each engine ------------------------------------------------------------------

def measure(engine, vosk_model, cases, args):
    name = engine.name
    print(f"\n== {name}: {engine.model}")
    print("(a) real-time factor, en-us (decode time over audio length; < 1 keeps up):")
    real_time_factors(engine, cases, name, loudness=True)
    if name == "pocketsphinx":
        real_time_factors(FwdflatSphinx(max_decoders=1), cases, "fwdflat on (not used)")
    print("(b, c) memory, and a real server (run.py):")
    app_memory(name, vosk_model)
    fast_enough = server_figures(name, vosk_model, cases, args)
    print(f"(d) page-limited accuracy, {len(cases)} phrases (each tile's words and label) "
          f"x {len(RATES)} rates per voice:")
    accurate = accuracy(engine, cases)
    print("(e) free speech:")
    word_error_rate(engine, name, show=True)
    if name == "pocketsphinx":
        word_error_rate(FwdflatSphinx(max_decoders=1), "fwdflat on (not used)")
    return fast_enough and accurate


def main():
    args = parse_args()
    if args.memory_probe:
        return memory_probe(args.memory_probe)
    sys.stdout.reconfigure(line_buffering=True)  # a long run shows each figure as it comes
    vosk_model = os.environ.get("KIOSK_VOSK_MODEL", "")
    cases = tile_cases(default_content())
    print(f"Speech input, measured on the default content: {len(cases)} phrases on "
          f"{len({c[0] for c in cases})} pages, {len(SENTENCES)} free-speech sentences")
    if args.at_once_only:
        return 0 if at_once(cases, args) else 1
    passed = measure(PocketSphinxEngine(max_decoders=1), "", cases, args)
    print()
    passed = at_once(cases, args) and passed
    if not vosk_model:
        print("\n== vosk: skipped, no vosk model here (set KIOSK_VOSK_MODEL=/path/to/model "
              "to measure one)")
    else:
        vosk, problem = load_vosk(Path(vosk_model))
        if vosk is None:
            print(f"\n== vosk: skipped, {problem}")
        else:
            passed = measure(vosk, vosk_model, cases, args) and passed
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
