"""Easy-read checks on the words pupils see and hear: short sentences, one idea each, few choices.

The loader (content.py) refuses content the kiosk cannot run; these rules catch content
that runs but is hard for a pupil with learning difficulties to follow. Each problem
names the file and the item's key (as in translations.py: `pages.what.tiles.hurt`,
`screens.thanks`) so whoever edits the content can find and rewrite it.
"""
import re
from dataclasses import dataclass
from pathlib import Path

from .loading import MAX_MAIN_CHOICES
from .translations import ENGLISH, string_keys

MAX_SENTENCE_WORDS = 15
# Full stops and question marks, including the Urdu/Arabic full stop and question mark.
SENTENCE_END = re.compile(r"[.!?\u06d4\u061f]+")
CONJUNCTIONS = {"and", "but", "because", "so", "then", "or", "if"}
ENGLISH_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class Problem:
    file: str
    key: str   # pages.<page>, pages.<page>.prompt, pages.<page>.tiles.<tile>, controls.<name>, ...
    rule: str  # sentence-length | one-idea | symbol-text-audio | main-choices
    message: str

    def __str__(self):
        return f"{self.file}: {self.key}: {self.message} [{self.rule}]"


def sentences(text):
    """The sentences of a string, each stripped; empty pieces dropped."""
    return [s.strip() for s in SENTENCE_END.split(text) if s.strip()]


def too_long(sentence):
    # Words are counted by whitespace, so a script written without spaces between
    # words counts as one word a phrase; the rule is for languages that use spaces.
    return len(sentence.split()) > MAX_SENTENCE_WORDS


def more_than_one_idea(sentence):
    """A heuristic, not grammar: a semicolon, or two or more joining words, in one sentence.

    It flags long compound sentences ("I was sad and I went home because ...") for a
    person to rewrite as short ones. It can flag a sentence that is fine ("you can stop
    and then start again"); that sentence is still easier read as two.
    """
    if ";" in sentence:
        return True
    words = ENGLISH_WORD.findall(sentence.lower())
    return sum(word in CONJUNCTIONS for word in words) > 1


def _sentence_problems(file, key, parts, english):
    """parts: [(where, string)], e.g. [("text", ...), ("say", ...)]; identical ones once."""
    problems = []
    for where, string in _merge_identical(parts):
        for sentence in sentences(string):
            if too_long(sentence):
                problems.append(Problem(file, key, "sentence-length",
                                        f"{where}: \"{sentence}\" has {len(sentence.split())} "
                                        f"words; use at most {MAX_SENTENCE_WORDS} a sentence"))
            if english and more_than_one_idea(sentence):
                problems.append(Problem(file, key, "one-idea",
                                        f"{where}: \"{sentence}\" has more than one idea; "
                                        "split it into short sentences"))
    return problems


def _merge_identical(parts):
    """[("label", "Yes"), ("say", "Yes")] -> [("label and say", "Yes")]: report a fault once."""
    merged = {}
    for where, string in parts:
        if string:
            merged[string] = f"{merged[string]} and {where}" if string in merged else where
    return [(where, string) for string, where in merged.items()]


def _file_for(content, key):
    """The file an item comes from: pages.toml (or the page's board), or messages.toml."""
    section, _, rest = key.partition(".")
    name = "pages" if section == "pages" else "messages"
    if name not in content.files:  # content built in code, not read from a folder
        return f"{name}.toml"
    path = Path(content.files[name])
    board = path.parent / "boards" / f"{rest.partition('.')[0]}.toml"
    return str(board if name == "pages" and board.exists() else path)


def _is_tile_key(key):
    return key.startswith("pages.") and ".tiles." in key


def _english_problems(content):
    problems = []
    for key, (text, say) in string_keys(content).items():
        shown = "label" if _is_tile_key(key) else "text"
        problems += _sentence_problems(_file_for(content, key), key,
                                       [(shown, text), ("say", say)], english=True)
    return problems


def _page_problems(content, symbols):
    problems = []
    for page in content.pages.values():
        file = _file_for(content, f"pages.{page.id}")
        if len(page.tiles) > MAX_MAIN_CHOICES:
            problems.append(Problem(file, f"pages.{page.id}", "main-choices",
                                    f"{len(page.tiles)} choices; a page has at most "
                                    f"{MAX_MAIN_CHOICES}"))
        for tile in page.tiles:
            lacking = [what for what, present in (
                ("text (label)", tile.label.strip()), ("audio (say)", tile.say.strip()),
                ("symbol (concept)", _has_symbol(tile.concept, symbols))) if not present]
            if lacking:
                problems.append(Problem(file, f"pages.{page.id}.tiles.{tile.id}",
                                        "symbol-text-audio",
                                        f"every tile needs a symbol, text and audio; "
                                        f"this one has no {', no '.join(lacking)}"))
    return problems


def _has_symbol(concept, symbols):
    if not concept.strip():
        return False
    return symbols is None or symbols.has(concept)


def _translation_problems(languages):
    """Translations are shown and spoken to pupils too; only the length rule is language-free."""
    problems = []
    for language in languages.values():
        if language.code == ENGLISH:
            continue
        file = str(language.path or f"{language.code}.toml")
        for key, (text, say) in language.strings.items():
            shown = "label" if _is_tile_key(key) else "text"
            problems += _sentence_problems(file, key, [(shown, text), ("say", say)],
                                           english=False)
    return problems


def check(content, languages=None, symbols=None):
    """Every easy-read problem in the content and its translations (default: content.languages)."""
    languages = content.languages if languages is None else languages
    return (_english_problems(content) + _page_problems(content, symbols)
            + _translation_problems(languages))
