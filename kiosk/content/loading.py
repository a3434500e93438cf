"""Load the pupil journey, kiosk words and urgency rules from content/, and check them."""
import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import body_page
from .matching import compile_rules
from .translations import TranslationError, load_languages
from ..voice.phrases import clashes, page_phrases

MAX_MAIN_CHOICES = 5
PAGE_KINDS = {"start", "choice", "multi", "text", "review", "urgent", body_page.KIND}
ANSWER_KINDS = {"choice", "multi"}  # pages whose tile choices are part of a report
# Pages whose answers go into a report: tiles, and the body page's places ("page:place").
REPORTED_KINDS = ANSWER_KINDS | {body_page.KIND}
SCHOOL_SETTINGS = {"pupils_under_13", "special_school"}
LEVELS = ("same-day", "urgent")  # in rising order
# Roles a page can play that code relies on, so no page id is written in code:
# "categories" pages' answers are what happened (the dashboard's "What", the counts).
PAGE_ROLES = {"categories": ANSWER_KINDS}
# Kinds a journey must have one page of: the review before sending, the urgent page.
REQUIRED_KINDS = ("review", "urgent")
REQUIRED_CONTROLS = ("back", "get_adult", "hide", "next", "send", "change", "more_time",
                     "done", "try_again", "listen", "speak", "stop_listening", "heard_right",
                     "heard_wrong", "language", "slower", "bigger")
REQUIRED_SCREENS = ("title", "thanks", "thanks_anonymous", "help", "reset_warning", "problem",
                    "send_failed", "hidden", "nothing_chosen", "typed_words", "your_name",
                    "type_here", "listening", "did_you_say", "did_you_say_words",
                    "not_heard", "no_microphone", "spoken_words", "choose_language",
                    "scan_row_1", "scan_row_2", "scan_controls", "scan_paused",
                    # Only the truth: the thank-you by when the report is due, and the
                    # states of a send and of "Get an adult" as they really stand.
                    "thanks_next_day", "thanks_anonymous_next_day", "sending",
                    "urgent_sending", "urgent_not_sent", "urgent_told",
                    "help_telling", "help_told", "help_not_sent")


# What a tile may open besides a page: a text box on a text page; on the first page,
# the pictures a pupil presses to hear back about a worry they sent.
OPENS = {("text", "text"), ("start", "hearing_back")}


class ContentError(Exception):
    """Content that cannot be used; the message names the file and the item at fault."""


@dataclass(frozen=True)
class Words:
    text: str
    say: str
    concept: str = ""


@dataclass(frozen=True)
class Tile:
    id: str
    label: str
    say: str
    concept: str
    go: str = ""
    opens: str = ""
    about: str = ""  # on the first page: "someone_else" starts a worry about another child


@dataclass(frozen=True)
class Page:
    id: str
    kind: str
    prompt: Words
    note: Words | None = None
    tiles: tuple = ()
    show_if: tuple = ()
    field: str = ""
    role: str = ""  # what the page's answers stand for beyond the journey (PAGE_ROLES)
    # Its wording when the worry is about another child: Words for "prompt" and "note",
    # and "tiles": {tile id: (label, say)}. Ids and answers stay the same, so the
    # urgency rules judge a friend's report as they would the pupil's own.
    someone_else: dict | None = None
    # Once answered, the pupil may go straight to the review and send ("Send now"); the
    # pages after it are offered there ("Tell us more"), not required.
    send_now: bool = False
    # A body page ("Show me where"): its places and the picture's sides (body_page.py).
    places: tuple = ()
    sides: tuple = ()

    def tile(self, tile_id):
        return next((t for t in self.tiles if t.id == tile_id), None)

    def place(self, place_id):
        return next((p for p in self.places if p.id == place_id), None)

    def answer(self, answer_id):
        """The tile, or on a body page the place, that an answer id names (or None)."""
        return self.place(answer_id) if self.kind == body_page.KIND else self.tile(answer_id)


@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    reason: str
    all: tuple = ()
    any: tuple = ()
    words: tuple = ()
    setting: str = ""
    phrases: tuple = ()  # words normalised for matching (matching.compile_rules)
    # The referral criteria an urgent rule meets: ((criterion id, its words), ...).
    refer: tuple = ()


@dataclass(frozen=True)
class Voice:
    """Speech input settings: text pages that take spoken words, and tile synonyms."""
    free_speech: tuple = ()
    synonyms: dict = field(default_factory=dict)  # page id -> tile id -> phrases


