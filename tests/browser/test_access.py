"""Whole reports by one switch (auto scanning), two switches, and dwell, on a controlled clock.

Staff set the kiosk up through its own settings page, as a school would; the page's
clock is then driven by the test, so a 1 s scan step takes no real second.
"""
import json
import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench._server import flask_command

from conftest import IPAD, enrol, type_staff_pin

PIN = "246810"
STEP_MS = 1000
SPEECH_MS = 200  # how long each recording "plays" on the controlled clock (see below)
# Recordings that play for SPEECH_MS of the page's own (controlled) time, and a list of
# what was played: the kiosk waits for words to end, so the test must know when they do.
TIMED_AUDIO = """(() => {
  const proto = HTMLMediaElement.prototype;
  Object.defineProperty(proto, "paused", { configurable: true, get() { return !this._on; } });
  proto.play = function () {
    window.played = window.played || [];
    window.played.push(new URL(this.src, location.href).pathname);
    clearTimeout(this._end);
    this._on = true;
    this._end = setTimeout(() => { this._on = false; this.dispatchEvent(new Event("ended")); },
                           window.SPEECH_MS || %d);
    return Promise.resolve();
  };
  proto.pause = function () { clearTimeout(this._end); this._on = false; };
})();""" % SPEECH_MS
MORNING = datetime(2026, 11, 18, 10, 30)
FOCUS = re.compile(r"\bscan-focus\b")
GROUP = re.compile(r"\bscan-group\b")


def stop_the_clock(page):
    """From now on the page's time moves only when the test says (for the next page too)."""
    page.clock.install(time=MORNING)
    page.clock.pause_at(datetime(2026, 11, 18, 10, 31))


@pytest.fixture(scope="module")
def staff_pin(server):
    flask_command(server.instance_path, "set-staff-pin", "--pin-stdin", stdin=PIN + "\n")


def open_settings(page):
    type_staff_pin(page, PIN)
    page.get_by_role("link", name="Settings for this kiosk").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Settings: ")


def set_up_kiosk(page, input_label, wait_for_speech=False, **numbers):
    """Choose settings on the kiosk's settings page, save, and go back to the pupils."""
    open_settings(page)
    page.get_by_label(input_label).check()
    for label, value in numbers.items():
        page.get_by_label(label.replace("_", " "), exact=True).fill(str(value))
    page.get_by_label("Let each tile's words finish before the highlight moves").set_checked(
        wait_for_speech)
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Saved.")


@pytest.fixture
def set_kiosk(browser, server, staff_pin):
    """A new kiosk set up on its settings page, back with the pupils; the clock stopped."""
    contexts = []

    def make(input_label, clock=True, wait_for_speech=False, speech_ms=SPEECH_MS, **numbers):
        context = browser.new_context(viewport=IPAD, base_url=server.base_url)
        context.add_init_script(f"window.SPEECH_MS = {speech_ms};")
        context.add_init_script(TIMED_AUDIO)
        contexts.append(context)
        page = context.new_page()
        enrol(page, server)
        set_up_kiosk(page, input_label, wait_for_speech, **numbers)
        if clock:
            stop_the_clock(page)  # before the kiosk page loads, so all its timers are ours
        page.get_by_role("link", name="Back to the kiosk").click()
        page.wait_for_url("**/kiosk")
        return page
    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def switch_kiosk(set_kiosk):
    return set_kiosk("One switch: auto scanning", **{
        "Time on each highlight": STEP_MS / 1000, "Time on the first highlight": 1.5,
        "Hold time": 0, "Ignore repeat presses within": 300})


def state_of(page, selector):
    return page.evaluate("""(selector) => {
        const el = document.querySelector(selector);
        if (!el) return "absent";
        return el.classList.contains("scan-focus") ? "focus"
             : el.classList.contains("scan-group") ? "group" : "none";
    }""", selector)


class Switch:
    """A pupil's switch, wired as the Enter key, and a count of presses."""

    def __init__(self, page, key="Enter"):
        self.page, self.key, self.presses = page, key, 0

    def press(self):
        self.page.keyboard.press(self.key)
        self.presses += 1
        self.page.clock.run_for(350)  # past the debounce before anything else


