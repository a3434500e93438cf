"""Every Send is stored: on a plain-HTTP school address, through a failing server, past
Hide and the privacy reset; and the pupil is told only what is true.

The server here is set up as on an INSET day (no school today), so a report that is not
urgent is due on the next school day, while an urgent one is still due today.
"""
import re
import sqlite3
from contextlib import closing
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from bench._server import login, running_server
from kiosk import DEFAULT_SCHOOL_DAY

from conftest import CHROMIUM, CHROMIUM_ARGS, IPAD, enrol

SCHOOL_HOST = "school-server.test"  # a LAN name, as an iPad on the school network uses
FIRST_PAGE = "You can tell us if something worried you."
THANKS = "Thank you for telling. It is not your fault."
NOT_SENT_YET = "We could not send it yet. We will keep trying."


@pytest.fixture(scope="module")
def server():
    """The real server, with today closed in the school's own calendar."""
    today = datetime.now(ZoneInfo(DEFAULT_SCHOOL_DAY["timezone"])).date().isoformat()
    school_day = dict(DEFAULT_SCHOOL_DAY, closed=[today])
    with running_server(config={"SCHOOL_DAY": school_day}) as running:
        yield running


def tap(page, name):
    page.get_by_role("button", name=name, exact=True).click()


def heading(page, text):
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def reports_from(server, kiosk_name):
    """(client id, urgency) of each report the database holds from one kiosk."""
    path = Path(server.instance_path) / "kiosk.sqlite3"
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT client_id, urgency FROM reports WHERE kiosk = ?",
                          [kiosk_name]).fetchall()


def this_kiosk(server):
    """The name of the kiosk enrolled last (the CLI names them in turn)."""
    return f"Kiosk {server.kiosks}"


def tell_that_someone_was_unkind(page):
    """A short report that is not urgent, anonymous, by taps alone, up to the review."""
    tap(page, "Start")
    tap(page, "Yes")
    tap(page, "Someone was unkind")
    tap(page, "Next")
    heading(page, "Is it something else?")
    tap(page, "Next")
    tap(page, "At school")
    tap(page, "Next")
    tap(page, "Today")
    tap(page, "A child")
    tap(page, "Next")
    tap(page, "Sad")
    tap(page, "No, skip")
    tap(page, "No")
    heading(page, "Is this right?")


def failing_reports(page, failures=None):
    """Route the page's report sends: refused while `down` is set (or for the first
    `failures` tries), passed to the real server after. Returns the record of tries."""
    record = {"down": failures is None, "tries": [], "left": failures or 0}

    def handle(route):
        record["tries"].append(route.request.post_data_json["client_id"])
        if record["down"] or record["left"] > 0:
            record["left"] -= 1
            # The server gone (no answer at all), then answering 503 while it comes back.
            if len(record["tries"]) % 2:
                return route.abort("connectionrefused")
            return route.fulfill(status=503, json={"error": "The kiosk is not ready."})
        return route.continue_()

    page.route("**/api/reports", handle)
    return record


def stored_response(page):
    """Waits for the server's own answer that a report is stored."""
    return page.expect_response(
        lambda r: r.url.endswith("/api/reports") and r.status in (200, 201), timeout=20_000)


@pytest.fixture
def school_network_kiosk(playwright, server):
    """A kiosk at http://school-server.test:PORT: plain HTTP on a name that is not
    localhost (Chromium maps the name to this machine), as on a school LAN."""
    port = server.base_url.rsplit(":", 1)[1]
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=CHROMIUM_ARGS + [f"--host-resolver-rules=MAP {SCHOOL_HOST} 127.0.0.1"])
    context = chromium.new_context(viewport=IPAD, has_touch=True,
                                   base_url=f"http://{SCHOOL_HOST}:{port}")
    page = context.new_page()
    yield page
    chromium.close()


def test_kiosk_on_a_plain_http_school_address_sends(school_network_kiosk, server):
    page = school_network_kiosk
    page.goto("/kiosk")
    # Not a secure context, as a school LAN address is not: no crypto.randomUUID here.
    assert page.evaluate("[window.isSecureContext, typeof crypto.randomUUID]") == [
        False, "undefined"]
    enrol(page, server)
    tell_that_someone_was_unkind(page)
    tap(page, "Send")
    expect(page.get_by_text(THANKS)).to_be_visible()
    stored = reports_from(server, this_kiosk(server))
    assert len(stored) == 1
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        stored[0][0])


