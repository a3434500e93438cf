"""Build a symbol pack from a school's own licensed images and a concept,file CSV.

Plain functions, no Flask: the `symbols import` command is a thin wrapper. The pack is
built in a hidden folder beside the target and renamed into place only once it loads,
so a failed import never leaves a half-written pack behind.
"""
import csv
import difflib
import json
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from .symbols import DEFAULT_PACK, MANIFEST, SymbolError, load_pack

IMAGE_TYPES = {".svg": "SVG", ".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WebP"}
PACK_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")
COLUMNS = ("concept", "file", "bliss")
EXAMPLES = {"--licence": "Widgit licence held by Oak Hill School",
            "--attribution": "Widgit Symbols © Widgit Software 2002-2026 www.widgit.com"}
SVG_FORBIDDEN = re.compile(rb"<!ENTITY|<script|\son[a-z]+\s*=|javascript:", re.IGNORECASE)


class PackImportError(Exception):
    """An import that cannot be done; the message says what to fix."""


@dataclass
class Row:
    line: int
    concept: str
    source: Path
    bliss: int | None = None


@dataclass
class ImportResult:
    name: str
    folder: Path
    title: str
    concepts: dict  # concept -> file name in the pack
    bliss: dict
    files: int
    missing: list = field(default_factory=list)  # concepts used by the content, not in the pack
    replaced: bool = False


def check_pack_name(name):
    """Refuse a pack name that is not a plain folder name, or that is the default pack."""
    if not PACK_NAME.fullmatch(name or ""):
        raise PackImportError(f"Pack name '{name}' is not allowed: use letters, digits, "
                              "'-' and '_' only (up to 40), e.g. --pack widgit")
    if name.lower() == DEFAULT_PACK:
        raise PackImportError("The default pack cannot be replaced: choose another --pack name")


def _one_line(option, value, required):
    """An option's text, trimmed; refused when required and empty, or not one line."""
    value = (value or "").strip()
    if required and not value:
        raise PackImportError(f"{option} is required: a school must state how it may use these "
                              f"images, e.g. {option} \"{EXAMPLES[option]}\"")
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise PackImportError(f"{option} must be one line of plain text")
    return value


def _bliss_number(text, where):
    if not re.fullmatch(r"[0-9]+", text) or int(text) == 0:
        raise PackImportError(f"{where}: Bliss number '{text}' is not a whole number, "
                              "e.g. 18294 (from the BCI-AV / W3C AAC symbol registry)")
    return int(text)


def _read_header(reader, csv_path):
    header = next(reader, None)
    columns = [c.strip().lower() for c in header or []]
    if "concept" not in columns or "file" not in columns or len(set(columns)) != len(columns) \
            or any(c not in COLUMNS for c in columns):
        raise PackImportError(f"{csv_path}: line 1: the header must be concept,file "
                              f"(optionally ,bliss), not '{','.join(header or [])}'")
    return columns


def _concept_for(where, concept, bliss, default, known):
    """The row's concept: given by name, or found from its Bliss number."""
    by_bliss = {number: name for name, number in default.bliss.items()}
    if not concept and bliss is None:
        raise PackImportError(f"{where}: give a concept (or a Bliss number) for each file")
    if not concept:
        if bliss not in by_bliss:
            raise PackImportError(f"{where}: Bliss number {bliss} matches no concept of ours; "
                                  "put the concept name in the concept column instead")
        return by_bliss[bliss]
    if concept not in known:
        close = difflib.get_close_matches(concept, sorted(known), n=3)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise PackImportError(f"{where}: unknown concept '{concept}'.{hint} The concepts are "
                              f"listed in symbols/{DEFAULT_PACK}/{MANIFEST}")
    if bliss is not None and default.bliss.get(concept, bliss) != bliss:
        raise PackImportError(f"{where}: concept '{concept}' is Bliss number "
                              f"{default.bliss[concept]}, not {bliss}; fix or empty one of them")
    return concept