def scan_to(page, switch, selector, max_presses=2, max_steps=12):
    """Let auto scanning run; press when the target (or its group) is highlighted."""
    before = switch.presses
    for _ in range(max_steps * 2):
        state = state_of(page, selector)
        if state in ("focus", "group"):
            switch.press()
            if state == "focus":
                assert switch.presses - before <= max_presses
                return
            continue
        page.clock.run_for(STEP_MS // 2)
    raise AssertionError(f"{selector} was never highlighted")


def last_answers(server):
    """{page: [tile, ...]} of the newest stored report, read from the server's database."""
    db = sqlite3.connect(Path(server.instance_path) / "kiosk.sqlite3")
    row = db.execute("SELECT choices FROM reports ORDER BY id DESC LIMIT 1").fetchone()
    db.close()
    answers = {}
    for choice in json.loads(row[0]):
        answers.setdefault(choice["page"], []).append(choice["tile"])
    return answers


def test_a_whole_report_with_one_switch_and_auto_scanning(switch_kiosk, server):
    page, switch = switch_kiosk, Switch(switch_kiosk)
    expect(page.locator('[data-tile="start"]')).to_have_class(FOCUS)
    route = [
        ('[data-tile="start"]', "safe"), ('[data-tile="yes"]', "what"),
        ('[data-tile="unkind"]', "what"), ("#forward", "what_more"),
        ("#forward", "where"), ('[data-tile="school"]', "where"), ("#forward", "when"),
        ('[data-tile="today"]', "who"), ('[data-tile="child"]', "who"),
        ("#forward", "feel"), ('[data-tile="sad"]', "more"), ('[data-tile="skip"]', "name"),
        ('[data-tile="no"]', "review"),
    ]
    for selector, then in route:
        scan_to(page, switch, selector)
        expect(page.locator("body")).to_have_attribute("data-page", then)
    expect(page.locator(".answer")).to_have_count(6)
    scan_to(page, switch, "#forward")  # Send
    expect(page.locator("#overlay-text")).to_contain_text("Thank you for telling")
    assert last_answers(server) == {
        "safe": ["yes"], "what": ["unkind"], "where": ["school"], "when": ["today"],
        "who": ["child"], "feel": ["sad"]}
    assert switch.presses <= 2 * (len(route) + 1)


def test_auto_scanning_speaks_each_highlight_and_pauses_after_three_rounds(switch_kiosk):
    page = switch_kiosk
    page.keyboard.press("Enter")  # Start: the page of three tiles
    page.clock.run_for(100)
    expect(page.locator("body")).to_have_attribute("data-page", "safe")
    data = json.loads(page.locator("#journey").text_content())
    tiles = {t["id"]: t["audio"] for t in data["pages"]["safe"]["tiles"]}
    # "Start" and the question are heard before the first highlight (two recordings).
    assert state_of(page, '[data-tile="yes"]') == "none"
    page.clock.run_for(2 * SPEECH_MS)
    expect(page.locator('[data-tile="yes"]')).to_have_class(FOCUS)
    played = page.evaluate("window.played")
    assert played.index(data["pages"]["safe"]["prompt"]["audio"]) < played.index(tiles["yes"])
    page.clock.run_for(1300)  # the first highlight stays longer (1.5 s) than the rest (1 s)
    expect(page.locator('[data-tile="yes"]')).to_have_class(FOCUS)
    page.clock.run_for(200)
    expect(page.locator('[data-tile="no"]')).to_have_class(FOCUS)
    page.clock.run_for(STEP_MS)
    expect(page.locator('[data-tile="not_sure"]')).to_have_class(FOCUS)
    page.clock.run_for(STEP_MS)
    expect(page.locator("#back")).to_have_class(GROUP)
    played = page.evaluate("window.played")
    spoken = [tiles["yes"], tiles["no"], tiles["not_sure"], data["screens"]["scan_controls"]["audio"]]
    assert [url for url in played if url in spoken] == spoken  # each highlight is spoken
    # Three rounds of four entries, then scanning rests until the switch is pressed.
    page.clock.run_for(STEP_MS * 9)
    expect(page.locator("#scan-paused")).to_be_visible()
    expect(page.locator("#scan-paused")).to_have_text("Press your switch to start again.")
    assert page.locator(".scan-focus, .scan-group").count() == 0
    page.keyboard.press("Enter")
    page.clock.run_for(100)
    expect(page.locator("#scan-paused")).to_be_hidden()
    expect(page.locator('[data-tile="yes"]')).to_have_class(FOCUS)


def test_a_brief_or_bouncing_press_is_ignored(set_kiosk):
    page = set_kiosk("One switch: auto scanning", **{
        "Time on each highlight": 2, "Time on the first highlight": 3,
        "Hold time": 200, "Ignore repeat presses within": 1000})
    page.keyboard.press("Enter")  # released at once: shorter than the 200 ms hold time
    page.clock.run_for(100)
    expect(page.locator("body")).to_have_attribute("data-page", "hello")
    page.keyboard.down("Enter")
    page.clock.run_for(250)
    page.keyboard.up("Enter")  # held long enough: Start
    expect(page.locator("body")).to_have_attribute("data-page", "safe")
    page.clock.run_for(100)
    page.keyboard.down("Enter")  # a tremor's second press, 350 ms after the first
    page.clock.run_for(250)
    page.keyboard.up("Enter")
    expect(page.locator("body")).to_have_attribute("data-page", "safe")


def test_two_switches_step_and_choose(set_kiosk):
    page = set_kiosk("Two switches", clock=False,
                     **{"Hold time": 0, "Ignore repeat presses within": 0})
    page.keyboard.press("Enter")                      # Start is highlighted first
    expect(page.locator("body")).to_have_attribute("data-page", "safe")
    page.keyboard.press(" ")                          # Space moves: No
    expect(page.locator('[data-tile="no"]')).to_have_class(FOCUS)
    page.keyboard.press(" ")                          # Not sure
    page.keyboard.press(" ")                          # the buttons, as a group
    expect(page.locator("#forward")).to_be_hidden()   # nothing to go on to on a one-answer page
    expect(page.locator("#back")).to_have_class(GROUP)
    page.keyboard.press("Enter")                      # into the buttons: Back comes first
    expect(page.locator("#back")).to_have_class(FOCUS)
    page.keyboard.press("Enter")                      # Back to the first page
    expect(page.locator("body")).to_have_attribute("data-page", "hello")


def test_a_whole_report_by_dwell(set_kiosk, server):
    page = set_kiosk("Eye gaze or head pointer", **{"Dwell time": 1000})

    def look_at(selector, then):
        page.mouse.move(2, 300)  # look away first: a new look starts a new dwell
        box = page.locator(selector).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=3)
        page.clock.run_for(500)
        ring = page.locator("#dwell-ring")
        expect(ring).to_be_visible()
        progress = float(ring.evaluate("r => r.style.getPropertyValue('--progress')"))
        assert 0.3 < progress < 0.7  # half way round after half the dwell time
        page.clock.run_for(600)
        expect(page.locator("body")).to_have_attribute("data-page", then)

    # Looking away before the ring is full chooses nothing.
    box = page.locator('[data-tile="start"]').bounding_box()
    page.mouse.move(box["x"] + 50, box["y"] + 50)
    page.clock.run_for(700)
    page.mouse.move(2, 300)
    page.clock.run_for(1000)
    expect(page.locator("#dwell-ring")).to_be_hidden()
    expect(page.locator("body")).to_have_attribute("data-page", "hello")

    for selector, then in [
        ('[data-tile="start"]', "safe"), ('[data-tile="not_sure"]', "what"),
        ('[data-tile="online"]', "what"), ("#forward", "what_more"), ("#forward", "where"),
        ('[data-tile="online"]', "where"), ("#forward", "online_where"),
        ('[data-tile="game"]', "online_where"), ("#forward", "when"),
        ('[data-tile="before"]', "who"), ('[data-tile="dont_want_to_say"]', "who"),
        ("#forward", "feel"), ('[data-tile="worried"]', "more"), ('[data-tile="skip"]', "name"),
        ('[data-tile="no"]', "review")]:
        look_at(selector, then)
    page.mouse.move(2, 300)
    box = page.locator("#forward").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=3)
    page.clock.run_for(1100)
    expect(page.locator("#overlay-text")).to_contain_text("Thank you for telling")
    answers = last_answers(server)
    assert answers["online_where"] == ["game"] and answers["safe"] == ["not_sure"]


