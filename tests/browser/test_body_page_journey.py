""""Show me where": a pupil hurt by someone taps places on the body picture, front and
back, hears each named, sees them on the review and sends; the DSL sees the marked
picture on the case. Screenshots go to KIOSK_SCREENSHOTS when it is set."""
import json
import re
import os
from pathlib import Path

from playwright.sync_api import expect

from conftest import IPAD, enrol, staff_login
from test_access import (STEP_MS, Switch, scan_to, set_kiosk, staff_pin,  # noqa: F401
                         state_of, switch_kiosk)

# Every recording the kiosk starts, by its path, so a test knows what was said.
HEARD = """(() => {
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    window.played = window.played || [];
    window.played.push(new URL(this.src, location.href).pathname);
    return play.call(this);
  };
})();"""
PORTRAIT = {"width": 768, "height": 1024}


def tap(page, name):
    page.get_by_role("button", name=name, exact=True).click()


def heading(page, text):
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def heard(page, audio):
    """The place's name was spoken: its recording was started by the tap."""
    assert audio in page.evaluate("window.played || []"), audio


def places_fit(page):
    """Each place button's size and whether it ends above the footer, as measured."""
    return page.evaluate("""() => {
      const footer = document.querySelector("footer").getBoundingClientRect().top;
      return [...document.querySelectorAll("#main .place")].map((b) => {
        const r = b.getBoundingClientRect();
        return {name: b.getAttribute("aria-label"), width: r.width, height: r.height,
                above: r.bottom <= footer + 1};
      });
    }""")


