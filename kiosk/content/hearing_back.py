"""Hearing back's content: the pictures a code is made of and the words a kiosk says,
from content/hearing_back.toml (a school's content folder, else the one shipped).

Pictures and words share one list of names, so a translation's [hearing_back] section
names each with one key (translations.py reads it as `hearing_back.<name>`).
"""
from dataclasses import dataclass
from pathlib import Path
from . import files as content_files

FILE = "hearing_back.toml"
WORDS = ("ask", "enter", "remember", "read", "talk", "waiting", "unknown", "locked")
CODE_LENGTH = 3
MIN_PICTURES = 6  # fewer would leave too few codes to keep them apart and hard to guess


class HearingBackError(ValueError):
    """A hearing_back.toml the kiosk cannot use; the message names the file and key."""


@dataclass(frozen=True)
class Words:
    text: str     # shown
    say: str      # spoken
    concept: str  # the symbol beside it ("" for none)


@dataclass(frozen=True)
class HearingBack:
    pictures: dict  # id -> Words, in the file's order
    words: dict     # name -> Words

    def key(self, name):
        """The translation key of a picture or a word."""
        return f"hearing_back.{name}"


def _words(where, value):
    if not isinstance(value, dict) or set(value) - {"text", "say", "concept"}:
        raise HearingBackError(f"{where}: expected {{ text = ..., say = ..., concept = ... }}")
    text, say, concept = (value.get(k, "") for k in ("text", "say", "concept"))
    if not all(isinstance(v, str) for v in (text, say, concept)) or not text.strip():
        raise HearingBackError(f"{where}: 'text', 'say' and 'concept' must be text; "
                               "'text' is needed")
    return Words(text.strip(), say.strip(), concept.strip())


def parse(data, where=FILE):
    """The pictures and words of one file; HearingBackError naming the fault."""
    if data.get("schema") != 1:
        raise HearingBackError(f"{where}: schema = 1 is needed at the top")
    pictures = {pid: _words(f"{where}: pictures.{pid}", value)
                for pid, value in (data.get("pictures") or {}).items()}
    if len(pictures) < MIN_PICTURES:
        raise HearingBackError(f"{where}: at least {MIN_PICTURES} [pictures] are needed")
    if any(not p.concept for p in pictures.values()):
        raise HearingBackError(f"{where}: every picture needs a concept (its symbol)")
    words = {name: _words(f"{where}: words.{name}", value)
             for name, value in (data.get("words") or {}).items()}
    lacking = [name for name in WORDS if name not in words]
    if lacking:
        raise HearingBackError(f"{where}: words.{lacking[0]} is needed")
    unknown = sorted(set(words) - set(WORDS)) + sorted(set(words) & set(pictures))
    if unknown:
        raise HearingBackError(f"{where}: words.{unknown[0]}: not a hearing-back word "
                               "(or the name of a picture too)")
    return HearingBack(pictures, words)


def load(content_dir=None):
    """The school's hearing-back content (its content folder's, else the shipped), read once."""
    return content_files.load(content_dir, FILE, parse, HearingBackError)


def catalogue():
    """The running app's hearing-back content (or the shipped one outside an app)."""
    from flask import current_app, has_app_context
    return load(current_app.config.get("CONTENT_DIR") if has_app_context() else None)
