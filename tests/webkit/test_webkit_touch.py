"""A pupil at the kiosk in WebKit, the engine of iPad Safari: a short report by taps,
the kiosk's voice really playing after the first tap, and Urdu drawn right to left."""
from webkit_kiosk import (THANKS, button, click, heading, on_page, shoot, stored_answers, tap,
                          text_of, wait_until)

FIRST_PAGE = "You can tell us if something worried you."


def test_a_short_report_by_taps_reaches_the_review_and_is_sent(kiosk, server):
    heading(kiosk, FIRST_PAGE)
    shoot(kiosk, "first-page")
    tap(kiosk, "Start")
    on_page(kiosk, "safe")
    tap(kiosk, "Yes")
    on_page(kiosk, "what")
    tile = button(kiosk, "Someone was unkind")
    click(kiosk, tile)
    wait_until(lambda: tile.get_attribute("aria-pressed") == "true", "the tile to be chosen")
    tap(kiosk, "Send now")
    on_page(kiosk, "review")
    heading(kiosk, "Is this right?")
    assert "Someone was unkind" in text_of(kiosk, "#main")
    shoot(kiosk, "review")
    tap(kiosk, "Send")
    wait_until(lambda: THANKS in (text_of(kiosk, "#overlay-text") or ""), "the thank-you")
    assert stored_answers(server)[-1] == {"safe": ["yes"], "what": ["unkind"]}


# The kiosk's voice is one Audio element the page keeps to itself; this wraps play() on
# every media element (calling the real one) so the test can find it and hear it start.
WATCH_PLAYING = """
const real = HTMLMediaElement.prototype.play;
window.heard = { played: [], playing: 0, element: null };
HTMLMediaElement.prototype.play = function () {
  if (!window.heard.element) {
    window.heard.element = this;
    this.addEventListener("playing", () => { window.heard.playing += 1; });
  }
  window.heard.played.push(this.src);
  return real.apply(this, arguments);
};"""


def test_the_kiosk_voice_plays_after_the_first_tap(kiosk):
    kiosk.execute_script(WATCH_PLAYING)
    tap(kiosk, "Start")  # the gesture that lets the page play sound (an iPad Safari rule)
    on_page(kiosk, "safe")
    wait_until(lambda: kiosk.execute_script("return window.heard.playing"),
               "a 'playing' event from the kiosk's voice")
    voice = ("const v = window.heard.element;"
             "return [v.currentTime, v.error && v.error.code, window.heard.playing];")
    first, error, _ = kiosk.execute_script(voice)
    assert error is None
    # Its time moves on as it plays (or the phrase ended and the next one started).
    wait_until(lambda: (lambda now: now[0] > first or now[2] > 1)(kiosk.execute_script(voice)),
               "the voice's playing time to move on")
    played = kiosk.execute_script("return window.heard.played")
    assert played and all("/audio/" in url for url in played)  # the server's recordings


LAYOUT = """
const box = (id) => document.getElementById(id).getBoundingClientRect();
return { dir: document.documentElement.dir, lang: document.documentElement.lang,
         width: innerWidth, back: box("back").left + box("back").width / 2,
         staff: box("staff").left + box("staff").width / 2 };"""


def test_urdu_is_drawn_right_to_left_with_the_layout_mirrored(kiosk):
    tap(kiosk, "Start")
    on_page(kiosk, "safe")
    english = kiosk.execute_script(LAYOUT)
    assert english["dir"] == "ltr"
    assert english["back"] < english["width"] / 2 and english["staff"] < english["width"] / 2
    tap(kiosk, "Back")
    on_page(kiosk, "hello")
    tap(kiosk, "Language", within="#main")
    on_page(kiosk, "_language")
    tap(kiosk, "اردو", within="#main")
    wait_until(lambda: kiosk.execute_script("return document.documentElement.lang") == "ur",
               "the page to be in Urdu")
    on_page(kiosk, "hello")
    assert kiosk.execute_script("return document.documentElement.dir") == "rtl"
    start = kiosk.execute_script(
        "return document.querySelector('[data-tile=start]').textContent.trim()")
    tap(kiosk, start)
    on_page(kiosk, "safe")
    urdu = kiosk.execute_script(LAYOUT)
    assert urdu["dir"] == "rtl"
    # Mirrored: Back (the way a right-to-left reader came) and the Staff corner on the right.
    assert urdu["back"] > urdu["width"] / 2 and urdu["staff"] > urdu["width"] / 2
    shoot(kiosk, "urdu")
