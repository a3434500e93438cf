"""WCAG 2.2 A and AA, checked by axe-core in Chromium on every screen a pupil can reach,
in every shipped language and both themes, and on the staff pages around the kiosk.

Each (theme, language) is walked once, by tapping as a pupil would, and axe runs on
each screen on the way; the tests then read those results, one test per screen, so a
failure names the screen and lists every violation on it."""
import importlib.util
import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench._server import flask_command
from conftest import IPAD, enrol, staff_login

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ["en"] + sorted(p.stem for p in (ROOT / "content" / "translations").glob("*.toml"))
THEMES = ["standard", "high-contrast"]
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# The axe-core build shipped inside the axe-playwright-python package; only the file is used.
AXE = Path(importlib.util.find_spec("axe_playwright_python").origin).with_name("axe.min.js")
PIN = "24681357"
# Every screen of the journey, in the order the walk below reaches them.
PUPIL_SCREENS = ["language", "hello", "staff-pin", "safe", "what", "what_more", "where",
                 "online_where", "when", "who", "feel", "more", "more-typing", "name", "review",
                 "get-adult", "thanks", "urgent", "hidden"]
DEVICE_SCREENS = ["not-a-kiosk", "about-symbols", "paused", "settings", "settings-saved"]
STAFF_SCREENS = ["dashboard", "case-new", "case"]


def axe_violations(page):
    """axe-core's WCAG 2.2 A/AA violations on the page as it is now."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated by the browser's devtools channel, which the pages' strict
        # Content-Security-Policy (no inline script) rightly does not cover.
        page.evaluate(Path(AXE).read_text() + "\n;undefined")
    return page.evaluate("""async (tags) => {
        const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
        return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html}))}));
    }""", WCAG_22_AA)


def describe(violations):
    """One line per rule, then each element at fault: selector and markup."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines += [f"    {n['target']}: {n['html'][:240]}" for n in v["nodes"]]
    return "\n".join(lines)


# ---- walking the journey as a pupil, in any language -------------------------------

def words_in(page, lang):
    """The journey's words in a language, as the kiosk itself fetches them."""
    response = page.request.get(f"/api/kiosk/journey?lang={lang}")
    assert response.ok, f"no journey for {lang}: HTTP {response.status}"
    return response.json()


def tap(where, name):
    where.get_by_role("button", name=name, exact=True).click()


def heading(page, text):
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def choose_language(page, lang, check):
    """From a fresh /kiosk: the Language option, then the language's own tile."""
    page.goto("/kiosk")
    first = page.evaluate("JSON.parse(document.getElementById('journey').textContent)")
    words = words_in(page, lang)
    tap(page.locator("#main"), first["controls"]["language"]["text"])
    heading(page, first["screens"]["choose_language"]["text"])
    check("language")
    name = next(t["label"] for t in words["pages"]["_language"]["tiles"] if t["id"] == lang)
    tap(page.locator("#main"), name)
    heading(page, words["pages"]["hello"]["prompt"]["text"])
    expect(page.locator("html")).to_have_attribute("lang", lang)
    return words


def walk_journey(page, lang, check):
    """Every pupil screen in `lang`, calling check(screen) on each (names: PUPIL_SCREENS)."""
    words = choose_language(page, lang, check)
    pages, controls, screens = words["pages"], words["controls"], words["screens"]
    main, app = page.locator("#main"), page.locator("#app")

    def tile(page_id, tile_id):
        return next(t["label"] for t in pages[page_id]["tiles"] if t["id"] == tile_id)

    def choose(page_id, *tile_ids):
        for tile_id in tile_ids:
            button = main.get_by_role("button", name=tile(page_id, tile_id), exact=True)
            button.click()
            expect(button).to_have_attribute("aria-pressed", "true")

    def then(page_id, screen=None):
        heading(page, pages[page_id]["prompt"]["text"])
        check(screen or page_id)

    check("hello")
    tap(page, "Staff")
    expect(page.locator("#pin-dialog")).to_be_visible()
    check("staff-pin")
    tap(page.locator("#pin-dialog"), "Cancel")
    tap(main, tile("hello", "start"))
    then("safe")
    tap(main, tile("safe", "yes"))
    heading(page, pages["what"]["prompt"]["text"])
    choose("what", "unkind", "online", "pictures")  # so where, online_where, who follow
    check("what")
    for page_id, tile_id in (("what_more", "home"), ("where", "online"), ("online_where", "game")):
        tap(app, controls["next"]["text"])
        heading(page, pages[page_id]["prompt"]["text"])
        choose(page_id, tile_id)
        check(page_id)
    tap(app, controls["next"]["text"])
    then("when")
    tap(main, tile("when", "today"))
    heading(page, pages["who"]["prompt"]["text"])
    choose("who", "adult")
    check("who")
    tap(app, controls["next"]["text"])
    then("feel")
    tap(main, tile("feel", "sad"))
    then("more")
    tap(main, tile("more", "type"))
    page.get_by_label(screens["typed_words"]["text"], exact=True).fill("Mean messages.")
    check("more-typing")
    tap(app, controls["done"]["text"])
    then("name")
    tap(main, tile("name", "no"))
    then("review")
    tap(app, controls["get_adult"]["text"])
    overlay = page.get_by_role("alertdialog")
    expect(overlay).to_contain_text(screens["help_told"]["text"])  # stored: an adult is told
    check("get-adult")
    tap(overlay, controls["back"]["text"])
    expect(overlay).to_be_hidden()
    tap(app, controls["send"]["text"])
    # Today or the next school day, whichever the server worked out for this report.
    thanks = [screens[k]["text"] for k in ("thanks_anonymous", "thanks_anonymous_next_day")]
    expect(overlay).to_contain_text(re.compile("|".join(map(re.escape, thanks))))
    check("thanks")

    choose_language(page, lang, ignore)  # a fresh start, in the same language
    tap(main, tile("hello", "start"))
    tap(main, tile("safe", "no"))
    heading(page, pages["urgent"]["prompt"]["text"])
    expect(page.locator("body[data-sent='yes']")).to_have_count(1)  # stored, no error shown
    check("urgent")
    tap(app, controls["hide"]["text"])
    expect(page.locator("#hidden-screen")).to_be_visible()
    check("hidden")