@dataclass
class Content:
    pages: dict
    flow: list
    controls: dict
    screens: dict
    rules: list
    files: dict = field(default_factory=dict)
    voice: Voice = field(default_factory=Voice)
    languages: dict = field(default_factory=dict)  # code -> translations.Language, English first

    def voice_mode(self, page_id):
        """How a pupil may answer a page by speaking: "tiles", "words", or None."""
        page = self.pages.get(page_id) if isinstance(page_id, str) else None
        if page is None:
            return None
        if page.kind in ("start",) + tuple(ANSWER_KINDS):
            return "tiles"
        if page.kind == "text" and page_id in self.voice.free_speech:
            return "words"
        return None

    def voice_phrases(self, page_id):
        """{phrase: tile id} a pupil can say on a page of tiles."""
        return page_phrases(self.pages[page_id], self.voice.synonyms.get(page_id))

    def voice_strict(self, page_id):
        """Whether speech on a page is checked strictly: a page with a yes answer (the
        safety page), where one answer heard as another matters most."""
        page = self.pages.get(page_id)
        return page is not None and any(getattr(t, "concept", "") == "yes" for t in page.tiles)

    def spoken_texts(self):
        """Every phrase the kiosk can speak, for rendering audio ahead of time."""
        texts = []
        for page in self.pages.values():
            texts.append(page.prompt.say)
            if page.note:
                texts.append(page.note.say)
            texts += [tile.say for tile in page.tiles]
            texts += [part.say for part in (*page.places, *page.sides)]
            variant = page.someone_else or {}
            texts += [variant[part].say for part in ("prompt", "note") if part in variant]
            texts += [say for _, say in variant.get("tiles", {}).values()]
        texts += [w.say for w in (*self.controls.values(), *self.screens.values())]
        return list(dict.fromkeys(t for t in texts if t))


def _read(path):
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContentError(f"{path}: file is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{path}: {exc}") from None


def _check_keys(where, data, required, optional=()):
    if not isinstance(data, dict):
        raise ContentError(f"{where}: expected a table")
    missing = [k for k in required if not data.get(k)]
    if missing:
        raise ContentError(f"{where}: missing or empty '{missing[0]}'")
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise ContentError(f"{where}: unknown key '{unknown[0]}'")


def _words(where, data, symbols=None, need_concept=False):
    required = ("text", "concept") if need_concept else ("text",)
    _check_keys(where, data, required, ("say", "concept"))
    if "say" not in data:
        raise ContentError(f"{where}: missing 'say' (the words spoken)")
    concept = data.get("concept", "")
    if concept and symbols is not None and not symbols.has(concept):
        raise ContentError(f"{where}: no symbol for concept '{concept}'")
    return Words(data["text"], data["say"], concept)


def _tile(where, data, symbols):
    if isinstance(data, dict) and data.get("id"):
        where = f"{where.rsplit(' tile ', 1)[0]} tile '{data['id']}'"
    _check_keys(where, data, ("id", "label", "say", "concept"), ("go", "opens", "about"))
    if data.get("about", "someone_else") != "someone_else":
        raise ContentError(f"{where}: about = \"someone_else\" is the only kind of about")
    if not symbols.has(data["concept"]):
        raise ContentError(f"{where}: no symbol for concept '{data['concept']}'")
    return Tile(**data)


def _page(where, data, symbols):
    if isinstance(data, dict) and data.get("id"):
        where = f"{where.rsplit(' page ', 1)[0]} page '{data['id']}'"
    _check_keys(where, data, ("id", "kind", "prompt"),
                ("note", "tiles", "show_if", "field", "role", "someone_else", "send_now",
                 "places", "sides"))
    if data.get("send_now") not in (None, True, False):
        raise ContentError(f"{where}: send_now must be true or false")
    if data.get("send_now") and data["kind"] not in ANSWER_KINDS:
        raise ContentError(f"{where}: send_now is only for pages of answers")
    if data["kind"] not in PAGE_KINDS:
        raise ContentError(f"{where}: unknown kind '{data['kind']}'")
    tiles = data.get("tiles", [])
    if len(tiles) > MAX_MAIN_CHOICES:
        raise ContentError(f"{where}: {len(tiles)} tiles, at most {MAX_MAIN_CHOICES} allowed")
    if data["kind"] in ANSWER_KINDS | {"start", "text"} and not tiles:
        raise ContentError(f"{where}: a '{data['kind']}' page needs tiles")
    tiles = tuple(_tile(f"{where} tile {i + 1}", t, symbols) for i, t in enumerate(tiles))
    ids = [t.id for t in tiles]
    if len(set(ids)) != len(ids):
        raise ContentError(f"{where}: two tiles share an id")
    if data["kind"] == "text" and data.get("field") not in ("words", "name"):
        raise ContentError(f"{where}: a text page needs field = \"words\" or \"name\"")
    note = data.get("note")
    return Page(data["id"], data["kind"], _words(f"{where} prompt", data["prompt"]),
                _words(f"{where} note", note) if note else None,
                tiles, tuple(data.get("show_if", ())), data.get("field", ""),
                _role(where, data), _someone_else(where, data.get("someone_else"), tiles),
                bool(data.get("send_now")), *_body_parts(where, data))


