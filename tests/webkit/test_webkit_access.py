"""One switch (auto scanning) and dwell in WebKit, each set up on the kiosk's own settings
page as a school would, then a short report sent in real time with short steps."""
import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bench._server import flask_command
from webkit_kiosk import (THANKS, click, enrol, labelled, on_page, stored_answers, tap, text_of,
                          type_staff_pin, wait_until)

PIN = "246810"
STEP_S = 0.75  # the shortest highlight the settings page takes
DEBOUNCE_S = 0.3  # "Ignore repeat presses within": a second press sooner is not counted
DWELL_MS = 600


@pytest.fixture(scope="module")
def staff_pin(server):
    flask_command(server.instance_path, "set-staff-pin", "--pin-stdin", stdin=PIN + "\n")


def set_kiosk(driver, server, input_label, **numbers):
    """Enrol, type the staff PIN, choose settings on the settings page, save, and go back
    to the pupils' first page."""
    enrol(driver, server)
    type_staff_pin(driver, PIN)
    wait_until(lambda: "Kiosk paused" in (text_of(driver, "h1") or ""), "the paused page")
    tap(driver, "Settings for this kiosk")
    wait_until(lambda: (text_of(driver, "h1") or "").startswith("Settings: "), "settings")
    click(driver, labelled(driver, input_label))
    for label, value in numbers.items():
        field = labelled(driver, label)
        field.clear()
        field.send_keys(str(value))
    wait = labelled(driver, "Let each tile's words finish before the highlight moves")
    if wait.is_selected():
        click(driver, wait)  # short fixed steps: the test need not wait for each word to end
    tap(driver, "Save settings")
    wait_until(lambda: "Saved." in (text_of(driver, "[role=status]") or ""), "Saved.")
    tap(driver, "Back to the kiosk")
    wait_until(lambda: driver.current_url.endswith("/kiosk"), "the kiosk page")
    on_page(driver, "hello")


# When any highlight last moved, by the page's own clock: the test presses only on a
# highlight with most of its step still to run, so the press lands inside it.
WATCH_HIGHLIGHT = """
window.highlightSince = performance.now();
new MutationObserver((changes) => {
  if (changes.some((c) => c.target.matches(".scan-focus, .scan-group")))
    window.highlightSince = performance.now();
}).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["class"] });"""

FRESH_HIGHLIGHT = """
const [selector, fresh, done] = arguments;
const poll = setInterval(() => {
  const el = document.querySelector(selector);
  const state = !el ? "" : el.classList.contains("scan-focus") ? "focus"
              : el.classList.contains("scan-group") ? "group" : "";
  if (state && performance.now() - window.highlightSince < fresh) {
    clearInterval(poll);
    done(state);
  }
}, 10);"""


def chosen(driver):
    wait_until(lambda: driver.execute_script(
        "return document.querySelector('[data-tile=unkind]').ariaPressed") == "true",
        "Someone was unkind to be chosen")


# Start, Yes, Someone was unkind, Send now: each with what the pupil sees after it.
ROUTE = [('[data-tile="start"]', lambda d: on_page(d, "safe")),
         ('[data-tile="yes"]', lambda d: on_page(d, "what")),
         ('[data-tile="unkind"]', chosen),
         ("#send-now", lambda d: on_page(d, "review"))]


class Switch:
    """A pupil's single switch, wired as the Enter key, and a count of presses."""

    def __init__(self, driver):
        self.driver, self.presses = driver, 0
        driver.set_script_timeout(4 * 6 * STEP_S + 5)  # a few rounds of the longest page

    def press_on(self, selector):
        """Let the scan run; press each time the target (or its group) is highlighted."""
        before = self.presses
        while True:
            state = self.driver.execute_async_script(FRESH_HIGHLIGHT, selector,
                                                     (STEP_S - DEBOUNCE_S) * 1000)
            ActionChains(self.driver).send_keys(Keys.ENTER).perform()
            self.presses += 1
            time.sleep(DEBOUNCE_S + 0.05)  # so the next press is not taken for a bounce
            assert self.presses - before <= 2, f"{selector} took too many presses"
            if state == "focus":
                return


def test_a_short_report_with_one_switch(webkit, server, staff_pin):
    set_kiosk(webkit, server, "One switch: auto scanning", **{
        "Time on each highlight": STEP_S, "Time on the first highlight": STEP_S,
        "Hold time": 0, "Ignore repeat presses within": int(DEBOUNCE_S * 1000)})
    webkit.execute_script(WATCH_HIGHLIGHT)
    switch = Switch(webkit)
    for selector, then in ROUTE:
        switch.press_on(selector)
        then(webkit)
    switch.press_on("#forward")  # Send
    wait_until(lambda: THANKS in (text_of(webkit, "#overlay-text") or ""), "the thank-you")
    assert stored_answers(server)[-1] == {"safe": ["yes"], "what": ["unkind"]}


def test_a_short_report_by_dwell(webkit, server, staff_pin):
    set_kiosk(webkit, server, "Eye gaze or head pointer", **{"Dwell time": DWELL_MS})
    away = webkit.find_element(By.ID, "prompt")  # words, not a button: resting there is safe

    def look_at(selector, rest=DWELL_MS / 1000 + 0.4):
        target = webkit.find_element(By.CSS_SELECTOR, selector)
        ActionChains(webkit).move_to_element(away).move_to_element(target).perform()
        time.sleep(rest)

    # A glance shorter than the dwell time chooses nothing.
    look_at('[data-tile="start"]', rest=DWELL_MS / 1000 / 3)
    ActionChains(webkit).move_to_element(away).perform()
    time.sleep(DWELL_MS / 1000)
    on_page(webkit, "hello")
    for selector, then in ROUTE:
        look_at(selector)
        then(webkit)
    look_at("#forward")  # Send
    wait_until(lambda: THANKS in (text_of(webkit, "#overlay-text") or ""), "the thank-you")
    assert stored_answers(server)[-1] == {"safe": ["yes"], "what": ["unkind"]}