def pause_and_set_theme(page, theme, check):
    """Staff PIN on the kiosk, the pause page, then the kiosk's settings: its colours."""
    page.goto("/kiosk")
    tap(page, "Staff")
    pad = page.locator("#pin-dialog")
    for digit in PIN:
        tap(pad, digit)
    tap(pad, "OK")
    page.wait_for_url("**/kiosk/staff")
    check("paused")
    page.get_by_role("link", name="Settings for this kiosk").click()
    page.wait_for_url("**/kiosk/settings")
    check("settings")
    page.get_by_label("Colours").select_option(theme)
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    check("settings-saved")
    page.get_by_role("link", name="Back to the kiosk").click()
    expect(page.locator(f"body[data-theme='{theme}']")).to_have_count(1)


def ignore(screen):
    """A walk's check that checks nothing: for steps that only lead somewhere."""


class Audit:
    """Runs each walk once, on first use, and keeps what axe found on each screen.

    A walk that breaks half way keeps the screens it reached; tests of the others
    report why the walk stopped."""

    def __init__(self, browser, server):
        self.browser, self.server = browser, server
        self.results, self.failures, self.kiosks, self.contexts = {}, {}, {}, []
        flask_command(server.instance_path, "set-staff-pin", "--pin-stdin", stdin=PIN + "\n")

    def screen(self, walk, screen):
        key = walk if isinstance(walk, tuple) else (walk,)
        if key not in self.failures:
            self.results.setdefault(key, {})
            try:
                getattr(self, "walk_" + key[0])(*key[1:])
                self.failures[key] = None
            except Exception as exc:  # noqa: BLE001 (reported by each test it affects)
                self.failures[key] = exc
        if screen in self.results[key]:
            return self.results[key][screen]
        raise AssertionError(f"the walk never reached {screen}") from self.failures[key]

    def recorder(self, page, key):
        found = self.results.setdefault(key, {})
        return lambda screen: found.__setitem__(screen, axe_violations(page))

    def new_page(self, **options):
        context = self.browser.new_context(base_url=self.server.base_url, **options)
        self.contexts.append(context)
        return context.new_page()

    def kiosk(self, theme):
        """An enrolled iPad given its theme through the kiosk's own settings page
        (the first one's pause and settings pages are checked on the way)."""
        if theme not in self.kiosks:
            page = self.new_page(viewport=IPAD, has_touch=True)
            enrol(page, self.server)
            first = theme == THEMES[0]
            pause_and_set_theme(page, theme, self.recorder(page, ("device",)) if first else ignore)
            self.kiosks[theme] = page
        return self.kiosks[theme]

    def walk_pupil(self, theme, lang):
        page = self.kiosk(theme)
        walk_journey(page, lang, self.recorder(page, ("pupil", theme, lang)))

    def walk_device(self):
        page = self.new_page(viewport=IPAD, has_touch=True)  # never enrolled
        check = self.recorder(page, ("device",))
        page.goto("/kiosk")
        expect(page.get_by_role("heading", level=1)).to_contain_text("not set up")
        check("not-a-kiosk")
        page.goto("/about/symbols")
        check("about-symbols")
        self.kiosk(THEMES[0])

    def walk_staff(self):
        kiosk = self.kiosk(THEMES[0])
        sent = kiosk.request.post("/api/reports", data={
            "client_id": str(uuid.uuid4()), "words": "They keep sending me messages.",
            "answers": {"safe": ["yes"], "what": ["unkind", "online"], "who": ["child"]}})
        assert sent.status == 201, sent.text()
        page = staff_login(self.browser, self.server)
        self.contexts.append(page.context)
        check = self.recorder(page, ("staff",))
        expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()
        expect(page.locator("#rows tr").first).to_be_visible()
        check("dashboard")
        page.locator("#rows tr").first.get_by_role("link", name="Open").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Case")
        check("case-new")
        page.get_by_role("button", name="Acknowledge").click()
        expect(page.locator("#case-status")).to_have_text("Acknowledged")
        check("case")

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture(scope="module")
def audit(browser, server):
    audit = Audit(browser, server)
    yield audit
    audit.close()


def assert_clean(violations, where):
    assert not violations, f"WCAG 2.2 AA violations on {where}:\n{describe(violations)}"


@pytest.mark.parametrize("screen", PUPIL_SCREENS)
@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("theme", THEMES)
def test_pupil_screen_meets_wcag_22_aa(audit, theme, lang, screen):
    assert_clean(audit.screen(("pupil", theme, lang), screen), f"{screen} ({lang}, {theme})")


@pytest.mark.parametrize("screen", DEVICE_SCREENS)
def test_kiosk_device_page_meets_wcag_22_aa(audit, screen):
    assert_clean(audit.screen("device", screen), screen)


@pytest.mark.parametrize("screen", STAFF_SCREENS)
def test_dashboard_meets_wcag_22_aa(audit, screen):
    assert_clean(audit.screen("staff", screen), screen)
