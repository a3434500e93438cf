"""Settings for one kiosk: chosen behind the staff PIN, checked, kept across restarts."""
import json

import pytest

from kiosk import create_app
from kiosk.devices import settings as kiosk_settings, kiosks
from kiosk.db import get_db

from helpers import csrf_from, kiosk_device, rows

PIN = "246810"


def journey(client, path="/kiosk"):
    html = client.get(path).get_data(as_text=True)
    return json.loads(html.split('type="application/json">', 1)[1].split("</script>", 1)[0])


def form(**changes):
    """A complete settings form as the page sends it (checkboxes only when ticked)."""
    values = {**kiosk_settings.DEFAULTS, "symbol_pack": "default", **changes}
    return {k: ("on" if v is True else str(v)) for k, v in values.items() if v is not False}


@pytest.fixture
def unlocked(app, client):
    with app.app_context():
        kiosks.set_staff_pin(get_db(), PIN)
    assert client.post("/api/kiosk/unlock", json={"pin": PIN}).status_code == 200
    return client


def save(client, **changes):
    token = csrf_from(client.get("/kiosk/settings"))
    return client.post("/kiosk/settings", data={**form(**changes), "csrf_token": token})


def test_the_settings_page_needs_the_staff_pin_first(client):
    response = client.get("/kiosk/settings")
    assert response.status_code == 302 and response.location.endswith("/kiosk")


def test_the_paused_page_links_to_the_settings(unlocked):
    page = unlocked.get("/kiosk/staff").get_data(as_text=True)
    assert "Settings for this kiosk" in page
    settings = unlocked.get("/kiosk/settings").get_data(as_text=True)
    for label in ("Time on each highlight", "Dwell time", "High contrast", "Speech rate",
                  "Default", "CC0-1.0"):
        assert label in settings


def test_saved_settings_reach_the_pupil_page_and_survive_a_restart(app, unlocked):
    response = save(unlocked, input="switch-auto", scan_step="1.5", first_step="3",
                    theme="high-contrast", text_size="large", reduced_motion=True,
                    speech_rate="slow")
    assert response.status_code == 303 and response.location.endswith("/kiosk/settings?saved=1")
    assert "Saved." in unlocked.get(response.location).get_data(as_text=True)
    page = unlocked.get("/kiosk").get_data(as_text=True)
    assert 'data-input="switch-auto" data-theme="high-contrast" data-text-size="large"' in page
    data = journey(unlocked)
    assert data["access"]["scan_step"] == 1.5 and data["access"]["reduced_motion"] is True

    # A new server process on the same database: the kiosk keeps its settings.
    again = create_app({"TESTING": True, "DATABASE": app.config["DATABASE"], "VOSK_MODEL": ""})
    device = again.test_client()
    device.set_cookie("kiosk_device", unlocked.get_cookie("kiosk_device").value)
    assert journey(device)["access"]["theme"] == "high-contrast"


def test_each_kiosk_has_its_own_settings(app, unlocked):
    save(unlocked, theme="high-contrast")
    other = kiosk_device(app, "Corridor kiosk")
    assert journey(other)["access"]["theme"] == "standard"


@pytest.mark.parametrize("changes, message", [
    ({"scan_step": "0.5"}, "scan_step: 0.5 is outside 0.75 to 5 seconds"),
    ({"scan_step": "6"}, "scan_step: 6 is outside 0.75 to 5 seconds"),
    ({"scan_step": "fast"}, "scan_step: 'fast' is not a number"),
    ({"dwell_ms": "100"}, "dwell_ms: 100 is outside 300 to 5000 milliseconds"),
    ({"scan_rounds": "2.5"}, "scan_rounds: use a whole number of rounds"),
    ({"input": "mind-reading"}, "input: 'mind-reading' is not one of"),
    ({"theme": "neon"}, "theme: 'neon' is not one of"),
    ({"symbol_pack": "../secret"}, "symbol_pack: '../secret' is not installed"),
    ({"language": "xx"}, "language: 'xx' has no translation here"),
    ({"move_key": "Enter", "choose_key": "Enter"}, "must be different keys"),
    ({"scan_step": "4", "first_step": "2"}, "first_step must be at least as long"),
])
def test_a_bad_setting_is_refused_and_nothing_changes(app, unlocked, changes, message):
    save(unlocked, theme="high-contrast")
    before = rows(app, "SELECT settings FROM kiosks")
    response = save(unlocked, **{"theme": "standard", **changes})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Not saved: " in page and message.replace("'", "&#39;") in page
    assert rows(app, "SELECT settings FROM kiosks") == before
    assert journey(unlocked)["access"]["theme"] == "high-contrast"


