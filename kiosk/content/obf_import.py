"""Import one Open Board Format board as a new page of the journey.

The board becomes content/boards/<page id>.toml; images no known concept matches go
into the symbol pack symbols/boards/ with the licence the board gave them. Nothing is
written until everything has been checked, the whole content included, loaded with
the new page from a temporary copy.
"""
import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import easyread
from .loading import MAX_MAIN_CHOICES, ContentError, load_content
from .obf import (IMPORTED_PACK, ObfError, bliss_number, board_image, image_bytes, read_board,
    safe_id, toml_string, write_atomically)
from .symbols import SymbolError, Symbols

PACK_TITLE = "Imported boards"
PACK_DESCRIPTION = "Symbols that came with boards imported from AAC tools."
NO_LICENCE = "All rights reserved (the board gave no licence)"
PAGE_ID = re.compile(r"[a-z][a-z0-9_]*")


@dataclass
class Import:
    """A checked import, ready to write."""
    source: str
    page: dict                                    # the page table, `after` included
    images: dict = field(default_factory=dict)    # file name -> bytes for symbols/boards/
    credits: dict = field(default_factory=dict)   # new concept -> file, licence, attribution
    bliss: dict = field(default_factory=dict)     # new concept -> Bliss number
    matched: dict = field(default_factory=dict)   # tile id -> (concept, how it matched)
    warnings: list = field(default_factory=list)


def import_board(path, after, content, symbols, page_id="", kind="choice"):
    """Read and check a board against the loaded content; returns an Import to write."""
    board, files = read_board(path)
    page_id = _page_id(board, page_id)
    _check_place(content, page_id, after)
    name = board.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ObfError(f"{Path(path).name}: the board has no name; its name becomes the "
                       "page's question, so give it one in your AAC tool and export again")
    result = Import(Path(path).name, {"id": page_id, "after": after, "kind": kind,
                                      "prompt": _prompt(board, name)})
    note = board.get("ext_kiosk_note")
    if isinstance(note, dict) and isinstance(note.get("text"), str) and note["text"].strip():
        result.page["note"] = {"text": note["text"], "say": str(note.get("say", note["text"]))}
    matcher, taken = _Matcher(content, symbols), set()
    result.page["tiles"] = [_tile(button, board, files, matcher, result, taken)
                            for button in _buttons(board)]
    _warn(board, result)
    return result


def _page_id(board, chosen):
    if chosen:
        if not PAGE_ID.fullmatch(chosen):
            raise ObfError(f"--id '{chosen}': use lower-case letters, digits and _, "
                           "starting with a letter")
        return chosen
    derived = safe_id(board.get("id", "")) or safe_id(board.get("name", ""))
    return derived if PAGE_ID.fullmatch(derived or "-") else f"board_{derived}".rstrip("_")


def _check_place(content, page_id, after):
    if after not in content.flow:
        raise ObfError(f"--after '{after}': no such page in the flow; choose one of "
                       f"{', '.join(content.flow[:-1])}")
    if after == content.flow[-1]:
        raise ObfError(f"--after '{after}': the review page ends the journey; "
                       "choose a page before it")
    if page_id in content.pages:
        raise ObfError(f"a page '{page_id}' already exists; choose another id with --id")


def _prompt(board, name):
    say = board.get("ext_kiosk_description")
    return {"text": name.strip(), "say": say if isinstance(say, str) and say.strip() else name}


def _buttons(board):
    """The board's buttons in grid order (rows, left to right), each checked."""
    buttons = board.get("buttons")
    if not isinstance(buttons, list) or not buttons:
        raise ObfError("the board has no buttons; a page needs at least one tile")
    if len(buttons) > MAX_MAIN_CHOICES:
        raise ObfError(f"the board has {len(buttons)} buttons, but a kiosk page has at most "
                       f"{MAX_MAIN_CHOICES} main choices, so that pupils are not overwhelmed. "
                       f"Split it into boards of up to {MAX_MAIN_CHOICES} buttons in your AAC "
                       "tool and import each as its own page")
    by_id = {}
    for number, button in enumerate(buttons, 1):
        if not isinstance(button, dict):
            raise ObfError(f"button {number}: expected an object")
        where = f"button '{button.get('id', number)}'"
        if not isinstance(button.get("label"), str) or not button["label"].strip():
            raise ObfError(f"{where} has no label; every tile needs words to show and say")
        if str(button.get("id", number)) in by_id:
            raise ObfError(f"two buttons have the id '{button.get('id')}'; ids must differ")
        by_id[str(button.get("id", number))] = button
    grid = board.get("grid") if isinstance(board.get("grid"), dict) else {}
    order = [str(i) for row in grid.get("order") or [] if isinstance(row, list)
             for i in row if i is not None]
    ids = list(dict.fromkeys([i for i in order if i in by_id] + list(by_id)))
    return [dict(by_id[i], id=i) for i in ids]