def check_layout(page, size, name):
    page.set_viewport_size(size)
    folder = os.environ.get("KIOSK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"body-page-{name}.png")
    for place in places_fit(page):
        assert place["width"] >= 60 and place["height"] >= 60, (name, place)
        assert place["above"], (name, place)
    chosen = page.locator(".body-chosen").bounding_box()
    footer = page.locator("footer").bounding_box()
    assert chosen["y"] + chosen["height"] <= footer["y"] + 1, name
    page.set_viewport_size(IPAD)


def test_a_pupil_shows_where_and_the_dsl_sees_the_marked_picture(browser, server):
    context = browser.new_context(viewport=IPAD, has_touch=True, base_url=server.base_url)
    context.add_init_script(HEARD)
    kiosk = context.new_page()
    enrol(kiosk, server)
    data = json.loads(kiosk.locator("#journey").text_content())
    audio = {p["id"]: p["audio"] for p in data["pages"]["body"]["places"]}

    tap(kiosk, "Start")
    tap(kiosk, "Yes")
    tap(kiosk, "Someone hurt me or touched me")
    tap(kiosk, "Next")
    heading(kiosk, "Is it something else?")
    tap(kiosk, "Next")
    heading(kiosk, "Show me where.")
    front = kiosk.get_by_role("group", name="Front")
    back = kiosk.get_by_role("group", name="Back")
    front.get_by_role("button", name="Arm").first.click()
    heard(kiosk, audio["arm"])
    back.get_by_role("button", name="Bottom").click()
    heard(kiosk, audio["bottom"])
    front.get_by_role("button", name="Private parts (vulva or penis)").click()
    heard(kiosk, audio["private_parts"])
    # An arm is one place: every arm is marked, front and back, and ticked.
    for arm in kiosk.locator('#main .place[data-place="arm"]').all():
        expect(arm).to_have_attribute("aria-pressed", "true")
    expect(kiosk.locator(".place-shape.marked")).to_have_count(6)
    # A second tap takes a place off again.
    front.get_by_role("button", name="Private parts (vulva or penis)").click()
    expect(kiosk.locator('.place[data-place="private_parts"]')).to_have_attribute(
        "aria-pressed", "false")
    front.get_by_role("button", name="Private parts (vulva or penis)").click()
    expect(kiosk.locator(".body-chosen li")).to_have_text(
        ["Arm", "Private parts (vulva or penis)", "Bottom"])
    check_layout(kiosk, IPAD, "landscape")
    check_layout(kiosk, PORTRAIT, "portrait")

    tap(kiosk, "Next")
    heading(kiosk, "Where did it happen?")
    tap(kiosk, "At home")
    tap(kiosk, "Next")
    heading(kiosk, "When did it happen?")
    tap(kiosk, "Today")
    tap(kiosk, "A child")
    tap(kiosk, "Next")
    tap(kiosk, "Scared")
    tap(kiosk, "No, skip")
    tap(kiosk, "No")
    heading(kiosk, "Is this right?")
    row = kiosk.locator(".review-row").filter(has_text="Show me where.")
    expect(row.locator(".chip")).to_have_text(["Arm", "Private parts (vulva or penis)", "Bottom"])
    with kiosk.expect_response(lambda r: r.url.endswith("/api/reports")) as sent:
        tap(kiosk, "Send")
    assert sent.value.status == 201
    answers = json.loads(sent.value.request.post_data)["answers"]
    assert answers["body"] == ["arm", "bottom", "private_parts"]

    dsl = staff_login(browser, server)
    dsl.goto("/staff/")
    # The case from its dashboard row: the row's link once the dashboard has filled it
    # in (a live update may redraw the row as it is clicked, so its address is followed).
    link = dsl.get_by_role("row").filter(has_text="Someone hurt me or touched me").get_by_role(
        "link").first
    expect(link).to_have_attribute("href", re.compile(r"/staff/reports/\d+$"))
    dsl.goto(link.get_attribute("href"))
    panel = dsl.get_by_role("region", name="Where the pupil showed on the body picture")
    expect(panel).to_contain_text("Arm; Bottom; Private parts (vulva or penis)")
    expect(panel.get_by_role("img", name="Body map, front: Arm, Arm, Private parts (vulva or "
                                          "penis)")).to_be_visible()
    expect(panel.get_by_role("img", name="Body map, back: Arm, Arm, Bottom")).to_be_visible()
    expect(panel.locator("g.region.marked")).to_have_count(6)
    folder = os.environ.get("KIOSK_SCREENSHOTS")
    if folder:
        panel.screenshot(path=Path(folder) / "body-page-case.png")
    dsl.context.close()
    context.close()


# ---- a switch and a resting gaze reach every place as they reach tiles ----

def test_places_are_chosen_by_one_switch_and_by_dwell(set_kiosk, switch_kiosk):
    page, switch = switch_kiosk, Switch(switch_kiosk)
    for selector, then in [('[data-tile="start"]', "safe"), ('[data-tile="yes"]', "what"),
                           ('[data-tile="hurt"]', "what"), ("#forward", "what_more"),
                           ("#forward", "body"), ('[data-tile="bottom"]', "body")]:
        scan_to(page, switch, selector)
        expect(page.locator("body")).to_have_attribute("data-page", then)
    expect(page.locator('.place[data-place="bottom"]')).to_have_attribute("aria-pressed", "true")
    scan_to_place(page, switch, "foot")
    expect(page.locator('.place[data-place="foot"][aria-pressed="true"]')).to_have_count(4)
    scan_to(page, switch, "#forward")
    expect(page.locator("body")).to_have_attribute("data-page", "where")

    gaze = set_kiosk("Eye gaze or head pointer", **{"Dwell time": 1000})
    for tile, then in [("start", "safe"), ("yes", "what"), ("hurt", "what")]:
        look_at(gaze, f'#main [data-tile="{tile}"]', then)
    for control in ("what_more", "body"):
        look_at(gaze, "#forward", control)
    back_hand = gaze.locator('[data-side="back"] .place[data-place="hand"]').first
    look_at(gaze, back_hand, "body")
    expect(back_hand).to_have_attribute("aria-pressed", "true")


ECHOED = """([place, state]) => [...document.querySelectorAll(
  `#main .place[data-place="${place}"]:not([data-tile])`)]
  .map((b) => b.classList.contains(`scan-${state}-also`))"""


def scan_to_place(page, switch, place):
    """As scan_to, seeing on the way that each highlight of the place (its row, then the
    place) rings every shape of it, front and back: all four feet, not one."""
    first = f'[data-tile="{place}"]'
    for _ in range(24):
        state = state_of(page, first)
        if state in ("focus", "group"):
            echoed = page.evaluate(ECHOED, [place, state])
            assert echoed and all(echoed), (place, state, echoed)
            if state == "focus" and os.environ.get("KIOSK_SCREENSHOTS"):
                page.screenshot(path=Path(os.environ["KIOSK_SCREENSHOTS"])
                                / f"body-page-scan-{place}.png")
            switch.press()
            if state == "focus":
                return
            continue
        page.clock.run_for(STEP_MS // 2)
    raise AssertionError(f"{place} was never highlighted")


def look_at(page, target, then):
    """Rest the pointer on a button for the dwell time (after looking away)."""
    page.mouse.move(2, 300)
    found = page.locator(target) if isinstance(target, str) else target
    box = found.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=3)
    page.clock.run_for(1100)
    expect(page.locator("body")).to_have_attribute("data-page", then)
