"""The journey as the kiosk page needs it: words, symbol and audio URLs, scan order; no logic.

Built for one kiosk's settings and one language. A string the language lacks is
shown in English and spoken by the English voice: English words in a Polish voice
would be neither language.
"""
from dataclasses import dataclass

from flask import url_for

from ..devices import settings as kiosk_settings
from ..content import body_page, scan
from ..content.translations import ENGLISH
from .hearing_back_words import journey_words

ACCESS_KEYS = ("input", "scan_step", "first_step", "scan_rounds", "accept_ms", "debounce_ms",
               "move_key", "choose_key", "wait_for_speech", "dwell_ms", "text_size", "theme",
               "reduced_motion")
SLOWER = 1.5  # a pupil's "slower" tile stretches scanning and dwell times by this much


@dataclass
class Speaker:
    """Turns a string key into shown text and an audio URL in the right voice."""
    language: object
    english: object  # the fallback for strings the language lacks
    voices: dict    # "own" / "english" -> voice name
    rate: int
    speech: object

    def words(self, key):
        own = key in self.language.strings
        text, say = (self.language.strings if own else self.english.strings)[key]
        return text, self.audio(say, "own" if own else "english")

    def audio(self, say, which="own"):
        if not say:
            return ""
        voice = self.voices[which]
        cache_key = self.speech.register([say], voice, self.rate)[say]
        return url_for("pupil.audio", key=cache_key)


def _voice(language, default_voice, variant):
    base = language.voice or default_voice
    return f"{base}+{variant}" if variant else base


def _words(speaker, key, concept, symbols, pack):
    text, audio = speaker.words(key)
    item = {"text": text, "audio": audio}
    if concept:
        item["symbol"] = symbol_url(symbols, concept, pack)
    return item


def symbol_url(symbols, concept, pack=None):
    """Where the device fetches the symbol for a concept (the default pack fills gaps)."""
    found_pack, file_name = symbols.locate(concept, pack)
    return url_for("pupil.symbol", pack=found_pack, file_name=file_name)


def _page(page, speaker, symbols, pack):
    def words(part, w):
        return _words(speaker, f"pages.{page.id}.{part}", w.concept, symbols, pack)

    tiles = []
    for tile in page.tiles:
        label, audio = speaker.words(f"pages.{page.id}.tiles.{tile.id}")
        tiles.append({"id": tile.id, "label": label, "audio": audio,
                      "symbol": symbol_url(symbols, tile.concept, pack), "go": tile.go,
                      "opens": tile.opens, "about": tile.about,
                      # W3C WAI-Adapt symbols: the Bliss concept number, so AAC software
                      # and other packs can recognise the tile's meaning.
                      "bliss": symbols.bliss(tile.concept)})
    data = {"id": page.id, "kind": page.kind, "field": page.field,
            "someone_else": _someone_else(page, speaker, symbols, pack),
            "send_now": page.send_now,
            "prompt": words("prompt", page.prompt),
            "note": words("note", page.note) if page.note else None,
            "show_if": list(page.show_if), "tiles": tiles,
            # "Send now" takes a place in the grid, so the rows are laid out with it.
            "columns": scan.columns_for(len(page.tiles) + (1 if page.send_now else 0))}
    if page.kind == body_page.KIND:
        data.update(_body_picture(page, speaker))
    return data


def _body_picture(page, speaker):
    """A body page's picture: its sides (captions) and places, each place's shapes in
    the picture's units, its name shown and spoken in the pupil's language."""
    def named(part, item_id):
        text, audio = speaker.words(f"pages.{page.id}.{part}.{item_id}")
        return {"id": item_id, "text": text, "audio": audio}

    return {"picture": {"width": body_page.WIDTH, "height": body_page.HEIGHT},
            "sides": [named("sides", side.id) for side in page.sides],
            "places": [dict(named("places", place.id), shapes=[
                {"side": s.side, "box": list(s.box), "shape": s.shape} for s in place.shapes])
                for place in page.places]}