def test_send_is_tried_again_until_the_server_stores_it(kiosk, server):
    tries = failing_reports(kiosk, failures=2)
    tell_that_someone_was_unkind(kiosk)
    tap(kiosk, "Send")
    dialog = kiosk.get_by_role("alertdialog")
    expect(dialog).to_contain_text(NOT_SENT_YET)
    expect(kiosk.get_by_text(THANKS)).to_have_count(0)  # not stored: no thank-you
    with stored_response(kiosk):
        pass  # tried again by itself, after one and then two seconds or so
    expect(dialog).to_contain_text(THANKS)
    assert len(tries["tries"]) == 3
    assert len(set(tries["tries"])) == 1  # the same client id on every try
    assert reports_from(server, this_kiosk(server)) == [(tries["tries"][0], "same-day")]


def test_a_report_the_server_refuses_is_not_sent_again(kiosk):
    tries = []

    def refuse(route):
        tries.append(route.request.post_data_json["client_id"])
        route.fulfill(status=400, json={"error": "unknown tile 'x' on page 'safe'"})

    kiosk.route("**/api/reports", refuse)
    tell_that_someone_was_unkind(kiosk)
    tap(kiosk, "Send")
    expect(kiosk.get_by_role("alertdialog")).to_contain_text(
        "Something went wrong. Please tell an adult.")
    expect(kiosk.locator("body[data-outbox]")).to_have_count(0)  # nothing left to try
    assert len(tries) == 1
    expect(kiosk.get_by_text(THANKS)).to_have_count(0)


def test_hide_while_sending_clears_at_once_and_the_report_is_still_stored(kiosk, server):
    tries = failing_reports(kiosk)
    tell_that_someone_was_unkind(kiosk)
    tap(kiosk, "Send")
    expect(kiosk.get_by_role("alertdialog")).to_contain_text(NOT_SENT_YET)
    tap(kiosk, "Hide")
    expect(kiosk.locator("#app")).to_be_hidden()
    expect(kiosk.get_by_role("alertdialog")).to_be_hidden()
    expect(kiosk.get_by_text("Touch to start")).to_be_visible()
    with stored_response(kiosk):
        tries["down"] = False  # the server is back
    assert reports_from(server, this_kiosk(server)) == [(tries["tries"][0], "same-day")]
    # Whoever is at the kiosk now sees nothing of it: no thank-you, a fresh first page.
    expect(kiosk.get_by_text(THANKS)).to_have_count(0)
    kiosk.get_by_role("button", name=re.compile("Touch to start")).click()
    heading(kiosk, FIRST_PAGE)
    tap(kiosk, "Start")
    tap(kiosk, "Yes")
    expect(kiosk.get_by_role("button", name="Someone was unkind")).to_have_attribute(
        "aria-pressed", "false")


def test_privacy_reset_while_sending_clears_at_once_and_keeps_the_report(
        browser, server, enrol_page):
    context = browser.new_context(viewport=IPAD, base_url=server.base_url)
    page = context.new_page()
    page.clock.install()
    enrol_page(page)
    tries = failing_reports(page)
    tell_that_someone_was_unkind(page)
    tap(page, "Send")
    expect(page.get_by_role("alertdialog")).to_contain_text(NOT_SENT_YET)
    page.evaluate("window.sameLoad = true")  # gone if the page reloads
    page.clock.run_for(121_000)  # nobody touches the kiosk: the warning
    expect(page.get_by_role("alertdialog")).to_contain_text("Are you still there?")
    page.clock.run_for(21_000)  # and the reset
    heading(page, FIRST_PAGE)
    expect(page.get_by_role("alertdialog")).to_be_hidden()
    assert page.evaluate("window.sameLoad") is True  # not reloaded: the report is kept
    # The server comes back; the kiosk's next try (at most 15 s later) stores it.
    expect(page.locator("body[data-outbox='waiting']")).to_have_count(1)
    with stored_response(page):
        tries["down"] = False
        page.clock.run_for(16_000)
    assert reports_from(server, this_kiosk(server)) == [(tries["tries"][0], "same-day")]
    heading(page, FIRST_PAGE)
    expect(page.get_by_text(THANKS)).to_have_count(0)
    context.close()


