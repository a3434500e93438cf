"""Bytes a kiosk downloads on its first load of /kiosk, before any speech audio."""
import sys
from collections import Counter

from playwright.sync_api import sync_playwright

from _server import running_server

GOAL_KB = 150
KB = 1024
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
KINDS = ("html", "js", "css", "svg", "other")


def kind_of(content_type):
    """Sort a response into html, js, css, svg or other by its Content-Type."""
    content_type = content_type.split(";")[0].strip().lower()
    for kind, marker in (("html", "html"), ("js", "javascript"), ("css", "css"),
                         ("svg", "svg")):
        if marker in content_type:
            return kind
    return "other"


def first_load(url, cookies):
    """Open url in a fresh headless Chromium; returns ({kind: bytes}, requests, audio skipped)."""
    finished, audio = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()  # a new context: an empty cache
            # The enrolled kiosk's cookie, so /kiosk is the journey, not the set-up page.
            context.add_cookies([{"name": c.name, "value": c.value, "url": url}
                                 for c in cookies])
            page = context.new_page()

            def refuse_audio(route):
                """Note and refuse a speech request."""
                # Audio is not counted, and the server would render it on demand (slowly).
                audio.append(route.request.url)
                route.abort()

            page.route("**/audio/**", refuse_audio)
            # A lambda, not list.append: Playwright cannot wrap a built-in as a handler.
            page.on("requestfinished", lambda request: finished.append(request))
            page.goto(url, wait_until="networkidle", timeout=30_000)
            sizes = Counter()
            for request in finished:
                response = request.response()
                # responseBodySize is what went over the wire (the body, before decoding).
                sizes[kind_of(response.headers.get("content-type", ""))] += \
                    request.sizes()["responseBodySize"]
        finally:
            browser.close()
    return sizes, len(finished), len(audio)


def main():
    """Start a server, load the kiosk once, print the weight and the goal."""
    with running_server(with_dsl=False) as server:
        enrolled = server.kiosk_session()  # enrolled by the real form, outside the browser
        sizes, count, audio = first_load(server.base_url + "/kiosk", enrolled.cookies)
    total = sum(sizes.values())
    print(f"first load of /kiosk: {count} requests, {total / KB:.1f} KB "
          f"({audio} audio requests not counted)")
    for kind in KINDS:
        print(f"  {kind:<6} {sizes[kind] / KB:7.1f} KB")
    passed = total < GOAL_KB * KB
    print(f"goal: < {GOAL_KB} KB before audio -> {'PASS' if passed else 'MISS'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
