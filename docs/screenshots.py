"""Regenerate the README screenshots: python docs/screenshots.py (needs Chromium)."""
import sys
import uuid
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import DSL_EMAIL, DSL_PASSWORD, running_server  # noqa: E402

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
OUT = Path(__file__).resolve().parent


def main():
    with running_server() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        pupil = browser.new_page(viewport={"width": 1024, "height": 768})
        pupil.goto(f"{server.base_url}/enrol?code={server.kiosk_code()}")
        pupil.get_by_role("button", name="Make this device the kiosk").click()
        for name in ("Start", "Yes", "Someone was unkind", "Something online upset me"):
            pupil.get_by_role("button", name=name, exact=True).click()
        pupil.screenshot(path=OUT / "pupil-what-happened.png")
        kiosk = server.kiosk_session()

        def send(**answers):
            kiosk.post(server.base_url + "/api/reports", timeout=10,
                       json={"client_id": str(uuid.uuid4()), "answers": answers})

        send(safe=["yes"], what=["unkind"], who=["child"], when=["today"])
        send(safe=["yes"], what=["pictures"], who=["adult"])
        staff = browser.new_page(viewport={"width": 1280, "height": 560})
        staff.goto(server.base_url + "/staff/login")
        staff.get_by_label("Email").fill(DSL_EMAIL)
        staff.get_by_label("Password").fill(DSL_PASSWORD)
        staff.get_by_role("button", name="Log in").click()
        staff.get_by_label("Code").fill(server.authenticator.code(DSL_EMAIL))
        staff.get_by_role("button", name="Continue").click()
        staff.get_by_role("status").filter(has_text="Live").wait_for()
        send(safe=["no"])
        staff.locator("#rows tr").nth(2).wait_for()
        staff.screenshot(path=OUT / "dashboard.png")
        browser.close()


if __name__ == "__main__":
    main()
