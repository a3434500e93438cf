"""Hearing back's pictures and words for the kiosk page, built as journey.py builds words:
shown text, an audio URL in the right voice, a symbol URL.

Kept apart from journey.py so that it can call this without an import circle; a string
the pupil's language lacks is shown and spoken in English, as everywhere in the journey.
"""
from flask import url_for

from ..content import hearing_back as content


def _symbol(symbols, concept, pack):
    found = symbols.locate(concept, pack) if concept else None
    return url_for("pupil.symbol", pack=found[0], file_name=found[1]) if found else ""


def _said(speaker, catalogue, name, english):
    """(text, audio) of a picture or word in the pupil's language, else English."""
    key = catalogue.key(name)
    if key in speaker.language.strings:
        text, say = speaker.language.strings[key]
        return text, speaker.audio(say, "own")
    return english.text, speaker.audio(english.say, "english")


def journey_words(speaker, symbols, pack, catalogue=None):
    """{"pictures": [{id, label, symbol, audio}], "words": {name: {text, audio, symbol}}}."""
    catalogue = catalogue or content.catalogue()
    pictures = []
    for pid, words in catalogue.pictures.items():
        label, audio = _said(speaker, catalogue, pid, words)
        pictures.append({"id": pid, "label": label, "audio": audio,
                         "symbol": _symbol(symbols, words.concept, pack)})
    shown = {}
    for name, words in catalogue.words.items():
        text, audio = _said(speaker, catalogue, name, words)
        shown[name] = {"text": text, "audio": audio,
                       "symbol": _symbol(symbols, words.concept, pack)}
    return {"pictures": pictures, "words": shown}