def test_staff_are_warned_before_a_paused_kiosk_goes_back_and_can_ask_for_more_time(
        browser, server, staff_pin):
    context = browser.new_context(viewport=IPAD, base_url=server.base_url)
    page = context.new_page()
    enrol(page, server)
    stop_the_clock(page)
    type_staff_pin(page, PIN)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kiosk paused")
    warning = page.get_by_role("alert")
    page.clock.run_for(80_000)
    expect(warning).to_be_hidden()
    page.clock.run_for(15_000)  # 25 s left: the warning shows, with a count
    expect(warning).to_contain_text("This kiosk goes back to the pupils in 25 seconds")
    page.get_by_role("button", name="More time").click()
    expect(warning).to_be_hidden()
    page.clock.run_for(60_000)  # the clock started again at two minutes
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kiosk paused")
    page.clock.run_for(65_000)  # past the end: it must go back once, not abort itself
    page.wait_for_url("**/kiosk")
    expect(page.locator("body")).to_have_attribute("data-page", "hello")
    context.close()


# ---- every input method hears everything ----

def played(page):
    return page.evaluate("window.played || []")


def heard_soon(page, test, seconds=10):
    """Wait (in real time) until what was played passes `test` (the page's CSP forbids
    Playwright's own wait_for_function, which evaluates a string)."""
    import time
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if test(played(page)):
            return played(page)
        time.sleep(0.1)
    raise AssertionError(f"not heard in {seconds} s; played {played(page)}")


