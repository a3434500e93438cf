"""A teacher logs a disclosure through the real concern form, marking the body map by
tapping it; the DSL sees the marked picture and the named regions, then attaches a
screenshot (confirming it is not an indecent image of a child) and opens it."""
import os
import struct
import zlib

from playwright.sync_api import expect

from conftest import staff_login

TEACHER = "teacher@browser.example"


def png(width=40, height=30):
    """A small real PNG: a screenshot stand-in."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    rows = b"".join(b"\x00" + b"\x80\x80\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def shoot(page, tmp_path_factory, name):
    """Screenshots only when asked for (KIOSK_SCREENSHOTS set): they are for people to look at."""
    if os.environ.get("KIOSK_SCREENSHOTS"):
        folder = tmp_path_factory.mktemp("concern-journey", numbered=False) \
            if not hasattr(shoot, "folder") else shoot.folder
        shoot.folder = folder
        page.screenshot(path=folder / name, full_page=True)


def test_a_disclosure_with_a_body_map_reaches_the_dsl_who_attaches_a_screenshot(
        browser, server, dashboard, tmp_path_factory):
    server.add_user(TEACHER, "staff")
    teacher = staff_login(browser, server, TEACHER)
    teacher.get_by_role("link", name="Log a concern").first.click()
    teacher.get_by_label("Pupil's name").fill("Sam Jones")
    teacher.get_by_label("The pupil told me (a disclosure)").check()
    teacher.get_by_label("The pupil's words, exactly as they said them").fill(
        "My uncle hit me with a belt and it hurts to sit down.")
    teacher.get_by_label("When it happened (date and time, if known)").fill("2020-01-06T19:00")
    teacher.get_by_label("What you did").fill("Listened and said I would tell the DSL.")
    teacher.get_by_label("Who else you told").fill("nobody")
    teacher.get_by_label("Yes, the pupil may be in danger now").check()
    teacher.get_by_label("Being hurt or touched").check()
    # Tapping the picture ticks the region in the list (the list is what is sent).
    teacher.locator('fieldset.body-map g.region[data-region="back.bottom"]').click()
    teacher.locator('fieldset.body-map g.region[data-region="front.left_forearm"]').click()
    expect(teacher.get_by_label("Back: Bottom (buttocks)")).to_be_checked()
    expect(teacher.get_by_label("Front: Left forearm and wrist")).to_be_checked()
    expect(teacher.locator('fieldset.body-map g.region.marked')).to_have_count(2)
    shoot(teacher, tmp_path_factory, "concern-form-body-map.png")
    teacher.get_by_role("button", name="Send to the DSL team").click()
    expect(teacher.get_by_role("alert")).to_contain_text("Your concern is with the DSL team")
    teacher.context.close()

    row = dashboard.get_by_role("row").filter(has_text="Someone hurt me or touched me")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Urgent")
    row.get_by_role("link").first.click()
    expect(dashboard.locator(".body-map-named")).to_have_text(
        "Front: Left forearm and wrist; Back: Bottom (buttocks)")
    expect(dashboard.locator(".body-map-panel g.region.marked")).to_have_count(2)
    expect(dashboard.get_by_text("In immediate danger: Yes")).to_be_visible()
    shoot(dashboard, tmp_path_factory, "case-body-map.png")

    dashboard.get_by_label("Attach a screenshot or document").set_input_files(
        {"name": "group chat.png", "mimeType": "image/png", "buffer": png()})
    dashboard.get_by_role("button", name="Attach file").click()
    expect(dashboard.get_by_role("alert")).to_contain_text(
        "Confirm that the picture is not an indecent image")
    dashboard.get_by_label("Attach a screenshot or document").set_input_files(
        {"name": "group chat.png", "mimeType": "image/png", "buffer": png()})
    dashboard.get_by_label("I confirm this picture is not an indecent image of a child").check()
    dashboard.get_by_role("button", name="Attach file").click()
    link = dashboard.get_by_role("link", name="group chat.png")
    expect(link).to_be_visible()
    link.click()  # the picture opens inline, as the bytes were found to be
    expect(dashboard.locator("img")).to_have_count(1)
