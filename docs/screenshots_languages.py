"""Regenerate the pupil screenshots in each language and in high contrast:
python docs/screenshots_languages.py (needs Chromium). iPad landscape; the first page
and "What happened?" (two tiles chosen) for each, into docs/screenshots/."""
import sys
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import flask_command, running_server  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
LANGUAGES = ["en"] + sorted(p.stem for p in (ROOT / "content" / "translations").glob("*.toml"))
PIN = "24681357"  # set only in the throw-away instance folder running_server makes


def button(page, name):
    return page.locator("#main").get_by_role("button", name=name, exact=True)


def shoot(page, lang, name):
    """The first page in `lang`, chosen with the Language option; then "What happened?"."""
    page.goto("/kiosk")
    first = page.evaluate("JSON.parse(document.getElementById('journey').textContent)")
    words = page.request.get(f"/api/kiosk/journey?lang={lang}").json()
    pages = {p: {t["id"]: t["label"] for t in words["pages"][p]["tiles"]}
             for p in ("hello", "safe", "what")}
    button(page, first["controls"]["language"]["text"]).click()
    button(page, next(t["label"] for t in words["pages"]["_language"]["tiles"] if t["id"] == lang)).click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(words["pages"]["hello"]["prompt"]["text"])
    page.screenshot(path=OUT / f"{name}.png")
    button(page, pages["hello"]["start"]).click()
    button(page, pages["safe"]["yes"]).click()
    expect(heading).to_have_text(words["pages"]["what"]["prompt"]["text"])
    for tile in ("unkind", "online"):
        button(page, pages["what"][tile]).click()
        expect(button(page, pages["what"][tile])).to_have_attribute("aria-pressed", "true")
    page.screenshot(path=OUT / f"{name}-what.png")


def high_contrast(page):
    """The kiosk's own settings page, reached with the staff PIN: yellow on black."""
    page.goto("/kiosk")
    page.get_by_role("button", name="Staff").click()
    pad = page.locator("#pin-dialog")
    for key in [*PIN, "OK"]:
        pad.get_by_role("button", name=key, exact=True).click()
    page.get_by_role("link", name="Settings for this kiosk").click()
    page.get_by_label("Colours").select_option("high-contrast")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Saved")


def main():
    OUT.mkdir(exist_ok=True)
    with running_server(with_dsl=False) as server, sync_playwright() as playwright:
        flask_command(server.instance_path, "set-staff-pin", "--pin-stdin", stdin=PIN + "\n")
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1024, "height": 768},
                                base_url=server.base_url)
        page.goto(f"/enrol?code={server.kiosk_code()}")
        page.get_by_role("button", name="Make this device the kiosk").click()
        for lang in LANGUAGES:
            shoot(page, lang, f"pupil-{lang}")
        high_contrast(page)
        shoot(page, "en", "pupil-high-contrast")
        browser.close()


if __name__ == "__main__":
    main()
