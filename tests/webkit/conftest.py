"""WebKit tests: the real server as a subprocess, driven in WebKitGTK (the engine of iPad
Safari) through its WebDriver, WebKitWebDriver, on a virtual X display of our own.

A developer machine without the driver skips these tests and says why; CI (CI=true) must
have it, so there a missing driver fails instead of passing quietly.
"""
import os
import shutil
import subprocess

import pytest

from bench._server import running_server
from webkit_kiosk import DISPLAY_SERVER, DRIVER, enrol, webkit_session


@pytest.fixture(scope="session", autouse=True)
def _webkit_installed():
    """Skip on a developer machine without the driver; fail in CI, which must have it."""
    missing = [name for name in (DRIVER, DISPLAY_SERVER) if not shutil.which(name)]
    if not missing:
        return
    why = (f"{' and '.join(missing)} not installed: ./setup.sh --test installs "
           "webkit2gtk-driver and xvfb")
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the WebKit tests, but {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def display():
    """A virtual X display for the browser's window; its number chosen by Xvfb itself."""
    read, write = os.pipe()
    xvfb = subprocess.Popen([DISPLAY_SERVER, "-displayfd", str(write), "-screen", "0",
                             "1280x1024x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    number = b""
    with os.fdopen(read, "rb") as said:
        while not number.endswith(b"\n"):
            chunk = said.read(1)
            if not chunk:
                raise RuntimeError(f"Xvfb exited with {xvfb.wait()} before it was ready")
            number += chunk
    yield ":" + number.decode().strip()
    xvfb.terminate()
    xvfb.wait(timeout=10)


@pytest.fixture(scope="module")
def server():
    with running_server() as running:
        yield running


@pytest.fixture
def webkit(display, server, tmp_path):
    """A WebKit browser for one test, on the module's server; closed after."""
    driver = webkit_session(display, server.base_url, tmp_path / "webkitdriver.log")
    yield driver
    driver.quit()


@pytest.fixture
def kiosk(webkit, server):
    """A pupil at an iPad-sized kiosk in WebKit, enrolled, on the first page."""
    enrol(webkit, server)
    return webkit
