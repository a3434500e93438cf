"""A pupil tells by taps alone; the DSL sees it live with urgency and due time."""
import re

from playwright.sync_api import expect


def tap(page, name):
    page.get_by_role("button", name=name, exact=True).click()


def heading(page, text):
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def tap_through(kiosk, until):
    """Answer each page with its last tile (the 'skip' on text pages) up to a heading."""
    for _ in range(12):
        title = kiosk.get_by_role("heading", level=1)
        was = title.inner_text()
        if was == until:
            return
        multi = kiosk.get_by_role("button", name="Next").is_visible()
        kiosk.locator(".tile").last.click()
        if multi:
            tap(kiosk, "Next")
        expect(title).not_to_have_text(was)
    raise AssertionError(f"never reached {until!r}")


def tell_about_an_adult_asking_for_pictures(kiosk):
    tap(kiosk, "Start")
    heading(kiosk, "Are you safe right now?")
    tap(kiosk, "Yes")
    heading(kiosk, "What happened?")
    tap(kiosk, "Someone asked me for pictures")
    expect(kiosk.get_by_role("button", name="Someone asked me for pictures")).to_have_attribute(
        "aria-pressed", "true")
    tap(kiosk, "Next")
    heading(kiosk, "Is it something else?")
    tap(kiosk, "Next")
    heading(kiosk, "Where did it happen?")
    tap(kiosk, "Online")
    tap(kiosk, "Next")
    heading(kiosk, "Where online?")
    tap(kiosk, "A game")
    tap(kiosk, "Next")
    heading(kiosk, "When did it happen?")
    tap(kiosk, "Today")
    heading(kiosk, "Who was it?")
    tap(kiosk, "An adult")
    tap(kiosk, "Next")
    heading(kiosk, "How do you feel?")
    tap(kiosk, "Scared")
    heading(kiosk, "Do you want to tell us more?")
    tap(kiosk, "No, skip")
    heading(kiosk, "Do you want to tell us your name?")
    tap(kiosk, "No")
    heading(kiosk, "Is this right?")


def test_taps_only_report_reaches_the_dashboard_live(kiosk, dashboard):
    dashboard.evaluate("window.sameLoad = true")  # gone if the page reloads
    tell_about_an_adult_asking_for_pictures(kiosk)
    review = kiosk.locator(".review")
    for label in ("Yes", "Someone asked me for pictures", "Online", "A game", "Today",
                  "An adult", "Scared"):
        expect(review.get_by_text(label, exact=True)).to_be_visible()
    tap(kiosk, "Send")
    expect(kiosk.get_by_text("Thank you for telling. It is not your fault.")).to_be_visible()

    row = dashboard.locator("#rows tr").first
    expect(row).to_contain_text("Urgent")
    expect(row).to_contain_text("adult involved + asked for pictures")
    expect(row.locator(".due time")).to_have_text(re.compile(r"\d\d:\d\d"))
    expect(dashboard.get_by_role("alert").filter(has_text="Waiting for someone now")).to_contain_text(
        "urgent report")
    assert dashboard.evaluate("window.sameLoad") is True

    row.get_by_role("button", name="Acknowledge").click()
    expect(row.locator(".status")).to_have_text("Acknowledged")


def test_kiosk_keeps_nothing_after_sending(kiosk):
    entries = kiosk.evaluate("history.length")
    tap(kiosk, "Start")
    tap(kiosk, "Not sure")
    tap(kiosk, "Someone was unkind")
    for _ in range(2):
        tap(kiosk, "Next")
    tap_through(kiosk, "Is this right?")
    tap(kiosk, "Send")
    expect(kiosk.get_by_text("Thank you for telling.")).to_be_visible()
    stored = kiosk.evaluate("[localStorage.length, sessionStorage.length, history.length]")
    assert stored == [0, 0, entries]  # no storage, no history entry to go back to
    tap(kiosk, "Done")
    heading(kiosk, "You can tell us if something worried you.")
    assert kiosk.evaluate("history.length") == entries


def test_not_safe_now_is_urgent_at_once(kiosk, dashboard):
    tap(kiosk, "Start")
    tap(kiosk, "No")
    heading(kiosk, "Go to an adult now.")
    expect(kiosk.get_by_text("We have told the adults.")).to_be_visible()  # once stored
    row = dashboard.locator("#rows tr").first
    expect(row).to_contain_text("pupil says they are not safe right now")
    expect(row.locator(".badge")).to_have_text("Urgent")


def test_dashboard_opened_later_catches_up(kiosk, another_dashboard):
    tap(kiosk, "Start")
    tap(kiosk, "No")
    expect(kiosk.locator("body[data-sent='yes']")).to_have_count(1)
    late = another_dashboard()
    expect(late.locator("#rows tr").first).to_contain_text("pupil says they are not safe right now")


def test_dashboard_that_was_offline_catches_up(kiosk, dashboard):
    dashboard.context.set_offline(True)
    live = dashboard.get_by_role("status").filter(has_text=re.compile("^(Live|OFFLINE)"))
    expect(live).to_contain_text("OFFLINE")
    before = dashboard.locator("#rows tr").count()
    tap(kiosk, "Start")
    tap(kiosk, "No")
    expect(kiosk.locator("body[data-sent='yes']")).to_have_count(1)
    dashboard.context.set_offline(False)
    expect(live).to_have_text("Live", timeout=20_000)
    expect(dashboard.locator("#rows tr")).to_have_count(before + 1)


