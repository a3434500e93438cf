"""Speech a pupil journey downloads, in each format, and the time from a tap to its words.

    python bench/audio.py            # --rounds N (default 2)

Starts the real server with a fresh instance folder and speech cache, and drives one
taps-only journey (Start, then each page's last tile and Next, up to the review page) in
headless Chromium, once for each format: the page is made to believe its browser plays
only that one (`canPlayType`), so it asks for it as it would on a browser that does.
"""
import argparse
import json
import logging
import statistics
import sys
import tempfile
import threading
from pathlib import Path

from flask import Flask, abort, send_file
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from _server import ROOT, free_port, running_server

sys.path.insert(0, str(ROOT))
from kiosk.speech.compress import FORMATS  # noqa: E402  (the project's own, after the path)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
IPAD = {"width": 1024, "height": 768}
KB = 1024
ORDER = ("opus", "mp3", "wav")
CAN_PLAY = {"opus": 'audio/ogg; codecs="opus"', "mp3": "audio/mpeg", "wav": None}
MIMETYPES = {**{name: f.mimetype for name, f in FORMATS.items()}, "wav": "audio/wav"}
SUFFIXES = {**{name: f.suffix for name, f in FORMATS.items()}, "wav": ".wav"}
BYTES_GOAL = 4      # compressed: at most a quarter of the WAV's bytes a journey
LATENCY_GOAL = 1.5  # tap to audio start within 1.5x of the minimal page
REVIEW = "Is this right?"
SIDES, CACHES = ("kiosk", "minimal"), ("empty", "warm")
WHEN = {"empty": "a fresh browser, the first pupil",
        "warm": "the page loaded again, as after a reset: the next pupil"}
AUDIO_MAX_AGE = 365 * 24 * 3600

# Both pages get the same watch: a tap is the pointerdown, its audio start is the first
# 'playing' of any media element after it (the element really plays: currentTime moves).
TIMING = """
    window.taps = [];
    addEventListener("pointerdown", () => window.taps.push({ at: performance.now() }), true);
    const play = HTMLMediaElement.prototype.play;
    HTMLMediaElement.prototype.play = function () {
      if (!this.timed) {
        this.timed = true;
        this.addEventListener("playing", () => {
          const tap = window.taps[window.taps.length - 1];
          if (tap && tap.started === undefined) {
            tap.started = performance.now();
            tap.url = new URL(this.currentSrc).pathname;
          }
        });
      }
      return play.call(this);
    };
"""


def only_plays(fmt):
    """An init script: this browser says it plays `fmt` alone (WAV: neither compressed one)."""
    return ("HTMLMediaElement.prototype.canPlayType = function (type) { "
            f"return type === {json.dumps(CAN_PLAY[fmt])} ? 'probably' : ''; }};")


def new_page(browser, base_url, fmt):
    """A fresh context (an empty cache) that plays only `fmt`, watched as above."""
    context = browser.new_context(viewport=IPAD, has_touch=True, base_url=base_url)
    context.add_init_script(only_plays(fmt))
    context.add_init_script(TIMING)
    page = context.new_page()
    audio = []  # (URL, body bytes) of every speech response

    def finished(request):
        if "/audio/" in request.url:
            audio.append((request.url, request.sizes()["responseBodySize"]))

    page.on("requestfinished", finished)
    return page, audio


def tap(page, locator, wait_ms):
    """Tap, wait until its audio starts (or 10 s: then it counts as none), let preloads land."""
    count = page.evaluate("window.taps.length")
    locator.click()
    page.wait_for_function("(n) => window.taps.length > n && "
                           "window.taps[window.taps.length - 1].started !== undefined",
                           arg=count, timeout=10_000)
    page.wait_for_timeout(wait_ms)


def enrol(page, code):
    page.goto(f"/enrol?code={code}")
    page.get_by_role("button", name="Make this device the kiosk").click()
    page.wait_for_url("**/kiosk")


