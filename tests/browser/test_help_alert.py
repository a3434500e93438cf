""""Get an adult" in real Chromium against the real server: kept for a dashboard opened later,
"I'm going" there reaches the kiosk, and when nobody goes it escalates and emails.

The server runs with a real local SMTP server (aiosmtpd, in this process) in its
instance/config.py, a help escalation time of 3 seconds and a ladder checked twice a
second, so the whole ladder is seen in a few seconds instead of minutes. Each test takes
under 10 s; starting the server and making its accounts and kiosks with the command line
(once for the module) takes most of the minute the file needs on a busy machine.
"""
import re
import sys
import tempfile
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench._server import login, running_server
from conftest import open_dashboard

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from smtp_inbox import running_inbox, smtp  # noqa: E402

DEPUTY = "deputy@bench.example"
HELP_SECONDS = 3
SHOTS = Path(tempfile.gettempdir()) / "kiosk-screenshots"  # to be looked at


@pytest.fixture(scope="module")
def inbox():
    with running_inbox() as box:
        yield box


@pytest.fixture(scope="module")
def server(inbox):
    """The real server, with email through the test's SMTP server and a quick ladder."""
    config = {"SMTP": smtp(inbox.port), "BASE_URL": "http://kiosk.school.example",
              "SCHOOL_NAME": "Bench Primary", "HELP_ESCALATE_MINUTES": HELP_SECONDS / 60,
              "ESCALATION_CHECK_SECONDS": 0.5, "EMAIL_CHECK_SECONDS": 1}
    with running_server(config=config) as running:
        running.add_user(DEPUTY, "deputy")
        yield running


def press_get_an_adult(kiosk):
    """The pupil presses "Get an adult"; the help request's id, from the server's answer."""
    with kiosk.expect_response("**/api/help") as answer:
        kiosk.get_by_role("button", name="Get an adult").click()
    assert answer.value.status == 201, answer.value.text()
    return answer.value.json()["help_id"]


def kiosk_name(kiosk):
    """The enrolled kiosk's name, as the server knows it (bench kiosks are "Kiosk N")."""
    return f"Kiosk {kiosk.context.kiosk_number}"


@pytest.fixture
def pupil(kiosk, server):
    kiosk.context.kiosk_number = server.kiosks  # the kiosk fixture enrolled the latest one
    return kiosk


def about(messages, name):
    """Messages whose subject names this kiosk (other tests' kiosks have other names)."""
    return [(tos, m) for tos, m in messages if m["Subject"].endswith(f" {name}")]


def escalated(messages, name):
    return [(tos, m) for tos, m in about(messages, name) if "nobody is going yet" in m["Subject"]]


def test_pressed_with_no_dashboard_open_then_acknowledged_on_one_opened_later(
        browser, server, pupil, inbox):
    help_id = press_get_an_adult(pupil)
    name = kiosk_name(pupil)
    dashboard = open_dashboard(browser, server)  # opened after the press
    try:
        panel = dashboard.get_by_role("region", name="Get an adult")
        alert = panel.get_by_role("listitem").filter(has_text=f"pressed at {name} (Bench room)")
        expect(alert).to_be_visible()
        dashboard.screenshot(path=f"{SHOTS}/help-waiting.png")
        alert.get_by_role("button", name="I'm going").click()
        expect(alert).to_contain_text("is going")
        dashboard.screenshot(path=f"{SHOTS}/help-acknowledged.png")
    finally:
        dashboard.context.close()
    answer = pupil.request.get(f"/api/help/{help_id}")
    assert answer.json() == {"status": "acknowledged"}
    expect(pupil.get_by_text("An adult is coming", exact=False)).to_be_visible()


def test_not_acknowledged_it_escalates_and_emails(browser, server, pupil, inbox):
    started = time.monotonic()
    help_id = press_get_an_adult(pupil)
    name = kiosk_name(pupil)
    # At once: the DSL team (the DSL and the deputy) by email, where to go in the subject.
    assert inbox.wait_until(lambda messages: len(about(messages, name)) >= 2, 10)
    arrival = time.monotonic() - started
    assert sorted(to for tos, _ in about(inbox.messages, name) for to in tos) == sorted(
        ["dsl@bench.example", DEPUTY])
    assert arrival < 2, f"the first email took {arrival:.2f} s"
    # After HELP_ESCALATE_MINUTES with nobody going: the deputy, as step 1 of the ladder.
    assert inbox.wait_until(lambda messages: escalated(messages, name), 20)
    (tos, step), = escalated(inbox.messages, name)
    assert tos == [DEPUTY]
    assert "You are receiving this as Deputy DSL: step 1" in step.get_content()
    assert f"Where: {name} (Bench room)" in step.get_content()

    session = login(server)
    feed = session.get(f"{server.base_url}/staff/api/notifications?since=0", timeout=10).json()
    steps = [n["payload"] for n in feed["notifications"] if n["kind"] == "help.escalated"
             and n["payload"]["help_id"] == help_id]
    assert [(s["to"], s["told"], s["nobody"]) for s in steps][0] == ("deputy", [DEPUTY], False)

    dashboard = open_dashboard(browser, server)
    try:
        alert = dashboard.get_by_role("region", name="Get an adult").get_by_role(
            "listitem").filter(has_text=f"pressed at {name}")
        expect(alert).to_contain_text(re.compile("Deputy DSL told at"))
        dashboard.screenshot(path=f"{SHOTS}/help-escalated.png")
    finally:
        dashboard.context.close()
