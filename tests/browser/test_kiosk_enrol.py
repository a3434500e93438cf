"""A device becomes a kiosk through its enrolment link; staff pause it with the staff PIN."""
import re

import pytest
from playwright.sync_api import expect

from bench._server import flask_command

PIN = "246810"


@pytest.fixture
def device(browser, server):
    """An iPad that is not a kiosk yet."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True,
                                  base_url=server.base_url)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def staff_pin(server):
    flask_command(server.instance_path, "set-staff-pin", "--pin-stdin", stdin=PIN + "\n")


def open_pin_pad(kiosk):
    kiosk.get_by_role("button", name="Staff").click()
    pad = kiosk.get_by_role("dialog", name="Staff PIN")
    expect(pad).to_be_visible()
    return pad


def type_pin(pad, pin):
    for digit in pin:
        pad.get_by_role("button", name=digit, exact=True).click()
    pad.get_by_role("button", name="OK").click()


def test_a_device_is_enrolled_by_opening_its_link_and_confirming(device, server):
    device.goto("/kiosk")
    expect(device.get_by_role("heading", level=1)).to_have_text(
        "This device is not set up as a kiosk yet. Please ask an adult.")
    printed = flask_command(server.instance_path, "create-kiosk", "Class 4 iPad",
                            "--place", "Class 4")
    link = re.search(r"^Link: http://[^/]+(/enrol\?code=\S+)$", printed, re.MULTILINE).group(1)
    device.goto(link)
    expect(device.get_by_role("heading", level=1)).to_have_text(
        "Make this device the kiosk 'Class 4 iPad' (Class 4)?")
    device.get_by_role("button", name="Make this device the kiosk").click()
    expect(device.get_by_role("button", name="Start")).to_be_visible()
    device.reload()  # the device stays a kiosk
    expect(device.get_by_role("button", name="Start")).to_be_visible()


def test_a_used_link_is_explained(device, server):
    code = server.kiosk_code()
    device.goto(f"/enrol?code={code}")
    device.get_by_role("button", name="Make this device the kiosk").click()
    device.goto(f"/enrol?code={code}")
    expect(device.get_by_role("alert")).to_contain_text("That code has already been used.")


def test_staff_pause_the_kiosk_with_the_pin_and_leave_for_the_staff_login(kiosk, staff_pin):
    pad = open_pin_pad(kiosk)
    pad.get_by_role("button", name="1", exact=True).click()
    pad.get_by_role("button", name="2", exact=True).click()
    expect(kiosk.locator("#pin-dots")).to_have_text("\u25cf\u25cf")
    pad.get_by_role("button", name="Clear").click()
    type_pin(pad, "111111")
    expect(pad.get_by_role("alert")).to_have_text("That PIN is not right. 4 tries left.")
    type_pin(pad, PIN)
    expect(kiosk.get_by_role("heading", level=1)).to_have_text(
        re.compile(r"^Kiosk paused: Kiosk \d+ \(Bench room\)$"))
    kiosk.get_by_role("button", name="Leave kiosk mode").click()
    expect(kiosk.get_by_role("heading", level=1)).to_have_text("Staff log in")
    kiosk.goto("/kiosk")  # still enrolled: the kiosk comes back
    expect(kiosk.get_by_role("button", name="Start")).to_be_visible()


def test_back_to_the_kiosk_from_the_pause(kiosk, staff_pin):
    type_pin(open_pin_pad(kiosk), PIN)
    kiosk.get_by_role("link", name="Back to the kiosk").click()
    expect(kiosk.get_by_role("button", name="Start")).to_be_visible()


def test_cancel_and_hide_close_the_pin_pad(kiosk):
    pad = open_pin_pad(kiosk)
    pad.get_by_role("button", name="Cancel").click()
    expect(pad).to_be_hidden()
    open_pin_pad(kiosk)
    kiosk.get_by_role("button", name="Hide").click()  # the pupil's quick exit still works
    expect(pad).to_be_hidden()
    expect(kiosk.get_by_role("button", name="Touch to start")).to_be_visible()


def test_the_idle_reset_closes_the_pin_pad(kiosk):
    kiosk.clock.install()
    kiosk.reload()
    pad = open_pin_pad(kiosk)
    kiosk.clock.run_for(121_000)  # past KIOSK_IDLE_SECONDS with nobody touching it
    expect(pad).to_be_hidden()
