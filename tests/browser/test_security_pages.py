"""In real Chromium: the strict Content-Security-Policy breaks nothing a pupil or the DSL
uses (any CSP violation in the console fails), a kiosk's browser cannot hold a staff
login, and the exports page's chart draws from the server alone (screenshot saved)."""
import os
import tempfile
import uuid

import pytest

from conftest import enrol, staff_login

SHOTS = os.environ.get("KIOSK_SHOTS") or os.path.join(tempfile.gettempdir(), "kiosk-shots")
ANSWERS = [{"safe": ["yes"], "what": ["unkind"]}] * 6 + [{"safe": ["no"]}] * 2


def send_reports(server, answers):
    """Reports from a kiosk device, as it sends them."""
    kiosk = server.kiosk_session()
    for chosen in answers:
        reply = kiosk.post(server.base_url + "/api/reports", timeout=10,
                           json={"client_id": str(uuid.uuid4()), "answers": chosen})
        assert reply.status_code == 201, reply.text


def open_a_case(page):
    """Follow the first unkind-words row's link on the dashboard to its case page."""
    row = page.get_by_role("row").filter(has_text="Someone was unkind").first
    row.get_by_role("link").first.click()
    page.wait_for_url("**/staff/reports/*")
    return page.url


def watch_console(page):
    """Every console message and page error, kept for the test to check."""
    seen = []
    page.on("console", lambda message: seen.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: seen.append(f"pageerror: {error}"))
    return seen


def csp_violations(seen):
    return [line for line in seen if "Content Security Policy" in line or "Refused to" in line]


def test_staff_pages_work_under_the_policy_with_no_violation(browser, server):
    send_reports(server, ANSWERS)
    page = staff_login(browser, server)
    seen = watch_console(page)
    page.goto("/staff/")
    page.get_by_role("status").filter(has_text="Live").wait_for()  # the socket connected
    case_url = open_a_case(page)  # dashboard.js drew the rows
    page.get_by_role("button", name="Acknowledge").click()
    page.locator("#case-status").filter(has_text="Acknowledged").wait_for()
    page.goto(case_url + "/chronology")
    page.get_by_role("button", name="Print").wait_for()
    for path in ("/staff/pupils", "/staff/audit", "/staff/account", "/staff/exports"):
        page.goto(path)
        page.wait_for_load_state("load")
    chart = page.get_by_role("img", name="All reports each month")
    chart.wait_for()
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, "exports-chart.png"), full_page=True)
    assert csp_violations(seen) == [], seen
    page.context.close()


def test_the_kiosk_journey_works_under_the_policy_with_no_violation(kiosk):
    seen = watch_console(kiosk)
    kiosk.reload()
    kiosk.get_by_role("button", name="Start").click()
    kiosk.get_by_role("button", name="Yes").first.wait_for()
    assert csp_violations(seen) == [], seen


def test_a_kiosk_browser_cannot_hold_a_staff_login(browser, server):
    """The attack from the issue: the DSL logs in on a browser that is (or becomes) a
    kiosk; the case page must not stay readable there."""
    send_reports(server, ANSWERS[:1])
    page = staff_login(browser, server)
    case_url = open_a_case(page)
    enrol(page, server)  # the same browser becomes a kiosk
    page.goto(case_url)
    page.get_by_text("This device is a kiosk for pupils").wait_for()
    assert "/staff/login" in page.url
    assert page.get_by_label("Password").count() == 0
    page.goto("/staff/login")
    assert page.get_by_text("staff pages cannot be used on it").is_visible()
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=os.path.join(SHOTS, "staff-login-on-a-kiosk.png"))
    page.context.close()
