"""How one kiosk is set up for the pupils who use it: input method, timings, look, speech.

Settings belong to the kiosk (a JSON column on its row), so they survive restarts
and a switch user's kiosk stays a switch user's kiosk. Every value is checked here;
the pupil page only reads them.
"""
import json
from dataclasses import dataclass

from .. import audit
from ..db import writing

INPUTS = {
    "touch": "Touch (tap a tile)",
    "switch-auto": "One switch: auto scanning (the highlight moves by itself)",
    "switch-manual": "Two switches: one moves the highlight, one chooses",
    "dwell": "Eye gaze or head pointer: look at a tile to choose it (dwell)",
}
KEYS = {"Space": "Space", "Enter": "Enter", "1": "1", "2": "2", "ArrowRight": "Right arrow",
        "ArrowDown": "Down arrow", "F7": "F7", "F8": "F8"}
RATES = {"normal": "Normal", "slow": "Slow", "slower": "Slower still"}
RATE_FACTORS = {"normal": 1.0, "slow": 0.8, "slower": 0.65}  # of the server's speech rate
VOICES = {"": "The language's own voice", "f3": "Higher voice", "m3": "Lower voice"}
TEXT_SIZES = {"normal": "Normal", "large": "Large", "largest": "Largest"}
THEMES = {"standard": "Standard", "high-contrast": "High contrast (yellow on black)"}


@dataclass(frozen=True)
class Number:
    low: float
    high: float
    unit: str
    whole: bool = False


NUMBERS = {
    "scan_step": Number(0.75, 5.0, "seconds"),         # how long each highlight stays
    "first_step": Number(0.75, 10.0, "seconds"),       # the first highlight, to get ready
    "scan_rounds": Number(1, 10, "rounds", True),      # then scanning pauses until a press
    "accept_ms": Number(0, 2000, "milliseconds", True),   # hold this long to count (tremor)
    "debounce_ms": Number(0, 2000, "milliseconds", True),  # ignore presses this soon after
    "dwell_ms": Number(300, 5000, "milliseconds", True),  # look this long to choose
}
CHOICES = {"input": INPUTS, "move_key": KEYS, "choose_key": KEYS, "speech_rate": RATES,
           "voice_variant": VOICES, "text_size": TEXT_SIZES, "theme": THEMES}
SWITCHES = ("wait_for_speech", "reduced_motion")

DEFAULTS = {
    "input": "touch", "scan_step": 2.0, "first_step": 3.0, "scan_rounds": 3, "accept_ms": 0,
    "debounce_ms": 300, "move_key": "Space", "choose_key": "Enter", "wait_for_speech": True,
    "dwell_ms": 1000, "symbol_pack": "", "language": "en", "speech_rate": "normal",
    "voice_variant": "", "text_size": "normal", "theme": "standard", "reduced_motion": False,
}


class SettingsError(ValueError):
    """A setting a kiosk cannot take; the message says which and what is allowed."""


def _number(name, raw):
    rule = NUMBERS[name]
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise SettingsError(f"{name}: '{raw}' is not a number") from None
    if not rule.low <= value <= rule.high:
        raise SettingsError(f"{name}: {raw} is outside {rule.low:g} to {rule.high:g} {rule.unit}")
    if rule.whole:
        if value != int(value):
            raise SettingsError(f"{name}: use a whole number of {rule.unit}")
        return int(value)
    return round(value, 2)


def parse(form, packs, languages):
    """Checked settings from a submitted form; every field must be present and valid.

    `packs` and `languages` are what is installed, so a kiosk never points at a
    symbol pack or language the server cannot serve.
    """
    settings = {}
    for name, allowed in CHOICES.items():
        value = form.get(name, "")
        if value not in allowed:
            raise SettingsError(f"{name}: '{value}' is not one of {', '.join(allowed) or '(none)'}")
        settings[name] = value
    for name in NUMBERS:
        settings[name] = _number(name, form.get(name, ""))
    for name in SWITCHES:
        settings[name] = form.get(name) in ("on", "true", "1", True)
    if form.get("symbol_pack") not in packs:
        raise SettingsError(f"symbol_pack: '{form.get('symbol_pack')}' is not installed")
    settings["symbol_pack"] = form["symbol_pack"]
    if form.get("language") not in languages:
        raise SettingsError(f"language: '{form.get('language')}' has no translation here")
    settings["language"] = form["language"]
    if settings["move_key"] == settings["choose_key"]:
        raise SettingsError("move_key and choose_key must be different keys")
    if settings["first_step"] < settings["scan_step"]:
        raise SettingsError("first_step must be at least as long as scan_step")
    return settings


def for_kiosk(kiosk, default_pack, packs=None, languages=None):
    """The kiosk's settings over the defaults; anything no longer installed falls back."""
    stored = {}
    if kiosk is not None and kiosk.get("settings"):
        stored = json.loads(kiosk["settings"])
    settings = {**DEFAULTS, "symbol_pack": default_pack, **stored}
    if packs is not None and settings["symbol_pack"] not in packs:
        settings["symbol_pack"] = default_pack  # a pack was removed: never a blank tile
    if languages is not None and settings["language"] not in languages:
        settings["language"] = DEFAULTS["language"]
    return settings


def save(db, kiosk, settings, now, actor):
    """Store the kiosk's settings and audit which ones changed (never their reasons)."""
    before = for_kiosk(kiosk, settings["symbol_pack"])
    changed = sorted(k for k in settings if before.get(k) != settings[k])
    with writing(db):
        db["kiosks"].update(kiosk["id"], {"settings": json.dumps(settings, sort_keys=True)})
        audit.record(db, "kiosk.settings_changed", at=now, actor=actor,
                     target=f"kiosk:{kiosk['id']}",
                     detail={"changed": {k: settings[k] for k in changed}})
    return changed


def speech_rate(settings, base_rate, slower=False):
    """Words per minute for this kiosk; a pupil's "slower" tile takes it one step down."""
    order = list(RATES)
    step = order.index(settings["speech_rate"])
    if slower:
        step = min(step + 1, len(order) - 1)
    return round(base_rate * RATE_FACTORS[order[step]])
