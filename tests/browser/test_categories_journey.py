"""The DSL's categories in Chromium: set on a case through its form, the Prevent rule at
closing, then the dashboard filtered by category, live and in the Closed view."""
import os
import uuid
from pathlib import Path

from playwright.sync_api import expect

from conftest import staff_login


def send(server, what):
    sent = server.kiosk_session().post(server.base_url + "/api/reports", timeout=10, json={
        "client_id": str(uuid.uuid4()), "answers": {"safe": ["yes"], "what": [what]}})
    assert sent.status_code == 201


def shot(page, name):
    """A screenshot only when asked for (KIOSK_SCREENSHOTS names the folder)."""
    folder = os.environ.get("KIOSK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(folder) / f"categories-{name}.png", full_page=True)


def set_categories(page, *labels):
    for label in labels:
        page.get_by_label(label).check()
    page.get_by_role("button", name="Save categories").click()


def test_the_dsl_sets_categories_and_filters_the_dashboard(browser, server, dashboard):
    send(server, "online")
    send(server, "unkind")
    online = dashboard.get_by_role("row").filter(has_text="Something online upset me")
    unkind = dashboard.get_by_role("row").filter(has_text="Someone was unkind")
    expect(online).to_be_visible()
    expect(unkind).to_be_visible()

    # On the first case: acknowledge, then set two categories through the form.
    case = staff_login(browser, server)
    case.goto("/staff/reports/1")
    case.get_by_role("button", name="Acknowledge").click()
    set_categories(case, "Cyberbullying", "Radicalisation (Prevent)")
    expect(case.locator("#categories-now")).to_have_text(
        "Cyberbullying, Radicalisation (Prevent)")
    expect(case.get_by_text("Added: Cyberbullying, Radicalisation (Prevent)")).to_be_visible()

    # A Prevent case does not close without a Prevent decision.
    case.get_by_label("Decision", exact=True).select_option(
        label="Referred to children's social care (MASH)")
    case.get_by_label("Reason (for parents").fill("Known to MASH: referred by phone.")
    case.get_by_role("button", name="Record decision").click()
    case.get_by_label("Closing summary").fill("Done.")
    case.get_by_role("button", name="Close case").click()
    expect(case.get_by_role("alert")).to_contain_text("record a decision")
    expect(case.locator("#case-status")).to_have_text("Acknowledged")
    shot(case, "case")

    # The dashboard, filtered: only the cyberbullying case; its row names the categories.
    filter_ = dashboard.get_by_label("Show cases in category")
    filter_.select_option(label="Cyberbullying")
    expect(online).to_be_visible()
    expect(online).to_contain_text("DSL: Cyberbullying, Radicalisation (Prevent)")
    expect(unkind).to_have_count(0)
    expect(dashboard.locator("#open-count")).to_have_text("(1 of 2)")
    shot(dashboard, "dashboard-filtered")

    # The other case gains the category elsewhere: the filtered dashboard shows it live.
    case.goto("/staff/reports/2")
    case.get_by_role("button", name="Acknowledge").click()
    set_categories(case, "Cyberbullying")
    expect(unkind).to_be_visible()
    expect(dashboard.locator("#open-count")).to_have_text("(2 of 2)")

    # Closed, it is found in the Closed view under the same filter, and not under another.
    case.get_by_label("Decision", exact=True).select_option(
        label="Referred to children's social care (MASH)")
    case.get_by_label("Reason (for parents").fill("Referred by phone.")
    case.get_by_role("button", name="Record decision").click()
    case.get_by_label("Closing summary").fill("Referred.")
    case.get_by_role("button", name="Close case").click()
    expect(case.locator("#case-status")).to_have_text("Closed")
    case.context.close()
    dashboard.get_by_role("button", name="Closed cases").click()
    expect(unkind).to_be_visible()
    expect(dashboard.locator("#page-of")).to_contain_text("1 case")
    filter_.select_option(label="Neglect")
    expect(unkind).to_have_count(0)
    expect(dashboard.locator("#empty")).to_have_text("No closed case matches.")
    expect(dashboard.locator("#open-count")).to_have_text("(0 of 1)")
    shot(dashboard, "closed-filtered")