def test_pupil_words_with_markup_show_as_text(kiosk, dashboard):
    words = '<b>bold</b><img src=x onerror="window.pwned=1">'
    # Earlier tests of this server sent the same tile: wait for this report's own row.
    unkind = dashboard.locator("#rows tr").filter(has_text="Someone was unkind")
    before = unkind.count()
    tap(kiosk, "Start")
    tap(kiosk, "Yes")
    tap(kiosk, "Someone was unkind")
    tap(kiosk, "Next")
    tap(kiosk, "Next")
    tap_through(kiosk, "Do you want to tell us more?")
    tap(kiosk, "Type it")
    kiosk.get_by_label("Your words").fill(words)
    tap(kiosk, "Done")
    tap(kiosk, "No")
    tap(kiosk, "Send")
    expect(kiosk.get_by_text("Thank you for telling.")).to_be_visible()
    expect(unkind).to_have_count(before + 1)
    # Urgent rows stay on top: this report is the newest same-day one.
    unkind.first.get_by_role("link", name="Open").click()
    quote = dashboard.locator("blockquote.words")
    expect(quote).to_have_text(words)
    assert quote.locator("b, img").count() == 0
    assert dashboard.evaluate("window.pwned") is None


def test_hide_clears_the_screen_at_once(kiosk):
    tap(kiosk, "Start")
    tap(kiosk, "Yes")
    tap(kiosk, "Someone hurt me or touched me")
    tap(kiosk, "Hide")
    expect(kiosk.locator("#app")).to_be_hidden()
    expect(kiosk.get_by_text("Touch to start")).to_be_visible()
    kiosk.get_by_role("button", name=re.compile("Touch to start")).click()
    heading(kiosk, "You can tell us if something worried you.")
    tap(kiosk, "Start")
    tap(kiosk, "Yes")
    expect(kiosk.get_by_role("button", name="Someone hurt me or touched me")).to_have_attribute(
        "aria-pressed", "false")


def test_back_keeps_answers(kiosk):
    tap(kiosk, "Start")
    tap(kiosk, "Yes")
    tap(kiosk, "Someone was unkind")
    tap(kiosk, "Next")
    tap(kiosk, "Back")
    heading(kiosk, "What happened?")
    expect(kiosk.get_by_role("button", name="Someone was unkind")).to_have_attribute(
        "aria-pressed", "true")


def test_change_from_review_returns_to_review(kiosk):
    tap(kiosk, "Start")
    tap(kiosk, "Yes")
    tap(kiosk, "Someone was unkind")
    tap(kiosk, "Next")
    tap(kiosk, "Next")
    tap_through(kiosk, "Is this right?")
    change = kiosk.locator(".review-row").filter(has_text="How do you feel?")
    change.get_by_role("button", name="Change", exact=True).click()
    heading(kiosk, "How do you feel?")
    tap(kiosk, "Worried")
    heading(kiosk, "Is this right?")
    expect(kiosk.locator(".review").get_by_text("Worried", exact=True)).to_be_visible()


def test_inactivity_warns_then_clears(browser, server, enrol_page):
    context = browser.new_context(viewport={"width": 1024, "height": 768},
                                  base_url=server.base_url)
    page = context.new_page()
    page.clock.install()
    enrol_page(page)
    tap(page, "Start")
    tap(page, "Yes")
    page.clock.run_for(121_000)
    dialog = page.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Are you still there?")
    tap(page, "More time")
    expect(dialog).to_be_hidden()
    heading(page, "What happened?")
    page.clock.run_for(121_000)
    expect(dialog).to_be_visible()
    page.clock.run_for(21_000)
    heading(page, "You can tell us if something worried you.")
    context.close()


def test_every_button_is_big_enough(kiosk):
    tap(kiosk, "Start")
    tap(kiosk, "Yes")
    for button in kiosk.get_by_role("button").all():
        if button.is_visible():
            box = button.bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44, button.inner_text()


def test_tapping_a_tile_plays_its_words_then_the_next_prompt(browser, server, enrol_page):
    context = browser.new_context(viewport={"width": 1024, "height": 768},
                                  base_url=server.base_url)
    page = context.new_page()
    # Record what the page asks the browser to play (a preloaded file makes no request).
    page.add_init_script("""
        window.played = [];
        const play = HTMLMediaElement.prototype.play;
        HTMLMediaElement.prototype.play = function () {
          window.played.push(new URL(this.src).pathname);
          return play.call(this);
        };
    """)
    enrol_page(page)
    journey = page.evaluate("JSON.parse(document.getElementById('journey').textContent)")
    tile = journey["pages"]["safe"]["tiles"][0]["audio"]
    prompt = journey["pages"]["what"]["prompt"]["audio"]
    tap(page, "Start")
    tap(page, "Yes")
    page.wait_for_function("([t, p]) => window.played.slice(-2).join() === [t, p].join()",
                           arg=[tile, prompt], timeout=30_000)
    context.close()