def journey_of(page):
    return json.loads(page.locator("#journey").text_content())


def test_the_step_starts_when_the_words_end(set_kiosk):
    """A pupil who waits for the kiosk to stop talking still has the whole step."""
    page = set_kiosk("One switch: auto scanning", wait_for_speech=True, speech_ms=800, **{
        "Time on each highlight": 1, "Time on the first highlight": 1,
        "Hold time": 0, "Ignore repeat presses within": 300})
    page.keyboard.press("Enter")  # Start
    page.clock.run_for(1700)  # "Start" and the question, 800 ms each
    expect(page.locator('[data-tile="yes"]')).to_have_class(FOCUS)
    page.clock.run_for(1500)  # its words (0.8 s) and most of the 1 s step after them
    expect(page.locator('[data-tile="yes"]')).to_have_class(FOCUS)
    page.clock.run_for(400)
    expect(page.locator('[data-tile="no"]')).to_have_class(FOCUS)


def test_holding_the_switch_hides_the_screen_from_anywhere(switch_kiosk):
    page = switch_kiosk
    page.keyboard.press("Enter")  # Start
    page.clock.run_for(2000)
    expect(page.locator("body")).to_have_attribute("data-page", "safe")
    page.keyboard.down("Enter")
    page.clock.run_for(2100)  # held two seconds: hidden at once, before it is let go
    expect(page.locator("#hidden-screen")).to_be_visible()
    expect(page.locator("#app")).to_be_hidden()
    page.keyboard.up("Enter")  # letting go chooses nothing more
    page.clock.run_for(500)
    expect(page.locator("#hidden-screen")).to_be_visible()


def test_an_urgent_answer_by_scanning_is_checked_once_aloud(switch_kiosk):
    page, switch = switch_kiosk, Switch(switch_kiosk)
    scan_to(page, switch, '[data-tile="start"]')
    scan_to(page, switch, '[data-tile="no"]')
    dialog = page.locator("#voice-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#voice-text")).to_have_text("Did you mean: you are not safe?")
    check = journey_of(page)["screens"]["check_urgent"]["audio"]
    assert check in played(page)
    expect(page.locator("body")).to_have_attribute("data-page", "safe")  # nothing sent yet
    scan_to(page, switch, "#voice-no")  # "No": back to the question, nothing sent
    expect(dialog).to_be_hidden()
    expect(page.locator("body")).to_have_attribute("data-page", "safe")
    scan_to(page, switch, '[data-tile="no"]')
    scan_to(page, switch, "#voice-yes")
    expect(page.locator("body")).to_have_attribute("data-page", "urgent")


def test_switch_users_are_not_offered_a_text_box_they_cannot_leave(switch_kiosk):
    page, switch = switch_kiosk, Switch(switch_kiosk)
    for selector in ('[data-tile="start"]', '[data-tile="yes"]', '[data-tile="unkind"]',
                     "#forward", "#forward", "#forward", '[data-tile="today"]', "#forward",
                     '[data-tile="sad"]'):
        scan_to(page, switch, selector)
    expect(page.locator("body")).to_have_attribute("data-page", "more")
    expect(page.locator('[data-tile="type"]')).to_have_count(0)
    expect(page.locator('[data-tile="skip"]')).to_be_visible()


