"""Translations of the pupil's words: content/translations/<code>.toml, English as fallback.

Every shown or spoken string of the journey has a key: `pages.<page>.prompt`,
`pages.<page>.note`, `pages.<page>.tiles.<tile>`, `controls.<name>`, `screens.<name>`;
a body page's `pages.<page>.places.<place>` and `pages.<page>.sides.<side>` (with `text`).
A translation gives some or all of them; what it lacks is shown and spoken in English,
and `check-content` lists it. Ids, concepts and rules are never translated, so every
language builds the same report.
"""
import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DIRECTIONS = ("ltr", "rtl")
NAMED_PARTS = {"tiles": "tile", "places": "place", "sides": "side"}  # part -> what it is
ENGLISH = "en"


class TranslationError(Exception):
    """A translation file that cannot be used; the message names the file and key."""


@dataclass(frozen=True)
class Language:
    code: str          # BCP 47 tag used on the page: "pl", "ur", "cy"
    name: str          # the language's own name for itself, shown to pupils
    english_name: str  # for staff: settings, the dashboard
    direction: str     # "ltr" or "rtl"
    voice: str         # espeak-ng voice; "" means the server's configured voice
    strings: dict = field(default_factory=dict)         # key -> (text, say)
    urgency_words: dict = field(default_factory=dict)   # rule id -> phrases
    path: Path | None = None


def string_keys(content):
    """Every translatable key of the content, in journey order, with its English (text, say)."""
    keys = {}
    for page in content.pages.values():
        keys[f"pages.{page.id}.prompt"] = (page.prompt.text, page.prompt.say)
        if page.note:
            keys[f"pages.{page.id}.note"] = (page.note.text, page.note.say)
        for tile in page.tiles:
            keys[f"pages.{page.id}.tiles.{tile.id}"] = (tile.label, tile.say)
        for place in page.places:  # a body page's places: named like tiles
            keys[f"pages.{page.id}.places.{place.id}"] = (place.label, place.say)
        for side in page.sides:
            keys[f"pages.{page.id}.sides.{side.id}"] = (side.text, side.say)
        variant = page.someone_else or {}
        for part in ("prompt", "note"):
            if part in variant:
                keys[f"pages.{page.id}.someone_else.{part}"] = (variant[part].text,
                                                                 variant[part].say)
        for tile_id, words in variant.get("tiles", {}).items():
            keys[f"pages.{page.id}.someone_else.tiles.{tile_id}"] = words
    for section in ("controls", "screens"):
        for name, words in getattr(content, section).items():
            keys[f"{section}.{name}"] = (words.text, words.say)
    return keys


def english(content, voice=""):
    return Language(ENGLISH, "English", "English", "ltr", voice, string_keys(content))


def _entry(where, value, shown):
    """A {text|label, say} table -> (text, say); say may be "" only where English's is."""
    if not isinstance(value, dict):
        raise TranslationError(f"{where}: expected {{ {shown} = ..., say = ... }}")
    unknown = sorted(set(value) - {shown, "say"})
    if unknown:
        raise TranslationError(f"{where}: unknown key '{unknown[0]}'")
    text, say = value.get(shown), value.get("say")
    if not isinstance(text, str) or not text.strip():
        raise TranslationError(f"{where}: missing or empty '{shown}'")
    if not isinstance(say, str):
        raise TranslationError(f"{where}: missing 'say' (the words spoken)")
    return text, say


def _page_strings(path, pages, known, variant=""):
    strings = {}
    for page_id, table in pages.items():
        where = f"{path}: pages.{page_id}{variant}"
        if not isinstance(table, dict):
            raise TranslationError(f"{where}: expected a table")
        for part, value in table.items():
            if part == "someone_else" and not variant:  # the wording about another child
                strings.update(_page_strings(path, {page_id: value}, known, ".someone_else"))
            elif part in NAMED_PARTS:  # tiles; a body page's places and sides
                if not isinstance(value, dict):
                    raise TranslationError(f"{where}.{part}: expected a table of id = {{...}}")
                for item_id, words in value.items():
                    key = f"pages.{page_id}{variant}.{part}.{item_id}"
                    if key not in known:
                        raise TranslationError(f"{path}: {key}: no such "
                                               f"{NAMED_PARTS[part]} in the content")
                    strings[key] = _entry(f"{path}: {key}", words,
                                          "label" if part == "tiles" else "text")
            else:
                key = f"pages.{page_id}{variant}.{part}"
                if key not in known:
                    raise TranslationError(f"{path}: {key}: no such page or part in the content")
                strings[key] = _entry(f"{path}: {key}", value, "text")
    return strings


