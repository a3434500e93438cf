""""Bigger" (the first page's option for one pupil) on every iPad size, in both
orientations and every language: every target still whole on screen, nothing under the
footer, nothing overlapping, no label cut off. Screenshots go to KIOSK_SCREENSHOTS when
it is set."""
import json
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import IPAD, enrol
from test_accessibility import LANGUAGES
from test_tile_sizes import MEASURE, problems

# iPad (10.2"), iPad Air / 10.9", iPad Pro 12.9": CSS pixels, both ways round.
SIZES = {"ipad": (1024, 768), "ipad-air": (1180, 820), "ipad-pro": (1366, 1024)}
VIEWPORTS = {f"{name}-{way}": ({"width": w, "height": h} if way == "landscape"
                               else {"width": h, "height": w})
             for name, (w, h) in SIZES.items() for way in ("landscape", "portrait")}
SCREENS = ("hello", "safe", "what", "review")


def shots():
    folder = os.environ.get("KIOSK_SCREENSHOTS")
    return Path(folder) if folder else None


class BiggerWalk:
    """One pupil per language, Bigger on, walked to each screen; measured at every size."""

    def __init__(self, browser, server):
        self.context = browser.new_context(viewport=IPAD, has_touch=True,
                                           base_url=server.base_url)
        self.page = self.context.new_page()
        enrol(self.page, server)
        self.found = {}

    def measure(self, lang, screen):
        for name, size in VIEWPORTS.items():
            self.page.set_viewport_size(size)
            self.found[(lang, name, screen)] = problems(self.page.evaluate(MEASURE))
            if shots() and lang in ("en", "ur", "cy"):
                shots().mkdir(parents=True, exist_ok=True)
                self.page.screenshot(path=shots() / f"bigger-{lang}-{screen}-{name}.png")
        self.page.set_viewport_size(IPAD)

    def walk(self, lang):
        page = self.page
        page.goto("/kiosk")
        if lang != "en":
            page.locator('[data-option="language"]').click()
            page.locator(f'#main [data-tile="{lang}"]').click()
            expect(page.locator("html")).to_have_attribute("lang", lang)
        page.locator('[data-option="bigger"]').click()
        expect(page.locator("body")).to_have_attribute("data-text-size", "large")
        words = json.loads(page.locator("#journey").text_content())
        self.measure(lang, "hello")
        page.locator('#main [data-tile="start"]').click()
        expect(page.locator("body")).to_have_attribute("data-page", "safe")
        self.measure(lang, "safe")
        page.locator('#main [data-tile="yes"]').click()
        expect(page.locator("body")).to_have_attribute("data-page", "what")
        page.locator('#main [data-tile="unkind"]').click()
        self.measure(lang, "what")
        page.locator("#send-now").click()
        expect(page.locator("body")).to_have_attribute("data-page", "review")
        self.measure(lang, "review")
        return words


@pytest.fixture(scope="module")
def walked(browser, server):
    walk = BiggerWalk(browser, server)
    failures = {}

    def screen(lang, viewport, name):
        if lang not in failures:
            try:
                walk.walk(lang)
                failures[lang] = None
            except Exception as exc:  # noqa: BLE001 (reported by each test it affects)
                failures[lang] = exc
        if (lang, viewport, name) not in walk.found:
            raise AssertionError(f"the walk never reached {name}") from failures[lang]
        return walk.found[(lang, viewport, name)]
    yield screen
    walk.context.close()


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_bigger_fits_every_ipad_both_ways_round(walked, lang, viewport, screen):
    found = walked(lang, viewport, screen)
    assert not found, f"Bigger, {screen} ({lang}, {viewport}):\n" + "\n".join(found)