def _body_parts(where, data):
    """(places, sides) of a body page, checked; a page of any other kind has neither."""
    if data["kind"] != body_page.KIND:
        if "places" in data or "sides" in data:
            raise ContentError(f"{where}: places and sides are only for a 'body' page")
        return (), ()
    if data.get("tiles"):
        raise ContentError(f"{where}: a 'body' page has places, not tiles")
    try:
        sides = body_page.parse_sides(where, data.get("sides"))
        return body_page.parse_places(where, data.get("places"), sides), sides
    except body_page.BodyPageError as exc:
        raise ContentError(str(exc)) from None


def _someone_else(where, data, tiles):
    """A page's wording for a worry about another child, checked; None when it has none."""
    if data is None:
        return None
    where = f"{where} someone_else"
    _check_keys(where, data, (), ("prompt", "note", "tiles"))
    variant = {"tiles": {}}
    for part in ("prompt", "note"):
        if part in data:
            variant[part] = _words(f"{where} {part}", data[part])
    ids = {t.id for t in tiles}
    for tile_id, words in (data.get("tiles") or {}).items():
        if tile_id not in ids:
            raise ContentError(f"{where}: tile '{tile_id}' is not a tile of the page")
        _check_keys(f"{where} tile '{tile_id}'", words, ("label", "say"))
        variant["tiles"][tile_id] = (words["label"], words["say"])
    return variant


def _check_ref(where, ref, pages):
    """A 'page:tile' reference must name a tile a pupil can choose as an answer."""
    page_id, _, tile_id = str(ref).partition(":")
    page = pages.get(page_id)
    if page is None or page.kind not in REPORTED_KINDS or page.answer(tile_id) is None:
        raise ContentError(f"{where}: '{ref}' is not a page:tile answer in the journey")


def _load_pages(path, symbols, boards=None):
    data = _read(path)
    _check_keys(str(path), data, ("schema", "flow", "page"))
    if data["schema"] != 1:
        raise ContentError(f"{path}: schema {data['schema']} is not supported (expected 1)")
    pages = {}
    for i, raw in enumerate(data["page"]):
        page = _page(f"{path}: page {i + 1}", raw, symbols)
        if page.id in pages:
            raise ContentError(f"{path}: page '{page.id}' is defined twice")
        pages[page.id] = page
    flow = list(data["flow"])
    if boards is not None and boards.is_dir():
        _add_boards(boards, pages, flow, symbols)
    _check_flow(path, pages, flow)
    return pages, flow


def _add_boards(folder, pages, flow, symbols):
    """Pages imported from AAC tools: boards/<id>.toml, each shown after its `after` page.

    Boards after the same page are shown in the order of their file names.
    """
    last = {}  # page id -> the board most recently placed after it
    for path in sorted(folder.glob("*.toml")):
        data = _read(path)
        _check_keys(str(path), data, ("schema", "page"))
        if data["schema"] != 1:
            raise ContentError(f"{path}: schema {data['schema']} is not supported (expected 1)")
        after = data["page"].pop("after", "") if isinstance(data["page"], dict) else ""
        page = _page(f"{path}: page 1", data["page"], symbols)
        if page.id != path.stem:
            raise ContentError(f"{path}: page '{page.id}' must be in a file named {page.id}.toml")
        if page.id in pages:
            raise ContentError(f"{path}: page '{page.id}' is defined twice")
        if after not in flow:
            raise ContentError(f"{path}: after = '{after}' must name a page in the flow")
        flow.insert(flow.index(last.get(after, after)) + 1, page.id)
        pages[page.id], last[after] = page, page.id


