"""Helpers for the WebKit tests: a WebKitGTK session, finding things by their words, the
kiosk's own steps (enrol, staff PIN), and the server on this machine's network address."""
import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from selenium import webdriver
from selenium.common.exceptions import ElementClickInterceptedException
from selenium.webdriver.common.by import By
from selenium.webdriver.webkitgtk.service import Service

from bench import _server

DRIVER = "WebKitWebDriver"  # Debian's webkit2gtk-driver
DISPLAY_SERVER = "Xvfb"     # Debian's xvfb
IPAD = (1024, 768)          # the page's own size, as on an iPad held landscape
WAIT = 10
THANKS = "Thank you for telling. It is not your fault."


def webkit_session(display, base_url, log_path):
    """A fresh WebKitGTK browser (MiniBrowser, started by the driver) sized as an iPad."""
    service = Service(shutil.which(DRIVER), log_output=str(log_path),
                      env=dict(os.environ, DISPLAY=display))
    with warnings.catch_warnings():
        # Selenium's own WebKitGTK class still uses a setting it has deprecated itself.
        warnings.simplefilter("ignore", DeprecationWarning)
        driver = webdriver.WebKitGTK(options=webdriver.WebKitGTKOptions(), service=service)
    driver.base_url = base_url
    # The window holds a little chrome: size it so the page itself is iPad-sized.
    driver.set_window_size(*IPAD)
    inner = driver.execute_script("return [innerWidth, innerHeight]")
    driver.set_window_size(2 * IPAD[0] - inner[0], 2 * IPAD[1] - inner[1])
    return driver


# ---- finding and using things as a person would: by their words ----------------------

def wait_until(test, what, seconds=WAIT):
    """Poll until test() is truthy (returned); fail saying what was awaited."""
    end = time.monotonic() + seconds
    while True:
        value = test()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.05)


VISIBLE_BUTTON = """
const [name, within] = arguments;
const root = within ? document.querySelector(within) : document;
return [...root.querySelectorAll("button, a, [role=button]")].find((el) => {
  const words = (el.getAttribute("aria-label") || el.textContent).replace(/\\s+/g, " ").trim();
  const box = el.getBoundingClientRect();
  return words === name && box.width > 0 && box.height > 0 && !el.closest("[hidden]");
}) || null;"""


def button(driver, name, within=None):
    """The visible button or link whose words are `name`, waited for."""
    return wait_until(lambda: driver.execute_script(VISIBLE_BUTTON, name, within),
                      f"a button named {name!r}")


ON_TOP = """const box = arguments[0].getBoundingClientRect();
const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
return top ? top.outerHTML.slice(0, 200) : null;"""


def click(driver, element, seconds=WAIT):
    """Click as a person would once the element can take it: like Playwright, wait while
    something else (a dialog closing, a page still laying out) is over it."""
    end = time.monotonic() + seconds
    while True:
        try:
            return element.click()
        except ElementClickInterceptedException:
            if time.monotonic() > end:
                raise AssertionError(f"for {seconds} s something was over the element: "
                                     f"{driver.execute_script(ON_TOP, element)}") from None
            time.sleep(0.1)


def tap(driver, name, within=None):
    click(driver, button(driver, name, within))


def labelled(driver, words):
    """The form field a <label> starting with `words` is for."""
    label = driver.find_element(By.XPATH, f"//label[starts-with(normalize-space(.), {words!r})]")
    return driver.find_element(By.ID, label.get_attribute("for"))


def text_of(driver, selector):
    return driver.execute_script(
        "const el = document.querySelector(arguments[0]); return el ? el.textContent : null;",
        selector)


def on_page(driver, page_id):
    """Waits until the kiosk shows one journey page (its id, as body[data-page])."""
    def shown():
        return driver.execute_script("return document.body.dataset.page")
    try:
        wait_until(lambda: shown() == page_id, f"the kiosk page {page_id!r}")
    except AssertionError as missed:
        raise AssertionError(f"{missed}; it shows {shown()!r}") from None


def heading(driver, words):
    wait_until(lambda: (text_of(driver, "h1") or "").strip() == words, f"the heading {words!r}")


def shoot(driver, name):
    """Screenshots only when asked for: into the folder KIOSK_SCREENSHOTS names."""
    folder = os.environ.get("KIOSK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"webkit-{name}.png"))


def stored_answers(server):
    """{page: [tile, ...]} of every report the server stored, newest last."""
    with contextlib.closing(sqlite3.connect(Path(server.instance_path) / "kiosk.sqlite3")) as db:
        rows = db.execute("SELECT choices FROM reports ORDER BY id").fetchall()
    reports = []
    for (choices,) in rows:
        answers = {}
        for choice in json.loads(choices):
            answers.setdefault(choice["page"], []).append(choice["tile"])
        reports.append(answers)
    return reports


def enrol(driver, server):
    """Make this browser a kiosk: a fresh code from the CLI, the link, then confirm."""
    driver.get(f"{driver.base_url}/enrol?code={server.kiosk_code()}")
    tap(driver, "Make this device the kiosk")
    wait_until(lambda: driver.current_url.endswith("/kiosk"), "the kiosk page after enrolling")
    on_page(driver, "hello")


def type_staff_pin(driver, pin):
    """Open the kiosk's staff PIN pad and type the PIN on its keys, then OK."""
    tap(driver, "Staff")
    for digit in pin:
        tap(driver, digit, within="#pin-dialog")
    tap(driver, "OK", within="#pin-dialog")


# ---- a server on this machine's network address, as a school LAN's ------------------

def lan_address():
    """This machine's own IPv4 address on its network (not loopback)."""
    try:
        said = subprocess.run(["hostname", "-I"], capture_output=True, text=True,
                              timeout=10).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        said = []
    for address in said:
        if "." in address and not address.startswith("127."):
            return address
    # No hostname -I: the address a packet out would leave from (nothing is sent).
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        with contextlib.suppress(OSError):
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
            if not address.startswith("127."):
                return address
    return None


@contextlib.contextmanager
def lan_server(address):
    """The real server listening on `address` (not loopback), as run.py is on a school's
    machine: the same set-up as running_server, which listens on loopback only."""
    with tempfile.TemporaryDirectory(prefix="kiosk-webkit-") as instance_path:
        shared = os.environ.get(_server.SHARED_SPEECH_CACHE)
        if shared:  # each phrase rendered once a run, as for the other servers
            _server.write_config(instance_path, {"SPEECH_CACHE": shared})
        authenticator = _server.Authenticator()
        authenticator.add(_server.DSL_EMAIL, _server.create_dsl(instance_path))
        with socket.socket() as probe:
            probe.bind((address, 0))
            port = probe.getsockname()[1]
        log_path = Path(instance_path) / "server.log"
        server = _server.Server(f"http://{address}:{port}", instance_path, authenticator)
        server.port, server.log_path = port, log_path
        with open(log_path, "a") as log:
            server.process = subprocess.Popen(
                [sys.executable, "run.py", "--host", address, "--port", str(port),
                 "--no-prerender"], cwd=_server.ROOT, env=_server.instance_env(instance_path),
                stdout=log, stderr=subprocess.STDOUT)
        try:
            _server.wait_ready(server.base_url, server.process, log_path)
            yield server
        finally:
            _server.stop(server.process)