def test_urgent_page_says_sending_until_the_report_is_stored(kiosk, server):
    tries = failing_reports(kiosk)
    tap(kiosk, "Start")
    tap(kiosk, "No")
    heading(kiosk, "Go to an adult now.")
    note = kiosk.locator("#note")
    expect(note).to_have_text("Your message has not reached anyone yet. We will keep trying.")
    expect(kiosk.get_by_text("We are telling them now.")).to_have_count(0)
    with stored_response(kiosk):
        tries["down"] = False
    expect(note).to_have_text("We have told the adults.")
    heading(kiosk, "Go to an adult now.")
    assert reports_from(server, this_kiosk(server)) == [(tries["tries"][0], "urgent")]


def test_thank_you_says_the_next_school_day_when_the_report_is_due_then(kiosk):
    tell_that_someone_was_unkind(kiosk)
    with stored_response(kiosk) as answer:
        tap(kiosk, "Send")
    assert answer.value.json()["told"] == "next_school_day"
    expect(kiosk.get_by_role("alertdialog")).to_contain_text(
        "An adult will help on the next school day.")


def test_an_urgent_report_on_a_closed_day_is_not_promised_today(kiosk):
    """Due in ten minutes, but the school is shut today: nobody may be in to talk to the
    pupil, so the kiosk promises the next school day (the "today" wording is checked at
    the API level in tests/test_reports_api.py, where the clock can be set)."""
    tap(kiosk, "Start")
    tap(kiosk, "Yes")
    tap(kiosk, "Someone hurt me or touched me")
    tap(kiosk, "Next")
    tap(kiosk, "Next")  # "Show me where": nothing shown, on to where it happened
    tap(kiosk, "Next")
    tap(kiosk, "At school")
    tap(kiosk, "Next")
    tap(kiosk, "Today")
    tap(kiosk, "An adult")
    tap(kiosk, "Next")
    tap(kiosk, "Scared")
    tap(kiosk, "No, skip")
    tap(kiosk, "Yes, type my name")
    kiosk.get_by_label("Your name").fill("Sam")
    tap(kiosk, "Done")
    heading(kiosk, "Is this right?")
    with stored_response(kiosk) as answer:
        tap(kiosk, "Send")
    assert answer.value.json()["told"] == "next_school_day"
    expect(kiosk.get_by_role("alertdialog")).to_contain_text(
        "An adult will talk to you on the next school day.")


def help_row(server, kiosk_name):
    path = Path(server.instance_path) / "kiosk.sqlite3"
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT id FROM help_requests WHERE kiosk = ?",
                          [kiosk_name]).fetchall()


def test_get_an_adult_says_told_then_coming_once_an_adult_is_going(kiosk, server):
    tap(kiosk, "Start")
    with kiosk.expect_response(lambda r: r.url.endswith("/api/help")) as asked:
        tap(kiosk, "Get an adult")
    assert asked.value.status == 201
    dialog = kiosk.get_by_role("alertdialog")
    expect(dialog).to_contain_text("An adult has been told.")
    expect(dialog).not_to_contain_text("coming")
    help_id = asked.value.json()["help_id"]
    assert help_row(server, this_kiosk(server)) == [(help_id,)]
    staff = login(server)  # a DSL presses "I'm going" on the dashboard
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      staff.get(server.base_url + "/staff/", timeout=10).text).group(1)
    going = staff.post(f"{server.base_url}/staff/help/{help_id}/acknowledge",
                       data={"csrf_token": token}, timeout=10)
    assert going.status_code == 200
    expect(dialog).to_contain_text("An adult is coming.")


def test_get_an_adult_that_has_not_reached_anyone_says_so_and_keeps_trying(kiosk, server):
    failures = {"left": 2}

    def handle(route):
        if failures["left"]:
            failures["left"] -= 1
            return route.abort("connectionrefused")
        return route.continue_()

    kiosk.route("**/api/help", handle)
    tap(kiosk, "Start")
    tap(kiosk, "Get an adult")
    dialog = kiosk.get_by_role("alertdialog")
    expect(dialog).to_contain_text("This has not reached anyone yet. Go to an adult now.")
    with kiosk.expect_response(lambda r: r.url.endswith("/api/help") and r.status == 201,
                               timeout=20_000):
        pass  # tried again by itself
    expect(dialog).to_contain_text("An adult has been told.")
    assert len(help_row(server, this_kiosk(server))) == 1
