"""Open Board Format (OBF): what export and import share.

OBF (openboardformat.org) is the format AAC tools exchange boards in: a board is JSON
with `format = "open-board-0.1"`, buttons (label, vocalization, image_id, load_board),
a grid and images with their licences; an .obz is a zip of boards and images with a
`manifest.json` naming the root board. Fields of our own start `ext_kiosk_`.
"""
import base64
import binascii
import json
import os
import re
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import unquote_to_bytes

FORMAT = "open-board-0.1"
IMAGE_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
               ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp"}
IMPORTED_PACK = "boards"  # symbols/boards/: kiosk/content/symbols.py looks there after default
LICENCE_URLS = {
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "CC-BY-NC-SA-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
}


class ObfError(Exception):
    """A board that cannot be exported or imported; the message says why and what to do."""


def safe_id(text):
    """An id as content/ writes them: lower-case letters, digits and underscores."""
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def bliss_number(symbols, concept):
    """The concept's Bliss concept number (BCI-AV ID) where the symbol packs know one."""
    lookup = getattr(symbols, "bliss", None)  # symbol packs without Bliss numbers lack it
    return lookup(concept) if callable(lookup) else None


def write_atomically(path, data):
    """Write bytes to path through a temporary file beside it, so no reader sees half."""
    path = Path(path)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".part", delete=False)
    try:
        with handle:
            handle.write(data)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def toml_string(text):
    """A TOML basic string: JSON's escapes are TOML's, except DEL, which TOML forbids."""
    return json.dumps(str(text), ensure_ascii=False).replace("\x7f", "\\u007f")


# Reading a board -------------------------------------------------------------------

MAX_BYTES = 5 * 1024 * 1024  # a board or an image; AAC symbols are far smaller
SUFFIXES = {"image/svg+xml": ".svg", "image/png": ".png", "image/jpeg": ".jpg",
            "image/gif": ".gif", "image/webp": ".webp"}
MAGIC = {".png": b"\x89PNG", ".jpg": b"\xff\xd8", ".gif": b"GIF8", ".webp": b"RIFF"}
# An SVG symbol is a picture: anything that runs or reaches out is refused.
UNSAFE_SVG = re.compile(rb"<!ENTITY|<script|<foreignObject|javascript:|\son[a-z]+\s*=",
                        re.IGNORECASE)


def read_board(path):
    """(board, files): an .obf, or the root board of an .obz with the files it holds."""
    path = Path(path)
    try:
        if zipfile.is_zipfile(path):
            return _read_obz(path)
        if path.suffix.lower() == ".obz":
            raise ObfError(f"{path.name}: not a zip file; an .obz is a zip holding boards, "
                           "their images and a manifest.json")
        return _board_json(path.name, _limited(path.name, path.read_bytes())), {}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            EOFError, OSError) as exc:
        raise ObfError(f"{path.name}: cannot be read: {exc}") from None


def _read_obz(path):
    with zipfile.ZipFile(path) as archive:
        names = {_clean(info.filename): info for info in archive.infolist()}
        root = _root(path.name, archive, names)
        board = _board_json(f"{path.name}: {root}", _member(archive, names[root]))
        files = {}
        for image in board.get("images") or []:
            wanted = _clean(image.get("path")) if isinstance(image, dict) else ""
            if wanted in names:
                files[wanted] = _member(archive, names[wanted])
    return board, files


def _root(name, archive, names):
    if "manifest.json" in names:
        manifest = _json(f"{name}: manifest.json", _member(archive, names["manifest.json"]))
        root = _clean(manifest.get("root"))
        if root not in names:
            raise ObfError(f"{name}: manifest.json names no root board that is in the zip")
        return root
    boards = [n for n in names if n.endswith(".obf")]
    if len(boards) != 1:
        raise ObfError(f"{name}: no manifest.json to say which board comes first")
    return boards[0]


def _clean(name):
    """A path inside a package as manifests write it: no leading ./ or /."""
    if not isinstance(name, str):
        return ""
    return name.replace("\\", "/").removeprefix("./").lstrip("/")


def _member(archive, info):
    if info.file_size > MAX_BYTES:
        raise ObfError(f"{info.filename}: larger than {MAX_BYTES // 2**20} MB")
    return archive.read(info)


def _limited(where, data):
    if len(data) > MAX_BYTES:
        raise ObfError(f"{where}: larger than {MAX_BYTES // 2**20} MB")
    return data


def _json(where, data):
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ObfError(f"{where}: not an Open Board Format board: not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ObfError(f"{where}: not an Open Board Format board: expected a JSON object")
    return value


def _board_json(where, data):
    board = _json(where, data)
    if not str(board.get("format", "")).startswith("open-board-"):
        raise ObfError(f"{where}: not an Open Board Format board: format is "
                       f"'{board.get('format', '')}', expected '{FORMAT}'")
    return board


def board_image(board, button):
    """The image record a button points at with image_id, or None."""
    wanted = button.get("image_id")
    images = board.get("images") if isinstance(board.get("images"), list) else []
    return next((image for image in images if isinstance(image, dict) and wanted is not None
                 and str(image.get("id")) == str(wanted)), None)


def image_bytes(where, image, files):
    """(bytes, file suffix) of an image from its data URI or its file in the package."""
    if not image:
        raise ObfError(f"{where}: no image, and no symbol the kiosk has matches it "
                       "(by ext_kiosk_concept, Bliss number or label)")
    content_type = str(image.get("content_type") or "")
    if image.get("data"):
        data, content_type = _data_uri(where, str(image["data"]), content_type)
    elif image.get("path"):
        data = files.get(_clean(image["path"]))
        if data is None:
            raise ObfError(f"{where}: its image '{image['path']}' is not in the package "
                           "(a lone .obf carries images only as data: URIs; use an .obz)")
        content_type = content_type or IMAGE_TYPES.get(Path(image["path"]).suffix.lower(), "")
    elif image.get("url"):
        raise ObfError(f"{where}: its image is only a link ({image['url']}), which the kiosk "
                       "cannot fetch: it works offline. Export the board as an .obz with its "
                       "images, or match the button to a kiosk concept (ext_kiosk_concept)")
    else:
        raise ObfError(f"{where}: its image has no data or file (a symbol set the kiosk "
                       "does not have); export the board with its images")
    suffix = SUFFIXES.get(content_type.split(";")[0].strip().lower())
    if suffix is None:
        raise ObfError(f"{where}: image type '{content_type}' is not one the kiosk shows "
                       "(SVG, PNG, JPEG, GIF or WebP)")
    _check_image(where, data, suffix)
    return data, suffix


def _data_uri(where, uri, content_type):
    found = re.fullmatch(r"data:([^;,]*)((?:;[^;,]*)*),(.*)", uri, re.DOTALL)
    if not found:
        raise ObfError(f"{where}: its image data is not a data: URI")
    try:
        data = (base64.b64decode(found.group(3), validate=False)
                if ";base64" in found.group(2) else unquote_to_bytes(found.group(3)))
    except (binascii.Error, ValueError):
        raise ObfError(f"{where}: its image data is not valid base64") from None
    return _limited(where, data), found.group(1) or content_type


def _check_image(where, data, suffix):
    if suffix == ".svg":
        if b"<svg" not in data or UNSAFE_SVG.search(data):
            raise ObfError(f"{where}: the SVG image is not a plain picture (it has scripts, "
                           "entities or embedded HTML, or no <svg>); convert it to PNG")
    elif not data.startswith(MAGIC[suffix]) or (suffix == ".webp" and data[8:12] != b"WEBP"):
        raise ObfError(f"{where}: the image is not the {suffix[1:].upper()} it says it is")
