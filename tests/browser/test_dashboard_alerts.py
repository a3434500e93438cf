"""The dashboard in real Chromium against the real server: it never goes blind.

- A dashboard whose login went idle turns into the alert screen by itself and still
  alerts, audibly and visibly, within 2 s of an urgent report. Headless Chromium has no
  speaker, so "audibly" is recorded by an init script that counts the oscillator notes
  the page starts while its AudioContext is running (what a speaker would have played).
  Headless Chromium also plays Web Audio without any tap, where a desktop browser holds
  it back until the page has been tapped; the same init script puts that rule back (an
  AudioContext starts suspended unless the page was reached by tapping, and resumes
  only inside a tap), so "Tap anywhere to turn sound on" is tested where a school PC
  needs it: an alert screen opened again after the browser restarted.
- A dashboard offline while 2,000 reports arrive shows every one once it is back.
- The rows say where, who logged it, who owns it and when it is overdue; "Get an adult"
  is answered with "I'm going"; closed cases move to the Closed view.
Screenshots of each state go to kiosk-screenshots in the system's temporary folder, at
1280x800 and at a phone's 390x844, to be looked at.
"""
import re
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from playwright.sync_api import expect

from bench._server import DSL_EMAIL, DSL_PASSWORD, running_server
from kiosk import create_app
from kiosk.db import get_db, writing
from kiosk.safeguarding.reports import Sender, parse_submission, store_report
from kiosk.services import services
from test_accessibility import axe_violations, describe

SHOTS = Path(tempfile.gettempdir()) / "kiosk-screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
IDLE_MINUTES = 0.1  # a 6-second idle expiry, so the test sees it without waiting 30 minutes
WORDS = "he told me not to tell anyone about the photos"
# A desktop browser's autoplay rule, which headless Chromium does not apply, and a count
# of each note the page starts while its AudioContext may really play it.
DESKTOP_AUDIO = """
const Real = window.AudioContext;
window.AudioContext = class extends Real {
  constructor(...args) {
    super(...args);
    if (!navigator.userActivation.hasBeenActive) super.suspend();
  }
  resume() {
    return navigator.userActivation.isActive ? super.resume() : Promise.resolve();
  }
};
window.notesPlayed = 0;
const make = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  const oscillator = make.call(this), context = this, start = oscillator.start;
  oscillator.start = function (...args) {
    if (context.state === "running") window.notesPlayed += 1;
    return start.apply(this, args);
  };
  return oscillator;
};
"""