def _source_file(where, source_dir, file_name):
    if not file_name:
        raise PackImportError(f"{where}: no file given")
    path = (source_dir / file_name).resolve()
    if not path.is_relative_to(source_dir):
        raise PackImportError(f"{where}: '{file_name}' is outside {source_dir}; "
                              "copy the image into that folder and name it from there")
    if not path.is_file():
        raise PackImportError(f"{where}: file '{file_name}' not found in {source_dir}")
    if path.suffix.lower() not in IMAGE_TYPES:
        raise PackImportError(f"{where}: '{file_name}' is not a supported image type; "
                              "use .svg, .png, .jpg/.jpeg or .webp (convert it first)")
    return path


def read_rows(csv_path, source_dir, default, known):
    """The CSV's rows, each checked: known concept, image inside source_dir, no repeats."""
    rows, seen = [], {}
    with open(csv_path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        columns = _read_header(reader, csv_path)
        for values in reader:
            cells = dict(zip(columns, (v.strip() for v in values)))
            if not any(cells.values()):
                continue
            where = f"{csv_path}: line {reader.line_num}"
            bliss = _bliss_number(cells["bliss"], where) if cells.get("bliss") else None
            concept = _concept_for(where, cells.get("concept", ""), bliss, default, known)
            if concept in seen:
                raise PackImportError(f"{where}: concept '{concept}' is already given on line "
                                      f"{seen[concept]}; keep one row per concept")
            seen[concept] = reader.line_num
            rows.append(Row(reader.line_num, concept,
                            _source_file(where, source_dir, cells.get("file", "")), bliss))
    if not rows:
        raise PackImportError(f"{csv_path}: no rows; add one concept,file row per symbol")
    return rows


def _looks_like_svg(data):
    if SVG_FORBIDDEN.search(data):
        return False
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return False
    return root.tag in ("svg", "{http://www.w3.org/2000/svg}svg")


def check_image(where, path):
    """Refuse a file whose content is not the image its name says (or an SVG with script)."""
    data = path.read_bytes()
    kind = IMAGE_TYPES[path.suffix.lower()]
    ok = {"PNG": data.startswith(b"\x89PNG\r\n\x1a\n"),
          "JPEG": data.startswith(b"\xff\xd8\xff"),
          "WebP": data[:4] == b"RIFF" and data[8:12] == b"WEBP",
          "SVG": kind == "SVG" and _looks_like_svg(data)}[kind]
    if not ok:
        raise PackImportError(f"{where}: '{path.name}' is not a real {kind} image "
                              "(or an SVG with script in it); export it again as a plain image")


def _toml_text(value):
    # A JSON string is a valid TOML basic string (control characters are refused earlier).
    return json.dumps(value, ensure_ascii=False)


def _toml_key(key):
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_text(key)


def manifest_text(title, description, licence, attribution, concepts, bliss):
    """The new pack's pack.toml."""
    text = _toml_text
    lines = [f"name = {text(title)}", f"description = {text(description)}",
             f"licence = {text(licence)}", f"attribution = {text(attribution)}", "",
             "[concepts]", *(f"{_toml_key(c)} = {text(f)}" for c, f in concepts.items())]
    if bliss:
        lines += ["", "[bliss]", *(f"{_toml_key(c)} = {n}" for c, n in bliss.items())]
    return "\n".join(lines) + "\n"


def _copy_images(rows, build, csv_path):
    """Copy each image once into build/, named after its first concept: concept -> file."""
    names, concepts = {}, {}
    for row in rows:
        check_image(f"{csv_path}: line {row.line}", row.source)
        if row.source not in names:
            names[row.source] = f"{row.concept}{row.source.suffix.lower()}"
            shutil.copyfile(row.source, build / names[row.source])
        concepts[row.concept] = names[row.source]
    return concepts, len(names)


def _swap_into_place(build, target, replace):
    """Rename the finished build to target; with replace, the old pack goes only after."""
    if not target.exists():
        build.rename(target)
        return False
    if not replace:
        raise PackImportError(f"A pack called '{target.name}' already exists in {target.parent}; "
                              "add --replace to replace it")
    old = Path(tempfile.mkdtemp(prefix=f".replaced-{target.name}-", dir=target.parent))
    target.rename(old / target.name)
    try:
        build.rename(target)
    except OSError:
        (old / target.name).rename(target)
        raise
    shutil.rmtree(old)
    return True


def _check_places(source_dir, symbols_dir, name, csv_path, replace):
    """(source folder, CSV path, target folder), each checked before anything is written."""
    source_dir = Path(source_dir).resolve()
    if not source_dir.is_dir():
        raise PackImportError(f"Folder not found: {source_dir}. Give the folder that holds "
                              "the school's symbol images")
    csv_path = Path(csv_path) if csv_path else source_dir / "symbols.csv"
    if not csv_path.is_file():
        raise PackImportError(f"No CSV at {csv_path}: make one with the header concept,file "
                              "and one row per image, or give its path with --csv")
    target = Path(symbols_dir) / name
    if target.exists() and not replace:
        raise PackImportError(f"A pack called '{name}' already exists in {symbols_dir}; "
                              "add --replace to replace it")
    return source_dir, csv_path, target


def _build(rows, symbols_dir, name, csv_path, texts):
    """A hidden folder beside the packs holding the images and pack.toml, checked to load."""
    build = Path(tempfile.mkdtemp(prefix=f".import-{name}-", dir=symbols_dir))
    try:
        build.chmod(0o755)  # mkdtemp makes it private; the server may run as another user
        concepts, files = _copy_images(rows, build, csv_path)
        bliss = {row.concept: row.bliss for row in rows if row.bliss is not None}
        (build / MANIFEST).write_text(manifest_text(*texts, concepts, bliss), encoding="utf-8")
        load_pack(symbols_dir, build.name)  # what the kiosk will load must load
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return build, concepts, bliss, files


def import_pack(source_dir, symbols_dir, name, *, licence, attribution, csv_path=None,
                title="", description="", replace=False, known=(), needed=()):
    """Build symbols_dir/name from the images in source_dir listed in the CSV.

    `known` adds concepts (beyond the default pack's) a row may name; `needed` is what
    the content uses, to report what the new pack lacks.
    """
    check_pack_name(name)
    texts = (_one_line("--title", title, required=False) or name,
             _one_line("--description", description, required=False),
             _one_line("--licence", licence, required=True),
             _one_line("--attribution", attribution, required=True))
    source_dir, csv_path, target = _check_places(source_dir, symbols_dir, name, csv_path,
                                                 replace)
    try:
        default = load_pack(symbols_dir, DEFAULT_PACK)
    except SymbolError as exc:
        raise PackImportError(f"The default pack is needed to check concepts: {exc}") from None
    rows = read_rows(csv_path, source_dir, default, set(default.concepts) | set(known))
    build, concepts, bliss, files = _build(rows, symbols_dir, name, csv_path, texts)
    try:
        replaced = _swap_into_place(build, target, replace)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    missing = sorted(c for c in dict.fromkeys(needed) if c not in concepts)
    return ImportResult(name, target, texts[0], concepts, bliss, files, missing, replaced)


def concepts_used(content, symbols=None):
    """Every concept the content shows a symbol for, in the order the pupil meets them."""
    used = []
    for page in content.pages.values():
        used += [w.concept for w in (page.prompt, page.note) if w and w.concept]
        used += [tile.concept for tile in page.tiles]
    used += [w.concept for w in (*content.controls.values(), *content.screens.values())
             if w.concept]
    used += [f"language_{code}" for code in content.languages
             if symbols is not None and symbols.has(f"language_{code}")]
    return list(dict.fromkeys(used))
