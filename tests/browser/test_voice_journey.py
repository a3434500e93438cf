"""A pupil answers by voice in real Chromium, through a fake microphone fed from a WAV
of espeak-ng speech (Chromium's --use-file-for-fake-audio-capture), and confirms it."""
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from test_journey import heading, tap

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from speech_audio import spoken, wav_file  # noqa: E402


@pytest.fixture
def speaking_kiosk(tmp_path, launch_kiosk):
    """A kiosk whose microphone hears the phrase the test gives, on a loop.

    Chromium starts playing the file as soon as the page asks for the microphone,
    while the kiosk is still saying "Speak. Say your answer.", so the phrase sits
    after a few seconds of room noise. Measured at the server: the kiosk streams from
    0.5 to 3 s into the file, so the phrase starts after that and ends well inside
    the 8 s a tile answer may take (a phrase cut at either end is rightly not taken).
    """
    def open_kiosk(phrase):
        wav = wav_file(tmp_path / "microphone.wav", spoken(phrase, lead=4.5, tail=2.5))
        return launch_kiosk(["--use-fake-ui-for-media-stream",
                             "--use-fake-device-for-media-stream",
                             f"--use-file-for-fake-audio-capture={wav}"])
    return open_kiosk


def test_a_pupil_answers_a_page_by_speaking_and_confirms(speaking_kiosk):
    kiosk = speaking_kiosk("Someone asked me for pictures.")
    tap(kiosk, "Start")
    tap(kiosk, "Yes")
    heading(kiosk, "What happened?")
    tap(kiosk, "Speak")
    dialog = kiosk.get_by_role("dialog")
    expect(dialog).to_contain_text("I am listening")
    expect(kiosk.locator("#voice-ring")).to_have_class("ring listening", timeout=10_000)
    # The pupil is asked to confirm, with the tile's own words and symbol.
    expect(dialog).to_contain_text("Did you say:", timeout=20_000)
    expect(kiosk.locator("#voice-said")).to_have_text("Someone asked me for pictures")
    symbol = kiosk.locator("#voice-symbol").get_attribute("src")
    assert symbol.endswith("pictures.svg")
    dialog.get_by_role("button", name="Yes").click()
    expect(dialog).to_be_hidden()
    expect(kiosk.get_by_role("button", name="Someone asked me for pictures")).to_have_attribute(
        "aria-pressed", "true")
    # The microphone is closed once the answer is heard.
    assert kiosk.evaluate("KioskVoice.active") is False


def test_saying_no_to_what_was_heard_leaves_the_page_unanswered(speaking_kiosk):
    kiosk = speaking_kiosk("Yes, I am safe.")
    tap(kiosk, "Start")
    heading(kiosk, "Are you safe right now?")
    tap(kiosk, "Speak")
    dialog = kiosk.get_by_role("dialog")
    expect(dialog).to_contain_text("Did you say:", timeout=20_000)
    dialog.get_by_role("button", name="No").click()
    expect(dialog).to_be_hidden()
    heading(kiosk, "Are you safe right now?")  # nothing chosen: the pupil can tap instead


def test_hide_while_listening_closes_the_microphone(speaking_kiosk):
    kiosk = speaking_kiosk("Today.")
    tap(kiosk, "Start")
    tap(kiosk, "Speak")
    expect(kiosk.get_by_role("dialog")).to_contain_text("I am listening")
    kiosk.locator("#hide").click()  # Hide stays reachable while listening
    expect(kiosk.locator("#voice-dialog")).to_be_hidden()
    assert kiosk.evaluate("KioskVoice.active") is False


def test_a_pupil_tells_more_in_their_own_spoken_words(speaking_kiosk, dashboard):
    kiosk = speaking_kiosk("I want to go home.")
    tap(kiosk, "Start")
    tap(kiosk, "Not sure")
    heading(kiosk, "What happened?")
    tap(kiosk, "Next")
    heading(kiosk, "Is it something else?")
    tap(kiosk, "I feel sad or scared")
    tap(kiosk, "Next")
    heading(kiosk, "When did it happen?")
    tap(kiosk, "Today")
    heading(kiosk, "How do you feel?")
    tap(kiosk, "Worried")
    heading(kiosk, "Do you want to tell us more?")
    tap(kiosk, "Speak")
    dialog = kiosk.get_by_role("dialog")
    expect(dialog).to_contain_text("Did you say this?", timeout=20_000)
    # pocketsphinx's free speech is rough (see bench/voice.py): what matters here is
    # that the pupil sees and hears what was heard, and only a Yes keeps it.
    expect(kiosk.locator("#voice-said")).to_contain_text("want to go")
    said = kiosk.locator("#voice-said").inner_text().strip("\u201c\u201d")
    dialog.get_by_role("button", name="Yes").click()
    expect(kiosk.get_by_label("Your words")).to_have_value(said)
    tap(kiosk, "Done")
    heading(kiosk, "Do you want to tell us your name?")
    tap(kiosk, "No")
    heading(kiosk, "Is this right?")
    expect(kiosk.locator(".chip.words")).to_contain_text(said)
    tap(kiosk, "Send")
    expect(kiosk.get_by_role("alertdialog")).to_contain_text("Thank you for telling")
    dashboard.locator("tr.report a.open").first.click()
    expect(dashboard.locator("blockquote.words")).to_have_text(said)
    expect(dashboard.locator("p.transcript")).to_contain_text(
        "Spoken by the pupil and transcribed by pocketsphinx")