def test_dwell_alone_unlocks_sound_and_the_staff_corner_is_never_dwelt_on(set_kiosk):
    page = set_kiosk("Eye gaze or head pointer", **{"Dwell time": 1000})
    staff = page.locator("#staff").bounding_box()
    page.mouse.move(staff["x"] + 10, staff["y"] + 10, steps=2)
    page.clock.run_for(3000)
    expect(page.locator("#pin-dialog")).to_be_hidden()
    expect(page.locator("#dwell-ring")).to_be_hidden()
    box = page.locator('[data-tile="start"]').bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=3)
    page.clock.run_for(1100)
    expect(page.locator("body")).to_have_attribute("data-page", "safe")
    page.clock.run_for(500)
    data = journey_of(page)
    start = next(t for t in data["pages"]["hello"]["tiles"] if t["id"] == "start")
    assert played(page)[:2] == [start["audio"], data["pages"]["safe"]["prompt"]["audio"]]


def test_after_a_reset_the_first_page_speaks_to_the_next_pupil(switch_kiosk):
    page = switch_kiosk
    page.keyboard.press("Enter")  # Start: sound is unlocked by the pupil's switch
    page.clock.run_for(2000)
    page.keyboard.down("Enter")
    page.clock.run_for(2100)  # held: hidden
    page.keyboard.up("Enter")
    page.clock.run_for(500)
    before = len(played(page))
    page.keyboard.press("Enter")  # the hidden screen's one button: back to the first page
    page.clock.run_for(300)
    expect(page.locator("body")).to_have_attribute("data-page", "hello")
    first = journey_of(page)["pages"]["hello"]["prompt"]["audio"]
    assert first in played(page)[before:]


def test_the_review_reads_every_question_and_answer(set_kiosk):
    page = set_kiosk("Touch", clock=False)
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_role("button", name="Yes", exact=True).click()
    page.get_by_role("button", name="Someone was unkind", exact=True).click()
    page.get_by_role("button", name="Send now", exact=True).click()
    expect(page.locator("body")).to_have_attribute("data-page", "review")
    data = journey_of(page)
    pages = data["pages"]
    wanted = [pages["review"]["prompt"]["audio"],
              pages["safe"]["prompt"]["audio"], pages["safe"]["tiles"][0]["audio"],
              pages["what"]["prompt"]["audio"], pages["what"]["tiles"][0]["audio"]]
    expect(page.locator("body")).to_have_attribute("data-page", "review")
    def review_done(urls):
        return wanted[0] in urls and wanted[-1] in urls[urls.index(wanted[0]):]
    heard = heard_soon(page, review_done)
    tail = heard[heard.index(wanted[0]):]
    assert [url for url in tail if url in wanted] == wanted


def test_typed_words_are_read_back_on_the_review(set_kiosk):
    page = set_kiosk("Touch", clock=False)
    for name in ("Start", "Yes", "Someone was unkind", "Next", "Next", "At school", "Next",
                 "Today", "A child", "Next", "Sad", "Type it"):
        page.get_by_role("button", name=name, exact=True).click()
    page.locator("#typed").fill("They took my lunch money")
    with page.expect_response("**/api/read-back") as answer:
        page.get_by_role("button", name="Done", exact=True).click()
    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "audio/wav"
    page.get_by_role("button", name="No", exact=True).click()  # no name
    expect(page.locator("body")).to_have_attribute("data-page", "review")
    # The words themselves, as a recording made for this review (not a cached phrase).
    heard_soon(page, lambda urls: any(not u.startswith("/audio/") for u in urls))


def test_every_many_answer_page_says_more_than_one_may_be_chosen(set_kiosk):
    page = set_kiosk("Touch", clock=False)
    for name in ("Start", "Yes", "Someone was unkind", "Next", "Next"):
        page.get_by_role("button", name=name, exact=True).click()
    expect(page.locator("body")).to_have_attribute("data-page", "where")
    expect(page.locator("#note")).to_have_text("You can choose more than one.")
    note = journey_of(page)["pages"]["where"]["note"]["audio"]
    heard_soon(page, lambda urls: note in urls)

