"""Targets a pupil presses, measured in the rendered page on iPad-sized screens in every
language: big enough, apart, on the screen, and with labels that fit.

DESIGN.md: targets at least 44x44 CSS px (aim ~96) with space between. Tiles and the
fixed controls (Back, Get an adult, Hide, Next, Listen) must be 96x96; everything else a
pupil can press (the first page's options, Change and answers on the review, overlay
and PIN buttons, the small Staff button) at least 44x44."""
import pytest

from conftest import IPAD, enrol
from test_accessibility import LANGUAGES, PUPIL_SCREENS, walk_journey

VIEWPORTS = {"portrait": {"width": 768, "height": 1024},
             "landscape": {"width": 1024, "height": 768}}
BIG, SMALL, TILE_GAP = 96, 44, 8
TOLERANCE = 0.5  # sub-pixel rounding in layout

# Every element a pupil can press on the screen as it is: its kind, its box, the part of
# it not scrolled away, and any text in it that does not fit. Behind an open message or
# the hidden screen nothing counts; elsewhere a target counts only if a tap on the middle
# of its visible part reaches it (the PIN pad covers tiles, not Hide). Text is measured
# across only: Arabic and Urdu script draw above and below their line box, which is not
# clipping while nothing hides overflow.
MEASURE = """() => {
  const vw = document.documentElement.clientWidth, vh = document.documentElement.clientHeight;
  const fixed = "#back, #get-adult, #hide, #speak, #forward, #listen";
  const box = (r) => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
  const text = (el) => (el.getAttribute("aria-label") || el.innerText || el.value || el.id)
    .trim().replace(/\\s+/g, " ").slice(0, 50);
  const shown = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility === "visible";
  };
  const overflows = (el) => el.scrollWidth > el.clientWidth + 1;
  const layer = [...document.querySelectorAll("#overlay, #hidden-screen")].find(shown) || document;
  // The part of a box left after every scrolling ancestor and the viewport clip it.
  const visible = (el) => {
    let r = box(el.getBoundingClientRect());
    const cut = (c) => {
      r = {left: Math.max(r.left, c.left), top: Math.max(r.top, c.top),
           right: Math.min(r.right, c.right), bottom: Math.min(r.bottom, c.bottom)};
    };
    for (let up = el.parentElement; up; up = up.parentElement) {
      if (getComputedStyle(up).overflow !== "visible") cut(up.getBoundingClientRect());
    }
    cut({left: 0, top: 0, right: vw, bottom: vh});
    return r;
  };
  const targets = [];
  for (const el of layer.querySelectorAll("button, a[href], input, textarea, select")) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    const seen = visible(el);
    const seenWidth = seen.right - seen.left, seenHeight = seen.bottom - seen.top;
    const inView = seenWidth >= r.width - 1 && seenHeight >= r.height - 1;
    if (seenWidth > 0 && seenHeight > 0) {
      const x = (seen.left + seen.right) / 2, y = (seen.top + seen.bottom) / 2;
      const hit = document.elementFromPoint(x, y);
      if (hit && !el.contains(hit)) continue;  // under a dialog: not pressable here
    }
    const clipped = [];
    for (const part of [el, ...el.querySelectorAll("span, .label")]) {
      if (!shown(part)) continue;
      const p = part.getBoundingClientRect();
      const outside = p.left < r.left - 1 || p.right > r.right + 1
        || p.top < r.top - 1 || p.bottom > r.bottom + 1;
      if (overflows(part) || (part !== el && outside)) {
        clipped.push(part === el ? "(the button's content)" : text(part) || part.className);
      }
    }
    const kind = el.matches(".tile") ? "tile" : el.matches(fixed) ? "fixed" : "other";
    targets.push({name: text(el), kind, box: box(r), seen, inView,
                  review: !!el.closest(".review"), clipped});
  }
  const words = [...document.querySelectorAll("h1, h2, p")].filter(shown).filter(overflows)
    .map((el) => text(el));
  return {width: vw, pageWidth: document.documentElement.scrollWidth, targets, words};
}"""


def gap(a, b):
    """Distance between two boxes (negative: they overlap)."""
    return max(a["left"] - b["right"], b["left"] - a["right"],
               a["top"] - b["bottom"], b["top"] - a["bottom"])


def problems(measured):
    """Each broken rule on one screen, as a line a person can act on."""
    found, targets = [], measured["targets"]
    if measured["pageWidth"] > measured["width"]:
        found.append(f"page is {measured['pageWidth']} px wide in a "
                     f"{measured['width']} px viewport")
    for t in targets:
        b, least = t["box"], BIG if t["kind"] != "other" else SMALL
        width, height = b["right"] - b["left"], b["bottom"] - b["top"]
        if width + TOLERANCE < least or height + TOLERANCE < least:
            found.append(f"{t['kind']} {t['name']!r} is {width:.0f}x{height:.0f}, "
                         f"under {least}x{least}")
        if b["left"] < -TOLERANCE or b["right"] > measured["width"] + TOLERANCE:
            found.append(f"{t['kind']} {t['name']!r} runs off the screen sideways "
                         f"({b['left']:.0f} to {b['right']:.0f})")
        if not t["inView"] and not t["review"]:  # a long review may scroll; pages may not
            found.append(f"{t['kind']} {t['name']!r} is not all in view: the pupil must scroll")
        for part in dict.fromkeys(t["clipped"]):
            found.append(f"{t['kind']} {t['name']!r}: {part!r} does not fit")
    for i, a in enumerate(targets):
        for b in targets[i + 1:]:
            apart = gap(a["seen"], b["seen"])  # a scrolled-away part cannot be tapped
            least = TILE_GAP if a["kind"] == b["kind"] == "tile" else 0
            if apart < -TOLERANCE or apart + TOLERANCE < least:
                found.append(f"{a['name']!r} and {b['name']!r} are {apart:.0f} px apart "
                             f"({'overlap' if apart < 0 else f'under {least}'})")
    found += [f"text {words!r} does not fit its box" for words in measured["words"]]
    return found


class Measurements:
    """One walk per language on an enrolled iPad, measured in each viewport on the way."""

    def __init__(self, browser, server):
        self.results, self.failures = {}, {}
        self.context = browser.new_context(viewport=IPAD, has_touch=True,
                                           base_url=server.base_url)
        self.page = self.context.new_page()
        enrol(self.page, server)

    def measure(self, found, screen):
        for name, size in VIEWPORTS.items():
            self.page.set_viewport_size(size)
            found[(name, screen)] = problems(self.page.evaluate(MEASURE))
        self.page.set_viewport_size(IPAD)

    def screen(self, lang, viewport, screen):
        if lang not in self.failures:
            found = self.results.setdefault(lang, {})
            try:
                walk_journey(self.page, lang, lambda name: self.measure(found, name))
                self.failures[lang] = None
            except Exception as exc:  # noqa: BLE001 (reported by each test it affects)
                self.failures[lang] = exc
        if (viewport, screen) in self.results[lang]:
            return self.results[lang][(viewport, screen)]
        raise AssertionError(f"the walk never reached {screen}") from self.failures[lang]


@pytest.fixture(scope="module")
def measurements(browser, server):
    measured = Measurements(browser, server)
    yield measured
    measured.context.close()


@pytest.mark.parametrize("screen", PUPIL_SCREENS)
@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_targets_are_big_apart_and_fit(measurements, lang, viewport, screen):
    found = measurements.screen(lang, viewport, screen)
    assert not found, f"{screen} ({lang}, {viewport}):\n" + "\n".join(found)