class _Matcher:
    """Finds the kiosk's own concept for a button: named, by Bliss number, or by label."""

    def __init__(self, content, symbols):
        self.symbols = symbols
        concepts = {c for pack in symbols.packs for c in pack.concepts}
        self.by_bliss = {}
        for concept in sorted(concepts):
            number = bliss_number(symbols, concept)
            if number is not None:
                self.by_bliss.setdefault(str(number), concept)
        self.by_label = {}
        for page in content.pages.values():
            for tile in page.tiles:
                self.by_label.setdefault(tile.label.strip().casefold(), tile.concept)

    def match(self, button, bliss):
        named = button.get("ext_kiosk_concept")
        if isinstance(named, str) and self.symbols.has(named):
            return named, "named by the board"
        if bliss in self.by_bliss:
            return self.by_bliss[bliss], f"Bliss {bliss}"
        by_label = self.by_label.get(button["label"].strip().casefold())
        return (by_label, "same label") if by_label else ("", "")


def _tile(button, board, files, matcher, result, taken):
    tile_id = _unique(safe_id(button["id"]) or f"tile_{len(taken) + 1}", taken)
    label = button["label"].strip()
    say = button.get("vocalization")
    tile = {"id": tile_id, "label": label,
            "say": say.strip() if isinstance(say, str) and say.strip() else label}
    image = board_image(board, button)
    bliss = _bliss_of(button, image)
    concept, how = matcher.match(button, bliss)
    if concept:
        result.matched[tile_id] = (concept, how)
    else:
        concept = _new_symbol(result, button, image, files, board, bliss, matcher.symbols)
    tile["concept"] = concept
    return tile


def _unique(base, taken, exists=lambda name: False):
    name, n = base, 1
    while name in taken or exists(name):
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def _bliss_of(button, image):
    """A Bliss number from ext_kiosk_bliss, or from a Blissymbolics image's symbol file."""
    number = str(button.get("ext_kiosk_bliss") or "").strip()
    symbol = (image or {}).get("symbol")
    if not number and isinstance(symbol, dict) and "bliss" in str(symbol.get("set", "")).lower():
        number = Path(str(symbol.get("filename", ""))).stem
    return number if number.isdigit() else ""


def _new_symbol(result, button, image, files, board, bliss, symbols):
    """Keep a button's own image as a new concept `<page id>_<button id>`."""
    where = f"button '{button['id']}' ({button['label'].strip()})"
    data, suffix = image_bytes(where, image, files)
    known = set(result.credits)
    concept = _unique(safe_id(f"{result.page['id']}_{button['id']}"), known, symbols.has)
    file_name = f"{concept}{suffix}"
    result.images[file_name] = data
    licence, attribution = _licence(image, board)
    result.credits[concept] = {"file": file_name, "licence": licence,
                               "attribution": attribution, "board": result.page["id"]}
    if bliss and int(bliss) not in result.bliss.values():
        result.bliss[concept] = int(bliss)
    return concept


def _licence(image, board):
    """(licence, attribution) from the image's OBF license, else the board's."""
    licence = image.get("license") if isinstance(image.get("license"), dict) else None
    licence = licence or (board.get("license") if isinstance(board.get("license"), dict) else {})
    kind = str(licence.get("type") or "").strip() or NO_LICENCE
    credit = [str(licence.get(key)).strip() for key in
              ("author_name", "author_url", "source_url", "copyright_notice_url")
              if licence.get(key)]
    return kind, ", ".join(credit) or f"From the board '{board.get('name', '')}'"


def _warn(board, result):
    locale = str(board.get("locale") or "en")
    if not locale.lower().startswith("en"):
        result.warnings.append(
            f"the board is in '{locale}': its words are now the page's English words; "
            "put them in content/translations/ instead if pupils should see English")
    if any(isinstance(b, dict) and b.get("load_board") for b in board["buttons"]):
        result.warnings.append("links to other boards are not followed: the page comes "
                               f"after '{result.page['after']}' and moves on like any page")
    if any(c["licence"] == NO_LICENCE for c in result.credits.values()):
        result.warnings.append("some images came without a licence: check the school may "
                               "use them before pupils see this page")