def _someone_else(page, speaker, symbols, pack):
    """The page's words when the worry is about another child, or None: the kiosk shows
    these instead of the page's own (tiles it does not name keep their words)."""
    variant = page.someone_else
    if not variant:
        return None
    shown = {"tiles": {}}
    for part in ("prompt", "note"):
        if part in variant:
            shown[part] = _words(speaker, f"pages.{page.id}.someone_else.{part}",
                                 variant[part].concept, symbols, pack)
    for tile_id in variant["tiles"]:
        label, audio = speaker.words(f"pages.{page.id}.someone_else.tiles.{tile_id}")
        shown["tiles"][tile_id] = {"label": label, "audio": audio}
    return shown


def _languages(content, symbols, speech, settings, rate, pack):
    """The language page's tiles: each language's own name, spoken in its own voice."""
    tiles = []
    for code, language in content.languages.items():
        voice = _voice(language, speech.voice, settings["voice_variant"])
        key = speech.register([language.name], voice, rate)[language.name]
        concept = f"language_{code}" if symbols.has(f"language_{code}") else "language"
        tiles.append({"id": code, "label": language.name, "dir": language.direction,
                      "lang": code, "audio": url_for("pupil.audio", key=key),
                      "symbol": symbol_url(symbols, concept, pack)})
    return tiles


def journey_data(svc, settings, timing, limits, language=None, slower=False, bigger=False):
    """Everything the kiosk page needs to run the journey offline once loaded."""
    content, symbols, speech = svc.content, svc.symbols, svc.speech
    code = language if language in content.languages else settings["language"]
    lang = content.languages[code]
    rate = kiosk_settings.speech_rate(settings, speech.rate, slower)
    variant = settings["voice_variant"]
    speaker = Speaker(lang, content.languages[ENGLISH],
                      {"own": _voice(lang, speech.voice, variant),
                       "english": _voice(content.languages[ENGLISH], speech.voice, variant)},
                      rate, speech)
    pack = settings["symbol_pack"]
    access = {k: settings[k] for k in ACCESS_KEYS}
    if slower:
        for k in ("scan_step", "first_step", "dwell_ms"):
            access[k] = round(access[k] * SLOWER, 2)
    screens = {k: _words(speaker, f"screens.{k}", w.concept, symbols, pack)
               for k, w in content.screens.items()}
    pages = {pid: _page(p, speaker, symbols, pack) for pid, p in content.pages.items()}
    languages = _languages(content, symbols, speech, settings, rate, pack)
    hearing = journey_words(speaker, symbols, pack)
    pictures = hearing["pictures"]
    pages[scan.HEARING_PAGE] = {
        "id": scan.HEARING_PAGE, "kind": "hearing", "field": "",
        "prompt": hearing["words"]["enter"], "note": None, "show_if": [], "tiles": pictures,
        "columns": scan.columns_for(len(pictures))}
    pages[scan.LANGUAGE_PAGE] = {
        "id": scan.LANGUAGE_PAGE, "kind": "language", "field": "",
        "prompt": screens["choose_language"], "note": None, "show_if": [], "tiles": languages,
        "columns": scan.columns_for(len(languages))}
    return {
        "lang": code, "dir": lang.direction,
        "flow": content.flow,
        "pages": pages,
        "controls": {k: _words(speaker, f"controls.{k}", w.concept, symbols, pack)
                     for k, w in content.controls.items()},
        "screens": screens,
        "scan": scan.all_scans(content, list(content.languages), [p["id"] for p in pictures]),
        "hearing_back": hearing["words"],
        "access": access,
        "pupil": {"slower": slower, "bigger": bigger},
        "timing": timing,
        "limits": limits,  # the server's own limits, so the text box stops where it would
        # Pages a pupil may answer by speaking (recognition is in English only), and
        # what the page loads to listen.
        "voice": {
            "pages": {pid: mode for pid in content.pages
                      if code == ENGLISH and (mode := content.voice_mode(pid))},
            "socket_script": url_for("static", filename="vendor/socket.io.min.js"),
            "worklet": url_for("pupil.static", filename="microphone.js"),
        },
        "journey_url": url_for("pupil.journey"),
    }