def kiosk_journey(page, wait_ms):
    """Start, then each page's last tile (and Next) up to the review: the same way each
    time, so each format's journey says the same phrases."""
    page.wait_for_load_state("networkidle")
    heading = page.get_by_role("heading", level=1)
    tap(page, page.get_by_role("button", name="Start", exact=True), wait_ms)
    for _ in range(20):
        was = heading.inner_text()
        if was == REVIEW:
            return
        next_button = page.get_by_role("button", name="Next", exact=True)
        multi = next_button.is_visible()
        if page.locator(".tile").count():  # a page of places to tap (the body) has none
            tap(page, page.locator(".tile").last, wait_ms)
        if multi:
            tap(page, next_button, wait_ms)
        page.wait_for_function("([h, was]) => document.querySelector(h).innerText !== was",
                               arg=["h1", was])
    raise RuntimeError(f"the journey never reached {REVIEW!r}")


def tap_times(page):
    """(ms from tap to audio start for each tap, the path each tap's audio came from)."""
    taps = page.evaluate("window.taps")
    return [t["started"] - t["at"] for t in taps], [t["url"] for t in taps]


MINIMAL_PAGE = """<!doctype html><title>minimal</title><button id="tap">Tap</button>
<script>
  const urls = %s;
  for (const url of urls) { const a = new Audio(); a.preload = "auto"; a.src = url; }
  const voice = new Audio();
  let next = 0;
  document.getElementById("tap").onclick = () => { voice.src = urls[next++]; voice.play(); };
</script>"""


def minimal_app(folder):
    """The least a page can do: a button that plays the next file, the files from `folder`."""
    app = Flask("minimal-audio")
    app.playlist = []

    @app.get("/")
    def page():
        return MINIMAL_PAGE % json.dumps(app.playlist)

    @app.get("/audio/<key>.<fmt>")
    def audio(key, fmt):
        path = Path(folder) / f"{key}{SUFFIXES.get(fmt, '')}"
        if fmt not in SUFFIXES or not key.isalnum() or not path.exists():
            abort(404)
        response = send_file(path, mimetype=MIMETYPES[fmt], max_age=AUDIO_MAX_AGE)
        response.headers["Cache-Control"] = f"public, max-age={AUDIO_MAX_AGE}, immutable"
        return response

    return app


def minimal_journey(page, paths, wait_ms):
    """The same files the kiosk played, one a tap, in the same order."""
    page.wait_for_load_state("networkidle")
    for _ in paths:
        tap(page, page.locator("#tap"), wait_ms)


def median(values):
    return statistics.median(values) if values else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="timed journeys a format")
    parser.add_argument("--wait-ms", type=int, default=600,
                        help="pause after each tap's audio starts, as a pupil reads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-speech-") as cache, \
            running_server(with_dsl=False, config={"SPEECH_CACHE": cache}) as server, \
            sync_playwright() as pw:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line a request
        app = minimal_app(cache)
        port = free_port()
        minimal = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=minimal.serve_forever, daemon=True).start()
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            results = run(browser, server, app, f"http://127.0.0.1:{port}", args, cache)
        finally:
            browser.close()
            minimal.shutdown()
    return report(results)


