"""Browser tests: the real server as a subprocess, driven by real headless Chromium."""
import pytest
from playwright.sync_api import sync_playwright

from bench._server import DSL_EMAIL, DSL_PASSWORD, running_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
IPAD = {"width": 1024, "height": 768}


@pytest.fixture(scope="module")
def server():
    with running_server() as running:
        yield running


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright):
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


def enrol(page, server):
    """Make the page's browser context a kiosk: a fresh CLI code, the link, then confirm."""
    page.goto(f"/enrol?code={server.kiosk_code()}")
    page.get_by_role("button", name="Make this device the kiosk").click()
    page.wait_for_url("**/kiosk")


def type_staff_pin(page, pin):
    """Open the kiosk's staff PIN pad and type the PIN on its keys, then OK."""
    page.get_by_role("button", name="Staff").click()
    pad = page.get_by_role("dialog", name="Staff PIN")
    for digit in pin:
        pad.get_by_role("button", name=digit, exact=True).click()
    pad.get_by_role("button", name="OK").click()


@pytest.fixture
def enrol_page(server):
    """Enrols a page made by the test itself as a new kiosk, leaving it on /kiosk."""
    return lambda page: enrol(page, server)


@pytest.fixture
def kiosk(browser, server):
    """A pupil at an iPad-sized kiosk, enrolled, in a context of its own."""
    context = browser.new_context(viewport=IPAD, has_touch=True, base_url=server.base_url)
    page = context.new_page()
    enrol(page, server)
    yield page
    context.close()


def staff_login(browser, server, email=DSL_EMAIL, password=DSL_PASSWORD):
    """A member of staff logged in on a browser context of their own, as they would:
    email and password, then the code their authenticator app shows."""
    context = browser.new_context(viewport={"width": 1280, "height": 800},
                                  base_url=server.base_url)
    page = context.new_page()
    page.goto("/staff/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    if email in server.authenticator.keys:  # roles that read reports have an app key
        page.get_by_label("Code").fill(server.authenticator.code(email))
        page.get_by_role("button", name="Continue").click()
    return page


def open_dashboard(browser, server):
    """A DSL logged in on a second browser context, with the live dashboard open."""
    page = staff_login(browser, server)
    page.get_by_role("status").filter(has_text="Live").wait_for()
    return page


@pytest.fixture
def dashboard(browser, server):
    page = open_dashboard(browser, server)
    yield page
    page.context.close()


@pytest.fixture
def another_dashboard(browser, server):
    """Opens a dashboard on demand, e.g. after a report was sent."""
    pages = []
    yield lambda: pages.append(open_dashboard(browser, server)) or pages[-1]
    for page in pages:
        page.context.close()


@pytest.fixture
def launch_kiosk(playwright, server):
    """Opens a kiosk in a Chromium of its own, started with extra flags (a fake microphone)."""
    started = []

    def launch(extra_args):
        chromium = playwright.chromium.launch(executable_path=CHROMIUM,
                                              args=CHROMIUM_ARGS + extra_args)
        started.append(chromium)
        context = chromium.new_context(viewport=IPAD, has_touch=True, base_url=server.base_url)
        page = context.new_page()
        enrol(page, server)
        return page

    yield launch
    for chromium in started:
        chromium.close()
