"""In WebKit, the engine of iPad Safari: "Show me where" after "Someone hurt me or touched
me" (places tapped on the body picture, front and back, each named aloud; the DSL sees
them marked on the case), and hearing back (the thank-you's three pictures, said aloud,
pressed later on the first page to hear what the DSL chose)."""
import contextlib
import html
import re
import sqlite3
from pathlib import Path

from selenium.webdriver.common.by import By

from bench import _server
from webkit_kiosk import THANKS, click, heading, on_page, shoot, tap, text_of, wait_until

# Every recording the kiosk starts, by its path (the format it asked for left off). Each
# plays four times as fast, so the test hears the thank-you and its pictures (14 s of
# speech at the kiosk's pace) in a few seconds: the same recordings, in the same order.
HEAR = """
window.heard = [];
const play = HTMLMediaElement.prototype.play;
HTMLMediaElement.prototype.play = function () {
  window.heard.push(new URL(this.src, location.href).pathname);
  this.defaultPlaybackRate = this.playbackRate = 4;
  return play.apply(this, arguments);
};"""
JOURNEY = "return JSON.parse(document.getElementById('journey').textContent)"


def heard(driver):
    return driver.execute_script("return window.heard")


def said_in_order(driver, recordings, what):
    """Wait until the kiosk has started each recording, in this order."""
    def in_order():
        played = iter(heard(driver))
        return all(any(p == r for p in played) for r in recordings)
    wait_until(in_order, what, seconds=20)


def newest_report(server):
    with contextlib.closing(sqlite3.connect(Path(server.instance_path) / "kiosk.sqlite3")) as db:
        return db.execute("SELECT max(id) FROM reports").fetchone()[0]


def go_through(driver, route):
    """Tap each button and wait for the journey page that follows it."""
    for name, then in route:
        tap(driver, name)
        on_page(driver, then)


# Each place button's size and whether it ends above the footer, as the page lays it out.
PLACES_FIT = """
const footer = document.querySelector("footer").getBoundingClientRect().top;
return [...document.querySelectorAll("#main .place")].map((b) => {
  const r = b.getBoundingClientRect();
  return [b.dataset.place, r.width, r.height, r.bottom <= footer + 1];
});"""


def test_a_pupil_shows_where_on_the_body_picture_and_the_dsl_sees_it(kiosk, server):
    kiosk.execute_script(HEAR)
    places = {p["id"]: p for p in kiosk.execute_script(JOURNEY)["pages"]["body"]["places"]}
    go_through(kiosk, [("Start", "safe"), ("Yes", "what")])
    tap(kiosk, "Someone hurt me or touched me")
    go_through(kiosk, [("Next", "what_more"), ("Next", "body")])
    heading(kiosk, "Show me where.")
    for side, place in [("front", "arm"), ("back", "bottom"), ("front", "private_parts")]:
        click(kiosk, kiosk.find_element(
            By.CSS_SELECTOR, f'[data-side="{side}"] .place[data-place="{place}"]'))
        said_in_order(kiosk, [places[place]["audio"]], f"{place} to be said")
    # An arm is one place: all four arms are ticked, and six shapes drawn marked.
    pressed = kiosk.execute_script(
        "return [...document.querySelectorAll('#main .place[aria-pressed=true]')]"
        ".map((b) => b.dataset.place)")
    assert sorted(pressed) == ["arm"] * 4 + ["bottom", "private_parts"]
    assert kiosk.execute_script(
        "return document.querySelectorAll('.place-shape.marked').length") == 6
    assert [li.text for li in kiosk.find_elements(By.CSS_SELECTOR, ".body-chosen li")] == [
        "Arm", "Private parts (vulva or penis)", "Bottom"]
    for place, width, height, above in kiosk.execute_script(PLACES_FIT):
        assert width >= 60 and height >= 60 and above, (place, width, height, above)
    shoot(kiosk, "body-page")

    go_through(kiosk, [("Next", "where"), ("Next", "when"), ("Today", "who"), ("Next", "feel"),
                       ("Scared", "more"), ("No, skip", "name"), ("No", "review")])
    chips = kiosk.find_elements(By.CSS_SELECTOR, '.review-row .answer[data-page="body"] .chip')
    assert [chip.text for chip in chips] == ["Arm", "Private parts (vulva or penis)", "Bottom"]
    tap(kiosk, "Send")
    wait_until(lambda: THANKS in (text_of(kiosk, "#overlay-text") or ""), "the thank-you")

    staff = _server.login(server)
    case = staff.get(f"{server.base_url}/staff/reports/{newest_report(server)}", timeout=10)
    page = html.unescape(case.text)
    assert "Where the pupil showed on the body picture" in page
    # In the order the pupil tapped them, and drawn: four arms, the bottom, private parts.
    assert "The pupil marked: <strong class=\"body-map-named\">Arm; Bottom; Private parts " \
           "(vulva or penis)</strong>" in page
    assert len(re.findall(r'<g class="region marked"', page)) == 6


def test_the_thank_you_says_three_pictures_that_later_say_what_the_dsl_chose(kiosk, server):
    kiosk.execute_script(HEAR)
    journey = kiosk.execute_script(JOURNEY)
    pictures = {t["label"]: t["audio"] for t in journey["pages"]["_hearing"]["tiles"]}
    words = journey["hearing_back"]
    go_through(kiosk, [("Start", "safe"), ("Yes", "what")])
    tap(kiosk, "Someone was unkind")
    go_through(kiosk, [("Send now", "review")])
    tap(kiosk, "Send")
    wait_until(lambda: THANKS in (text_of(kiosk, "#overlay-text") or ""), "the thank-you")
    code = [span.text for span in kiosk.find_elements(By.CSS_SELECTOR,
                                                      "#overlay-code .code-picture span")]
    assert len(code) == 3 and set(code) <= set(pictures)
    assert "Remember your pictures" in text_of(kiosk, "#overlay-code")
    shoot(kiosk, "thanks-pictures")

    # While the kiosk says them, the DSL acknowledges and chooses what the pupil hears.
    staff = _server.login(server)
    case_url = f"{server.base_url}/staff/reports/{newest_report(server)}"
    case = staff.get(case_url, timeout=10)
    staff.post(case_url + "/acknowledge", data={"csrf_token": _server._csrf(case)}, timeout=10)
    chosen = staff.post(case_url + "/hearing-back", timeout=10,
                        data={"choice": "read", "csrf_token": _server._csrf(case)})
    assert "\u201cAn adult has read it.\u201d" in html.unescape(chosen.text)
    said_in_order(kiosk, [words["remember"]["audio"], *(pictures[name] for name in code)],
                  "'Remember your pictures' and then each picture's name")

    tap(kiosk, "Done")
    on_page(kiosk, "hello")
    tap(kiosk, "Did an adult read my worry?")
    heading(kiosk, "Press your three pictures")
    for name in code:
        tap(kiosk, name, within="#main")
    wait_until(lambda: text_of(kiosk, "#overlay-text") == "An adult has read it.",
               "what the DSL chose")
    said_in_order(kiosk, [words["read"]["audio"]], "what the DSL chose, aloud")
    assert "Someone was unkind" not in text_of(kiosk, "#app")  # nothing of the report
    shoot(kiosk, "heard-back")