def run(browser, server, app, minimal_url, args, cache):
    """Bytes from one journey a format (the first also renders and encodes every phrase),
    then the timed rounds, each format on the kiosk and the minimal page in turn."""
    downloaded, requested = {}, {}
    for fmt in ORDER:
        page, audio = new_page(browser, server.base_url, fmt)
        enrol(page, server.kiosk_code())
        kiosk_journey(page, args.wait_ms)
        page.wait_for_load_state("networkidle")
        downloaded[fmt] = sum(size for _, size in audio)
        requested[fmt] = {url.split("?")[0] for url, _ in audio}
        page.context.close()
    stored = {fmt: sum(cached_file(cache, url, fmt).stat().st_size for url in requested[fmt])
              for fmt in ORDER}
    times = {fmt: {(side, cache): [] for side in SIDES for cache in CACHES} for fmt in ORDER}
    for _ in range(args.rounds):
        for fmt in ORDER:
            # The kiosk: a pupil on an empty cache, then the next pupil on the same kiosk
            # (the page loaded again, as after a reset: symbols and speech now cached).
            page, _ = new_page(browser, server.base_url, fmt)
            enrol(page, server.kiosk_code())
            kiosk_journey(page, args.wait_ms)
            taken, paths = tap_times(page)
            times[fmt][("kiosk", "empty")] += taken
            page.reload()
            kiosk_journey(page, args.wait_ms)
            times[fmt][("kiosk", "warm")] += tap_times(page)[0]
            page.context.close()
            # The minimal page: the files that journey played first after each tap.
            app.playlist = [path.replace(".wav", f".{fmt}") for path in paths]
            page, _ = new_page(browser, minimal_url, fmt)
            page.goto("/")
            minimal_journey(page, paths, args.wait_ms)
            times[fmt][("minimal", "empty")] += tap_times(page)[0]
            page.reload()
            minimal_journey(page, paths, args.wait_ms)
            times[fmt][("minimal", "warm")] += tap_times(page)[0]
            page.context.close()
    page = browser.new_page()  # what this Chromium says, nothing forced: the kiosk's choice
    chosen = next((fmt for fmt in ORDER if CAN_PLAY[fmt] is None or page.evaluate(
        "(type) => new Audio().canPlayType(type)", CAN_PLAY[fmt])), "wav")
    page.close()
    return {"downloaded": downloaded, "stored": stored, "files": requested, "times": times,
            "chosen": chosen}


def cached_file(cache, url, fmt):
    """The file the server keeps a speech URL's phrase in, as `fmt`."""
    key = url.rsplit("/", 1)[1].split(".")[0]
    return Path(cache) / f"{key}{SUFFIXES[fmt]}"


def report(results):
    downloaded, stored, times = results["downloaded"], results["stored"], results["times"]
    wav = downloaded["wav"]
    print("speech a journey downloads (taps only, Start to the review page):")
    for fmt in ORDER:
        print(f"  {fmt:<5} {downloaded[fmt] / KB:8.1f} KB over the wire, "
              f"{len(results['files'][fmt])} files, {stored[fmt] / KB:8.1f} KB as stored, "
              f"{downloaded[fmt] / wav:6.1%} of WAV")
    passed = all(downloaded[fmt] * BYTES_GOAL <= wav for fmt in FORMATS)
    print(f"goal: compressed <= 1/{BYTES_GOAL} of WAV -> {'PASS' if passed else 'MISS'}")
    print("tap to audio start, median (p90) ms over every tap of every round:")
    for cache in CACHES:
        print(f" {cache} cache ({WHEN[cache]}):")
        for fmt in ORDER:
            kiosk, minimal = times[fmt][("kiosk", cache)], times[fmt][("minimal", cache)]
            print(f"  {fmt:<5} kiosk {median(kiosk):6.1f} ({p90(kiosk):6.1f}), minimal page "
                  f"{median(minimal):6.1f} ({p90(minimal):6.1f}), {len(kiosk)} taps: "
                  f"{median(kiosk) / median(minimal):.2f}x")
    chosen = results["chosen"]
    ratio = (median(times[chosen][("kiosk", "warm")])
             / median(times[chosen][("minimal", "warm")]))
    fast = ratio <= LATENCY_GOAL
    print(f"goal: the kiosk, in {chosen} (what this Chromium asks for), warm, within "
          f"{LATENCY_GOAL}x of the minimal page -> {ratio:.2f}x {'PASS' if fast else 'MISS'}")
    return 0 if passed and fast else 1


def p90(values):
    return sorted(values)[int(0.9 * (len(values) - 1))] if values else float("nan")


if __name__ == "__main__":
    sys.exit(main())