def test_changes_are_audited_without_the_pin(app, unlocked):
    save(unlocked, input="dwell", dwell_ms="1500")
    entry = rows(app, "SELECT * FROM audit WHERE action = 'kiosk.settings_changed'")[-1]
    assert entry["actor"] == "staff PIN on kiosk: Test kiosk"
    assert json.loads(entry["detail"])["changed"] == {"input": "dwell", "dwell_ms": 1500}
    assert PIN not in json.dumps(entry)


def test_saving_needs_the_csrf_token(unlocked):
    response = unlocked.post("/kiosk/settings", data=form(theme="high-contrast"))
    assert response.status_code in (400, 403)
    assert journey(unlocked)["access"]["theme"] == "standard"


def test_a_pupil_can_ask_for_slower_and_bigger_and_another_language(client):
    normal = client.get("/api/kiosk/journey").get_json()
    slower = client.get("/api/kiosk/journey?slower=1&bigger=1").get_json()
    assert slower["pupil"] == {"slower": True, "bigger": True}
    assert slower["access"]["scan_step"] == normal["access"]["scan_step"] * 1.5
    assert slower["access"]["dwell_ms"] == normal["access"]["dwell_ms"] * 1.5
    # Slower speech is rendered at a slower rate: a different recording.
    assert normal["pages"]["safe"]["prompt"]["audio"] != slower["pages"]["safe"]["prompt"]["audio"]
    assert client.get(slower["pages"]["safe"]["prompt"]["audio"]).status_code == 200
    unknown = client.get("/api/kiosk/journey?lang=xx")
    assert unknown.status_code == 404 and "no translation" in unknown.get_json()["error"]


def test_slower_speech_is_really_slower(client):
    """The same phrase at the pupil's slower pace takes longer to say."""
    import wave
    from io import BytesIO

    def seconds(url):
        with wave.open(BytesIO(client.get(url).data)) as wav:
            return wav.getnframes() / wav.getframerate()

    normal = client.get("/api/kiosk/journey").get_json()["pages"]["safe"]["prompt"]["audio"]
    slower = client.get("/api/kiosk/journey?slower=1").get_json()["pages"]["safe"]["prompt"]["audio"]
    assert seconds(slower) > seconds(normal) * 1.1


def test_a_removed_pack_or_language_falls_back_rather_than_breaking_the_kiosk():
    kiosk = {"settings": json.dumps({"symbol_pack": "gone", "language": "zz"})}
    settings = kiosk_settings.for_kiosk(kiosk, "default", ["default"], {"en": None})
    assert settings["symbol_pack"] == "default" and settings["language"] == "en"


@pytest.mark.parametrize("code", ["pl", "ur", "cy", "ar"])
def test_each_language_is_spoken_by_its_own_voice(client, code):
    """The journey in another language: its words on screen and rendered speech to play."""
    import wave
    from io import BytesIO

    data = client.get(f"/api/kiosk/journey?lang={code}").get_json()
    english = client.get("/api/kiosk/journey").get_json()
    assert data["lang"] == code and data["dir"] == ("rtl" if code in ("ur", "ar") else "ltr")
    prompt = data["pages"]["safe"]["prompt"]
    assert prompt["text"] != english["pages"]["safe"]["prompt"]["text"]
    response = client.get(prompt["audio"])
    assert response.status_code == 200
    with wave.open(BytesIO(response.data)) as wav:
        assert wav.getnframes() / wav.getframerate() > 0.8  # real speech, not silence
    assert data["voice"]["pages"] == {}  # answering by voice is English only: no Speak button
