"""The simplest worry in few taps ("Send now" once "What happened?" is answered, the
review always shown), the questions left offered there ("Tell us more"), and a worry
about another child in its own words, seen plainly by the DSL. In Chromium."""
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from playwright.sync_api import expect


def tap(page, name):
    page.get_by_role("button", name=name, exact=True).click()


def heading(page, text):
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def screenshots(tmp_path_factory):
    """Where pictures of the pages go: KIOSK_SCREENSHOTS when set, else a temporary folder."""
    folder = os.environ.get("KIOSK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return tmp_path_factory.mktemp("short-journey")


def last_report(server):
    path = Path(server.instance_path) / "kiosk.sqlite3"
    with closing(sqlite3.connect(path)) as db:
        db.row_factory = sqlite3.Row
        return dict(db.execute("SELECT * FROM reports ORDER BY id DESC LIMIT 1").fetchone())


def counting_taps(page):
    """Count every button the pupil presses from now on (taps, clicks, keys alike)."""
    page.evaluate("""() => { window.taps = 0; document.addEventListener("click", (e) => {
        if (e.target.closest("button")) window.taps += 1; }, true); }""")
    return lambda: page.evaluate("window.taps")


def test_the_simplest_worry_is_sent_from_the_review_in_five_taps(kiosk, server,
                                                                  tmp_path_factory):
    shots = screenshots(tmp_path_factory)
    taps = counting_taps(kiosk)
    tap(kiosk, "Start")
    tap(kiosk, "Yes")
    heading(kiosk, "What happened?")
    tap(kiosk, "Someone was unkind")
    kiosk.screenshot(path=shots / "send-now.png")
    tap(kiosk, "Send now")
    heading(kiosk, "Is this right?")
    review = kiosk.locator(".review")
    expect(review).to_contain_text("Yes")
    expect(review).to_contain_text("Someone was unkind")
    expect(kiosk.get_by_role("button", name="Tell us more")).to_be_visible()
    kiosk.screenshot(path=shots / "review-after-send-now.png")
    tap(kiosk, "Send")
    expect(kiosk.locator("#overlay-text")).to_contain_text("Thank you for telling")
    # Start, Yes, the tile, Send now, then Send on the review: four choices after Start.
    assert taps() == 5
    report = last_report(server)
    assert report["urgency"] == "same-day" and report["about"] == ""
    assert '"tile": "unkind"' in report["choices"]


def test_tell_us_more_asks_only_the_questions_not_met_then_returns(kiosk, server):
    tap(kiosk, "Start")
    tap(kiosk, "Yes")
    tap(kiosk, "Someone was unkind")
    tap(kiosk, "Send now")
    tap(kiosk, "Tell us more")
    heading(kiosk, "Is it something else?")
    tap(kiosk, "Next")
    heading(kiosk, "Where did it happen?")
    tap(kiosk, "At school")
    tap(kiosk, "Next")
    heading(kiosk, "When did it happen?")
    tap(kiosk, "Today")
    heading(kiosk, "Who was it?")
    tap(kiosk, "An adult")
    tap(kiosk, "Next")
    heading(kiosk, "How do you feel?")
    tap(kiosk, "Sad")
    tap(kiosk, "No, skip")
    tap(kiosk, "No")
    heading(kiosk, "Is this right?")
    expect(kiosk.get_by_role("button", name="Tell us more")).to_have_count(0)
    expect(kiosk.locator(".review")).to_contain_text("An adult")
    tap(kiosk, "Send")
    expect(kiosk.locator("#overlay-text")).to_contain_text("Thank you for telling")
    assert '"tile": "adult"' in last_report(server)["choices"]


def test_a_worry_about_a_friend_in_its_own_words_reaches_the_dsl_plainly(
        kiosk, server, dashboard, tmp_path_factory):
    shots = screenshots(tmp_path_factory)
    tap(kiosk, "I'm worried about someone else")
    heading(kiosk, "Are they safe right now?")
    kiosk.screenshot(path=shots / "friend-safe.png")
    tap(kiosk, "Yes")
    heading(kiosk, "What happened to them?")
    tap(kiosk, "Someone hurt them or touched them")
    kiosk.screenshot(path=shots / "friend-what.png")
    tap(kiosk, "Send now")
    heading(kiosk, "Is this right?")
    review = kiosk.locator(".review")
    expect(review).to_contain_text("I'm worried about someone else")
    expect(review).to_contain_text("Someone hurt them or touched them")
    kiosk.screenshot(path=shots / "friend-review.png")
    tap(kiosk, "Send")
    expect(kiosk.locator("#overlay-text")).to_contain_text("Thank you for telling")
    assert last_report(server)["about"] == "someone_else"

    row = dashboard.get_by_role("row").filter(has_text="Someone hurt me or touched me")
    expect(row).to_contain_text("About another child")
    row.get_by_role("link").first.click()
    expect(dashboard.locator("#about-other")).to_contain_text("About another child.")
    dashboard.screenshot(path=shots / "friend-case.png")