def load_language(path, known, rule_ids):
    """Read one translation file, checking every key names something in the content."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise TranslationError(f"{path}: {exc}") from None
    allowed = {"schema", "code", "name", "english_name", "direction", "voice", "pages",
               "controls", "screens", "urgency_words", "hearing_back"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise TranslationError(f"{path}: unknown key '{unknown[0]}'")
    if data.get("schema") != 1:
        raise TranslationError(f"{path}: schema must be 1")
    for key in ("code", "name", "english_name", "voice"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise TranslationError(f"{path}: missing or empty '{key}'")
    if data["code"] != Path(path).stem:
        raise TranslationError(f"{path}: code '{data['code']}' must match the file name")
    direction = data.get("direction", "ltr")
    if direction not in DIRECTIONS:
        raise TranslationError(f"{path}: direction must be 'ltr' or 'rtl'")
    strings = _page_strings(path, data.get("pages", {}), known)
    for section in ("controls", "screens"):
        for name, value in data.get(section, {}).items():
            key = f"{section}.{name}"
            if key not in known:
                raise TranslationError(f"{path}: {key}: no such entry in messages.toml")
            strings[key] = _entry(f"{path}: {key}", value, "text")
    # Hearing back's pictures and words (content/hearing_back.toml checks the names).
    for name, value in data.get("hearing_back", {}).items():
        strings[f"hearing_back.{name}"] = _entry(f"{path}: hearing_back.{name}", value, "text")
    words = {}
    for rule_id, phrases in data.get("urgency_words", {}).items():
        if rule_id not in rule_ids:
            raise TranslationError(f"{path}: urgency_words.{rule_id}: no rule with that id")
        if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip()
                                                    for p in phrases):
            raise TranslationError(f"{path}: urgency_words.{rule_id}: expected a list of phrases")
        words[rule_id] = tuple(p.casefold() for p in phrases)
    return Language(data["code"], data["name"], data["english_name"], direction, data["voice"],
                    strings, words, Path(path))


def load_languages(folder, content, english_voice=""):
    """{code: Language}, English first, then each translation file in name order."""
    known = string_keys(content)
    languages = {ENGLISH: english(content, english_voice)}
    folder = Path(folder)
    if folder.is_dir():
        rule_ids = {rule.id for rule in content.rules}
        for path in sorted(folder.glob("*.toml")):
            language = load_language(path, known, rule_ids)
            if language.code in languages:
                raise TranslationError(f"{path}: language '{language.code}' is defined twice")
            languages[language.code] = language
    return languages


def missing(content, language):
    """Keys the language lacks (shown in English instead), in journey order."""
    return [key for key in string_keys(content) if key not in language.strings]


def localise(content, language):
    """(pages, controls, screens) in `language`, each string falling back to English."""
    strings = language.strings

    def words(key, original):
        text, say = strings.get(key, (original.text, original.say))
        # An English phrase spoken in another voice is worse than silence for the
        # pupil; it is kept so that the English audio plays instead (see journey.py).
        return dataclasses.replace(original, text=text, say=say)

    pages = {}
    for page in content.pages.values():
        tiles = tuple(dataclasses.replace(tile, label=label, say=say)
                      for tile in page.tiles
                      for label, say in [strings.get(f"pages.{page.id}.tiles.{tile.id}",
                                                     (tile.label, tile.say))])
        pages[page.id] = dataclasses.replace(
            page, prompt=words(f"pages.{page.id}.prompt", page.prompt),
            note=words(f"pages.{page.id}.note", page.note) if page.note else None, tiles=tiles)
    controls = {k: words(f"controls.{k}", w) for k, w in content.controls.items()}
    screens = {k: words(f"screens.{k}", w) for k, w in content.screens.items()}
    return pages, controls, screens