def shoot(page, name):
    """A screenshot at desktop and at phone width; the page is left at desktop width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=SHOTS / f"{name}-phone.png", full_page=True)
    page.set_viewport_size(DESKTOP)


def assert_accessible(page, where):
    violations = axe_violations(page)
    assert not violations, f"WCAG 2.2 AA violations on {where}:\n{describe(violations)}"


def send(session, server, answers, words=""):
    reply = session.post(server.base_url + "/api/reports", timeout=10, json={
        "client_id": str(uuid.uuid4()), "answers": answers, "words": words})
    assert reply.status_code == 201, reply.text
    return reply


def store_on_the_server(server, count, answers, kiosk_name, monkeypatch):
    """`count` reports stored with the project's own store_report straight into the
    server's database, in one transaction: the same rows and notifications a kiosk's
    send makes, but fast (2,000 sends over HTTP would take most of a minute)."""
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", server.instance_path)
    app = create_app()
    with app.app_context():
        db, svc = get_db(), services()
        kiosk = next(db.query("SELECT * FROM kiosks WHERE name = ?", [kiosk_name]))
        now = datetime.now(timezone.utc)
        with writing(db):
            for _ in range(count):
                submission = parse_submission({"client_id": str(uuid.uuid4()),
                                               "answers": answers}, svc.content)
                store_report(db, svc.reporting, submission, now, Sender(kiosk=kiosk))


# --- an idle-expired dashboard still alerts ------------------------------------------

@pytest.fixture(scope="module")
def quick_idle_server():
    with running_server(config={"STAFF_IDLE_MINUTES": IDLE_MINUTES}) as running:
        yield running


def test_an_idle_expired_dashboard_still_alerts_audibly_and_visibly_within_2_s(
        browser, quick_idle_server):
    server = quick_idle_server
    kiosk = server.kiosk_session()
    send(kiosk, server, {"safe": ["yes"], "what": ["online"]}, "they keep messaging me")
    context = browser.new_context(viewport=DESKTOP, base_url=server.base_url)
    context.add_init_script(DESKTOP_AUDIO)
    page = staff_login_on(context.new_page(), server)
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Something online upset me")).to_be_visible()
    # Logging in was tapping on this site, so the browser lets the page sound at once.
    expect(page.get_by_role("button", name="Sound is on")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name=re.compile("Tap anywhere"))).to_be_hidden()

    # Nobody touches it: the login ends and the page becomes the alert screen by itself.
    expect(page.get_by_role("heading", name="Still alerting: log in to read")).to_be_visible(
        timeout=20_000)
    expect(page.get_by_role("status").filter(has_text="Live: alerts only")).to_be_visible()
    assert page.url.endswith("/staff/alerts")
    # What the page showed before is gone from it, data and all.
    assert "Something online upset me" not in page.content()
    assert page.evaluate("document.querySelectorAll('#rows, #dashboard-config').length") == 0
    notes_before = page.evaluate("window.notesPlayed")

    started = time.monotonic()
    send(kiosk, server, {"safe": ["no"], "what": ["pictures"]}, WORDS)
    alert = page.get_by_role("listitem").filter(has_text="URGENT report from Kiosk 1 at")
    expect(alert).to_be_visible(timeout=2_000)
    page.wait_for_function(f"window.notesPlayed > {notes_before}", timeout=2_000)
    took = time.monotonic() - started
    assert took < 2, f"the alert took {took:.2f} s"
    assert WORDS not in page.content() and "pictures" not in page.content().lower()
    expect(alert).to_contain_text(re.compile(r"at \d\d:\d\d: log in to read$"))
    assert re.match(r"\(\d\) ALERT", page.title())
    shoot(page, "alert-screen")
    assert_accessible(page, "the alert screen")

    # The browser restarted on the alert screen: it may not sound until someone taps, and
    # the screen says so; once tapped, the next alert sounds.
    reopened = browser.new_context(viewport=DESKTOP, base_url=server.base_url,
                                   storage_state=context.storage_state())
    reopened.add_init_script(DESKTOP_AUDIO)
    screen = reopened.new_page()
    screen.goto("/staff/alerts")
    expect(screen.get_by_role("listitem").filter(has_text="URGENT report from Kiosk 1")).to_be_visible()
    tap = screen.get_by_role("button", name="Tap anywhere to turn sound on")
    expect(tap).to_be_visible()
    assert kiosk.post(server.base_url + "/api/help", json={}, timeout=10).status_code == 201
    expect(screen.get_by_role("listitem").filter(
        has_text="Get an adult pressed at Kiosk 1 (Bench room)")).to_be_visible()
    expect(screen.get_by_text("An alert came but could not sound.")).to_be_visible()
    shoot(screen, "alert-screen-tap-for-sound")
    assert_accessible(screen, "the alert screen asking for a tap")
    tap.click()
    expect(tap).to_be_hidden()
    send(kiosk, server, {"safe": ["no"]})
    screen.wait_for_function("window.notesPlayed > 0", timeout=2_000)
    reopened.close()

    # Logging in again goes back to the dashboard, with the report to read.
    page.get_by_role("link", name="Log in to read").click()
    log_in_on(page, server)
    expect(page.get_by_role("row").filter(has_text="Someone asked me for pictures")).to_be_visible()
    context.close()


# --- a dashboard to act from ---------------------------------------------------------

def test_rows_say_where_and_who_overdue_shows_and_cases_move_on_live(
        browser, server, monkeypatch):
    kiosk = server.kiosk_session()
    name = f"Kiosk {server.kiosks}"
    context = browser.new_context(viewport=DESKTOP, base_url=server.base_url)
    page = context.new_page()
    start = datetime.now(timezone.utc)
    page.clock.install(time=start)
    staff_login_on(page, server)
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible(timeout=15_000)

    send(kiosk, server, {"safe": ["no"], "what": ["hurt"]}, WORDS)
    send(kiosk, server, {"safe": ["yes"], "what": ["unkind"]})
    urgent = page.get_by_role("row").filter(has_text="Someone hurt me or touched me").filter(
        has_text=name)
    unkind = page.get_by_role("row").filter(has_text="Someone was unkind").filter(has_text=name)
    expect(urgent).to_contain_text("Bench room")
    expect(urgent.locator(".source")).to_have_text("Kiosk")
    expect(urgent).to_contain_text("Nobody yet")
    expect(urgent.locator(".state")).to_have_text("New")

    # "Get an adult": a kept alert with "I'm going".
    assert kiosk.post(server.base_url + "/api/help", json={}, timeout=10).status_code == 201
    helped = page.get_by_role("region", name="Get an adult").get_by_role("listitem").filter(
        has_text=f"pressed at {name} (Bench room)")
    expect(helped.get_by_role("button", name="I'm going")).to_be_visible()

    # Past the urgent report's due time, with no reload: it says "Overdue", loudly.
    page.clock.fast_forward("10:30")
    expect(urgent.locator(".state")).to_have_text(re.compile("^Overdue"), timeout=10_000)
    expect(page.get_by_role("alert").filter(has_text="overdue")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible(timeout=15_000)
    shoot(page, "dashboard-rows-help-overdue")
    assert_accessible(page, "the dashboard with overdue and Get an adult")

    helped.get_by_role("button", name="I'm going").click()
    expect(helped).to_contain_text("is going")

    # Acknowledged from the list; an owner given elsewhere shows live; closing moves it.
    unkind.get_by_role("button", name="Acknowledge").click()
    expect(unkind.locator(".state")).to_have_text("Acknowledged")
    case_id = unkind.get_attribute("data-id")
    token = page.evaluate("JSON.parse(document.getElementById('dashboard-config').textContent).csrf")
    me = page.evaluate("Object.entries(JSON.parse(document.getElementById('dashboard-config')"
                       f".textContent).directory.people).find(([, n]) => n === '{DSL_EMAIL}')[0]")
    for path, form in (("assign", {"owner_id": me}),
                       ("decisions", {"decision": "mash", "reason": "Referred to MASH."})):
        reply = page.request.post(f"/staff/reports/{case_id}/{path}",
                                  form=dict(form, csrf_token=token), max_redirects=0)
        assert reply.status == 302, reply.text()
    expect(unkind.locator(".owner")).to_have_text(DSL_EMAIL)
    reply = page.request.post(f"/staff/reports/{case_id}/close", max_redirects=0,
                              form={"summary": "Referred.", "csrf_token": token})
    assert reply.status == 302, reply.text()
    expect(unkind).to_have_count(0)
    page.get_by_role("button", name="Closed cases").click()
    closed = page.get_by_role("row").filter(has_text="Someone was unkind").filter(has_text=name)
    expect(closed.locator(".state")).to_have_text("Closed")
    shoot(page, "dashboard-closed-view")
    assert_accessible(page, "the Closed view")
    context.close()


# --- a dashboard that was offline catches up on everything ----------------------------

def test_a_dashboard_offline_while_2000_reports_arrive_shows_every_one(
        server, dashboard, monkeypatch):
    """Under a minute: 2,000 reports are stored in one transaction by the project's own
    store function (seconds, where 2,000 HTTP sends would take most of a minute), then
    the dashboard pages through 4 catch-up replies and draws 2,000 rows."""
    name = f"Kiosk {server.kiosks + 1}"
    server.kiosk_code()  # a kiosk of this test's own: its reports are the ones counted
    offline_since = time.monotonic()
    dashboard.context.set_offline(True)
    banner = dashboard.get_by_role("alert").filter(has_text="Connection lost")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(re.compile(r"Last contact \d\d:\d\d:\d\d, \d+ s ago"))
    assert dashboard.title().startswith("OFFLINE")
    store_on_the_server(server, 2000, {"safe": ["yes"], "what": ["unkind"]}, name, monkeypatch)
    shoot(dashboard, "dashboard-offline")
    assert_accessible(dashboard, "the offline dashboard")

    dashboard.context.set_offline(False)
    expect(dashboard.get_by_role("status").filter(has_text="Live")).to_be_visible(timeout=15_000)
    rows = dashboard.locator("#rows tr").filter(
        has=dashboard.locator(".where-name", has_text=re.compile(f"^{name}$")))
    expect(rows).to_have_count(2000, timeout=30_000)
    expect(banner).to_be_hidden()
    expect(dashboard.get_by_role("status").filter(has_text="2,000 reports came in")).to_be_visible(
        timeout=15_000)
    shown = dashboard.evaluate("new Set([...document.querySelectorAll('#rows tr')]"
                               ".map((tr) => tr.dataset.id)).size")
    assert shown == dashboard.locator("#rows tr").count()  # each once
    assert time.monotonic() - offline_since < 60


def log_in_on(page, server):
    """The DSL's email, password and authenticator code on the login page shown."""
    page.get_by_label("Email").fill(DSL_EMAIL)
    page.get_by_label("Password").fill(DSL_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill(server.authenticator.code(DSL_EMAIL))
    page.get_by_role("button", name="Continue").click()


def staff_login_on(page, server):
    """Log the DSL in on a page the test made itself (with its own clock or scripts)."""
    page.goto("/staff/login")
    log_in_on(page, server)
    return page
