"""The kiosk asks for speech its browser plays, compressed where it can, and it plays."""
import json

import pytest

from conftest import IPAD

# Remember the element that starts playing, and keep every speech URL asked for.
WATCH = """
    const play = HTMLMediaElement.prototype.play;
    HTMLMediaElement.prototype.play = function () {
      this.addEventListener("playing", () => { window.heard = this; }, { once: true });
      return play.call(this);
    };
"""
TYPES = {"opus": 'audio/ogg; codecs="opus"', "mp3": "audio/mpeg"}


def only_plays(types):
    """A browser that says it plays these types and nothing else (as Safari says no to Opus)."""
    return ("HTMLMediaElement.prototype.canPlayType = function (type) { "
            f"return {json.dumps(types)}.includes(type) ? 'maybe' : ''; }};")


@pytest.mark.parametrize("browser_plays, asked, mimetype", [
    (None, "opus", "audio/ogg"),              # Chromium as it is: Opus
    ([TYPES["mp3"]], "mp3", "audio/mpeg"),    # like an iPad's Safari without Opus
    ([], "", "audio/wav"),                    # neither: the WAV every browser plays
])
def test_the_start_tap_plays_speech_in_the_format_the_browser_can_play(
        browser, server, enrol_page, browser_plays, asked, mimetype):
    context = browser.new_context(viewport=IPAD, has_touch=True, base_url=server.base_url)
    page = context.new_page()
    if browser_plays is not None:
        page.add_init_script(only_plays(browser_plays))
    page.add_init_script(WATCH)
    answers = []
    page.on("response", lambda r: "/audio/" in r.url and answers.append(r))
    enrol_page(page)
    page.get_by_role("button", name="Start", exact=True).click()
    # The words really play: the element's clock moves (the first render may take a moment).
    page.wait_for_function("() => window.heard && window.heard.currentTime > 0",
                           timeout=30_000)
    src = page.evaluate("window.heard.src")
    assert src.endswith(f".wav?as={asked}" if asked else ".wav")
    assert answers and all(r.url.endswith(f"?as={asked}") if asked else r.url.endswith(".wav")
                           for r in answers)  # the preloads too: one format throughout
    played = [r for r in answers if r.url == src]
    assert played and played[0].headers["content-type"].startswith(mimetype)
    context.close()