def write_import(result, content_dir, symbols_dir, pack_name):
    """Load the content with the new page from a temporary copy; only then write it."""
    content_dir, symbols_dir = Path(content_dir), Path(symbols_dir)
    page_text = _page_toml(result)
    pack_text = _pack_toml(result, symbols_dir / IMPORTED_PACK) if result.images else ""
    with tempfile.TemporaryDirectory() as tmp:
        content_copy, symbols_copy = Path(tmp) / "content", Path(tmp) / "symbols"
        shutil.copytree(content_dir, content_copy)
        _mirror(symbols_dir, symbols_copy)
        _write(result, content_copy, symbols_copy, page_text, pack_text)
        try:
            symbols = Symbols(symbols_copy, pack_name)
            content = load_content(content_copy, symbols)
        except (ContentError, SymbolError) as exc:
            message = str(exc).replace(str(content_copy), str(content_dir))
            raise ObfError("the page would not load: "
                           + message.replace(str(symbols_copy), str(symbols_dir))) from None
        for tile in result.page["tiles"]:
            if symbols.locate(tile["concept"]) is None:
                raise ObfError(f"tile '{tile['id']}': the kiosk's symbol pack '{pack_name}' "
                               f"would not show the symbol for '{tile['concept']}'")
        # Pupils meet an imported page like any other: the easy-read rules hold for it too.
        problems = [p for p in easyread.check(content, symbols=symbols)
                    if p.key.split(".")[:2] == ["pages", result.page["id"]]]
        if problems:
            raise ObfError("the page breaks the easy-read rules (see content/README.md): "
                           + "; ".join(p.message for p in problems))
    return _write(result, content_dir, symbols_dir, page_text, pack_text)


def _mirror(symbols_dir, target):
    """The symbol packs as they are, for a trial load: links to each, a copy of ours."""
    target.mkdir()
    for entry in symbols_dir.iterdir():
        if entry.name == IMPORTED_PACK:
            shutil.copytree(entry, target / entry.name)
        else:
            os.symlink(entry.resolve(), target / entry.name)


def _write(result, content_dir, symbols_dir, page_text, pack_text):
    """Symbols first, then the page that uses them; each file replaced whole."""
    if result.images:
        pack = symbols_dir / IMPORTED_PACK
        pack.mkdir(parents=True, exist_ok=True)
        for file_name, data in result.images.items():
            write_atomically(pack / file_name, data)
        write_atomically(pack / "pack.toml", pack_text.encode("utf-8"))
    boards = content_dir / "boards"
    boards.mkdir(exist_ok=True)
    page_path = boards / f"{result.page['id']}.toml"
    write_atomically(page_path, page_text.encode("utf-8"))
    return page_path


def _key(name):
    """A TOML key: bare when it can be, as content/ writes them."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else toml_string(name)


def _inline(table):
    return "{ " + ", ".join(f"{key} = {toml_string(value)}" for key, value in table.items()) + " }"


def _page_toml(result):
    page = result.page
    source = re.sub(r"[\x00-\x1f\x7f]", "?", result.source)
    lines = [f"# Imported from {source} (Open Board Format). Edit it like a page in",
             "# pages.toml; `after` is the page it follows. Delete the file to remove it.",
             "schema = 1", "", "[page]"]
    lines += [f"{key} = {toml_string(page[key])}" for key in ("id", "after", "kind")]
    lines += [f"{key} = {_inline(page[key])}" for key in ("prompt", "note") if key in page]
    lines += ["tiles = [", *(f"  {_inline(tile)}," for tile in page["tiles"]), "]"]
    return "\n".join(lines) + "\n"


def _merged(existing, values):
    parts = [part for part in str(existing or "").split("; ") if part]
    return "; ".join(dict.fromkeys(parts + [value for value in values if value]))


def _pack_toml(result, folder):
    """symbols/boards/pack.toml with the new symbols added to those already there."""
    manifest = folder / "pack.toml"
    try:
        old = tomllib.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ObfError(f"{manifest}: {exc}") from None
    concepts = {**old.get("concepts", {}),
                **{concept: credit["file"] for concept, credit in result.credits.items()}}
    credits = {**old.get("credits", {}),
               **{concept: {key: credit[key] for key in ("licence", "attribution", "board")}
                  for concept, credit in result.credits.items()}}
    bliss = {**old.get("bliss", {}), **result.bliss}
    header = {"name": old.get("name", PACK_TITLE),
              "description": old.get("description", PACK_DESCRIPTION),
              "licence": _merged(old.get("licence"), [c["licence"] for c in credits.values()]),
              "attribution": _merged(old.get("attribution"),
                                     [c["attribution"] for c in credits.values()])}
    lines = ["# Symbols that came with boards imported by `content import-obf`. Each one's",
             "# licence and attribution, as its board gave them, are under [credits].",
             *(f"{key} = {toml_string(value)}" for key, value in header.items()),
             "", "[concepts]",
             *(f"{_key(name)} = {toml_string(file)}" for name, file in concepts.items())]
    if bliss:
        lines += ["", "[bliss]", *(f"{_key(c)} = {int(n)}" for c, n in bliss.items())]
    for concept, credit in credits.items():
        lines += ["", f"[credits.{_key(concept)}]",
                  *(f"{key} = {toml_string(value)}" for key, value in credit.items())]
    return "\n".join(lines) + "\n"