def _check_flow(path, pages, flow):
    for page_id in flow:
        if page_id not in pages:
            raise ContentError(f"{path}: flow names page '{page_id}', which does not exist")
    if not flow or pages[flow[0]].kind != "start":
        raise ContentError(f"{path}: flow must begin with a 'start' page")
    if pages[flow[-1]].kind != "review":
        raise ContentError(f"{path}: flow must end with the 'review' page")
    _check_roles(path, pages)
    reached = set(flow)
    for position, page_id in enumerate(flow):
        page = pages[page_id]
        earlier = {p: pages[p] for p in flow[:position]}
        for ref in page.show_if:
            _check_ref(f"{path}: page '{page_id}' show_if", ref, earlier)
        for tile in page.tiles:
            where = f"{path}: page '{page_id}' tile '{tile.id}'"
            if tile.go and tile.go not in pages:
                raise ContentError(f"{where}: go = '{tile.go}', which is not a page")
            if tile.opens and (page.kind, tile.opens) not in OPENS:
                raise ContentError(f"{where}: opens = \"text\" is only for text pages, "
                                   "opens = \"hearing_back\" only for the first page")
            if tile.about and page.kind != "start":
                raise ContentError(f"{where}: about = \"someone_else\" is only for the "
                                   "first page")
            reached.add(tile.go or page_id)
    for page_id in pages:
        if page_id not in reached:
            raise ContentError(f"{path}: page '{page_id}' cannot be reached")


def _load_messages(path, symbols):
    data = _read(path)
    _check_keys(str(path), data, ("schema", "controls", "screens"))
    sections = {}
    for section, required in (("controls", REQUIRED_CONTROLS), ("screens", REQUIRED_SCREENS)):
        table = data[section]
        missing = [k for k in required if k not in table]
        if missing:
            raise ContentError(f"{path}: [{section}] is missing '{missing[0]}'")
        sections[section] = {key: _words(f"{path}: {section}.{key}", value, symbols, True)
                             for key, value in table.items()}
    return sections["controls"], sections["screens"]


def _role(where, data):
    role = data.get("role", "")
    if role and role not in PAGE_ROLES:
        raise ContentError(f"{where}: role must be one of {', '.join(sorted(PAGE_ROLES))}")
    if role and data["kind"] not in PAGE_ROLES[role]:
        raise ContentError(f"{where}: a '{role}' page must be of kind "
                           f"{' or '.join(sorted(PAGE_ROLES[role]))}")
    return role


def _check_roles(path, pages):
    """Every role and kind the code relies on is played by some page."""
    for role in PAGE_ROLES:
        if not any(page.role == role for page in pages.values()):
            raise ContentError(f"{path}: no page has role = \"{role}\" (the pages whose "
                               "answers say what happened)")
    for kind in REQUIRED_KINDS:
        if sum(page.kind == kind for page in pages.values()) != 1:
            raise ContentError(f"{path}: the journey needs exactly one page of kind '{kind}'")


def _load_criteria(path, data):
    """The referral criteria by id, each a sentence of the policy."""
    criteria = data.get("criteria", {})
    if not isinstance(criteria, dict):
        raise ContentError(f"{path}: [criteria] must be a table of criterion = \"words\"")
    for key, text in criteria.items():
        if not isinstance(text, str) or not text.strip():
            raise ContentError(f"{path}: criteria.{key} must be the criterion's words")
    return criteria


def _refer(where, raw, criteria):
    """An urgent rule names the referral criterion (or criteria) it meets; others none."""
    named = raw.get("refer", ())
    named = (named,) if isinstance(named, str) else tuple(named)
    if raw["level"] != "urgent":
        if named:
            raise ContentError(f"{where}: only an urgent rule meets a referral criterion")
        return ()
    if not named:
        raise ContentError(f"{where}: an urgent rule must name the referral criterion it "
                           f"meets (refer = one of {', '.join(criteria) or 'the [criteria]'})")
    for key in named:
        if key not in criteria:
            raise ContentError(f"{where}: refer = '{key}' is not one of the [criteria]"
                               f" ({', '.join(criteria) or 'none are given'})")
    return tuple((key, criteria[key]) for key in named)


def _load_rules(path, pages):
    data = _read(path)
    _check_keys(str(path), data, ("schema", "rule"), ("criteria",))
    criteria = _load_criteria(path, data)
    rules, seen = [], set()
    for i, raw in enumerate(data["rule"]):
        where = f"{path}: rule {i + 1}"
        _check_keys(where, raw, ("id", "level", "reason"),
                    ("all", "any", "words", "setting", "refer"))
        where = f"{path}: rule '{raw['id']}'"
        if raw["id"] in seen:
            raise ContentError(f"{where}: defined twice")
        seen.add(raw["id"])
        if raw["level"] not in LEVELS:
            raise ContentError(f"{where}: level must be one of {', '.join(LEVELS)}")
        if not (raw.get("all") or raw.get("any") or raw.get("words")):
            raise ContentError(f"{where}: needs at least one of all, any, words")
        for ref in (*raw.get("all", ()), *raw.get("any", ())):
            _check_ref(where, ref, pages)
        if raw.get("setting", "") and raw["setting"] not in SCHOOL_SETTINGS:
            raise ContentError(f"{where}: unknown setting '{raw['setting']}'")
        rules.append(Rule(raw["id"], raw["level"], raw["reason"], tuple(raw.get("all", ())),
                          tuple(raw.get("any", ())),
                          tuple(w.lower() for w in raw.get("words", ())),
                          raw.get("setting", ""), refer=_refer(where, raw, criteria)))
    return rules


def load_content(content_dir, symbols):
    """Read and check everything in content_dir; raise ContentError at the first fault."""
    content_dir = Path(content_dir)
    files = {name: content_dir / f"{name}.toml"
             for name in ("pages", "messages", "urgency", "voice")}
    pages, flow = _load_pages(files["pages"], symbols, content_dir / "boards")
    controls, screens = _load_messages(files["messages"], symbols)
    rules = _load_rules(files["urgency"], pages)
    voice = _load_voice(files["voice"], pages) if files["voice"].exists() else Voice()
    content = Content(pages, flow, controls, screens, rules, files, voice)
    try:
        content.languages = load_languages(content_dir / "translations", content)
    except TranslationError as exc:
        raise ContentError(str(exc)) from None
    content.rules = compile_rules(_with_translated_words(content.rules, content.languages))
    return content


def _with_translated_words(rules, languages):
    """A rule's words in every language, so a pupil's own words are matched in theirs."""
    extra = {}
    for language in languages.values():
        for rule_id, phrases in language.urgency_words.items():
            extra.setdefault(rule_id, []).extend(phrases)
    return [dataclasses.replace(rule, words=rule.words + tuple(extra[rule.id]))
            if rule.id in extra else rule for rule in rules]


def _phrase_list(where, value):
    if not isinstance(value, list) or not all(isinstance(p, str) and p.strip() for p in value):
        raise ContentError(f"{where}: expected a list of phrases")
    return tuple(value)


def _load_voice(path, pages):
    """voice.toml is optional: without it pupils can say each tile's label and words."""
    data = _read(path)
    _check_keys(str(path), data, ("schema",), ("free_speech", "synonyms"))
    if data["schema"] != 1:
        raise ContentError(f"{path}: schema {data['schema']} is not supported (expected 1)")
    free = _phrase_list(f"{path}: free_speech", data.get("free_speech", [])) \
        if data.get("free_speech") else ()
    for page_id in free:
        page = pages.get(page_id)
        if page is None or page.kind != "text" or page.field != "words":
            raise ContentError(f"{path}: free_speech names '{page_id}', "
                               "which is not a text page for the pupil's words")
    synonyms = {}
    for page_id, tiles in data.get("synonyms", {}).items():
        where = f"{path}: synonyms.{page_id}"
        page = pages.get(page_id)
        if page is None or not page.tiles:
            raise ContentError(f"{where}: no page '{page_id}' with tiles")
        if not isinstance(tiles, dict):
            raise ContentError(f"{where}: expected a table of tile = [phrases]")
        for tile_id, phrases in tiles.items():
            if page.tile(tile_id) is None:
                raise ContentError(f"{where}: page '{page_id}' has no tile '{tile_id}'")
            _phrase_list(f"{where}.{tile_id}", phrases)
        for phrase, first, second in clashes(page, tiles):
            raise ContentError(f"{where}: '{phrase}' would stand for both "
                               f"'{first}' and '{second}'")
        synonyms[page_id] = {tile_id: tuple(p) for tile_id, p in tiles.items()}
    return Voice(free, synonyms)
