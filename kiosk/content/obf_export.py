"""Export the journey as an Open Board Format package (.obz) that AAC tools can open."""
import io
import json
import mimetypes
import re
import struct
import zipfile
from pathlib import Path

from .obf import FORMAT, IMAGE_TYPES, LICENCE_URLS, ObfError, bliss_number, write_atomically
from .scan import columns_for, rows
from .translations import localise


def board_path(page_id):
    return f"boards/{page_id}.obf"


def export_obz(content, symbols, language_code, out_path):
    """Write the journey to out_path as an .obz, only once it is complete; returns counts."""
    language = content.languages.get(language_code)
    if language is None:
        raise ObfError(f"no language '{language_code}': choose one of "
                       f"{', '.join(content.languages)} (each is a file "
                       "content/translations/<code>.toml, English is built in)")
    pages, _, _ = localise(content, language)
    following = dict(zip(content.flow, content.flow[1:]))  # page id -> the next in the flow
    images = {}  # concept -> (image record, bytes)
    files = {}
    for page in pages.values():
        board = _board(page, pages, following.get(page.id, ""), symbols, images, language.code)
        files[board_path(page.id)] = _json(board)
    for record, data in images.values():
        files[record["path"]] = data
    files["manifest.json"] = _json({
        "format": FORMAT, "root": board_path(content.flow[0]),
        "paths": {"boards": {page_id: board_path(page_id) for page_id in pages},
                  "images": {record["id"]: record["path"] for record, _ in images.values()},
                  "sounds": {}}})
    write_atomically(out_path, _zip(files))
    return {"boards": len(pages), "images": len(images), "language": language.name}


def _json(data):
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def _zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _board(page, pages, next_page, symbols, images, locale):
    """One page as a board: the prompt is its name, each tile a button on a grid."""
    buttons = [_button(tile, pages, next_page, symbols, images) for tile in page.tiles]
    concepts = list(dict.fromkeys(tile.concept for tile in page.tiles))
    board = {"format": FORMAT, "id": page.id, "locale": locale, "name": page.prompt.text,
             "ext_kiosk_description": page.prompt.say, "ext_kiosk_kind": page.kind,
             "license": _board_licence(symbols, [images[c][0]["license"] for c in concepts]),
             "buttons": buttons, "grid": _grid([b["id"] for b in buttons]),
             "images": [images[concept][0] for concept in concepts], "sounds": []}
    if page.note:
        board["ext_kiosk_note"] = {"text": page.note.text, "say": page.note.say}
    if page.show_if:
        board["ext_kiosk_show_if"] = list(page.show_if)
    if page.field:
        board["ext_kiosk_field"] = page.field
    return board


def _button(tile, pages, next_page, symbols, images):
    if tile.concept not in images:
        images[tile.concept] = _image(tile.concept, symbols)
    button = {"id": tile.id, "label": tile.label, "vocalization": tile.say,
              "image_id": images[tile.concept][0]["id"], "ext_kiosk_concept": tile.concept}
    bliss = bliss_number(symbols, tile.concept)
    if bliss is not None:
        button["ext_kiosk_bliss"] = bliss
    target = tile.go or next_page
    if target:
        button["load_board"] = {"id": target, "path": board_path(target),
                                "name": pages[target].prompt.text}
    if tile.opens:
        button["ext_kiosk_opens"] = tile.opens
    return button


def _grid(ids):
    """Rows as the kiosk lays tiles out, so an AAC tool shows the same grid."""
    if not ids:
        return {"rows": 1, "columns": 1, "order": [[None]]}
    columns = columns_for(len(ids))
    order = rows(ids, columns)
    order[-1] = order[-1] + [None] * (columns - len(order[-1]))
    return {"rows": len(order), "columns": columns, "order": order}


def _image(concept, symbols):
    """(image record, file bytes) for a concept's symbol, with its pack's licence."""
    found = symbols.locate(concept)
    if found is None:
        raise ObfError(f"no symbol for concept '{concept}': run check-content")
    pack_name, file_name = found
    pack = next(p for p in symbols.packs if p.name == pack_name)
    data = symbols.file_path(pack_name, file_name).read_bytes()
    suffix = Path(file_name).suffix.lower()
    content_type = IMAGE_TYPES.get(suffix) or mimetypes.guess_type(file_name)[0] \
        or "application/octet-stream"
    record = {"id": concept, "path": f"images/{pack_name}/{file_name}",
              "content_type": content_type, "license": pack_licence(pack)}
    size = image_size(data, content_type)
    if size:
        record["width"], record["height"] = size
    return record, data


def pack_licence(pack):
    """A symbol pack's licence and attribution as an OBF license."""
    licence = {"type": pack.licence, "author_name": pack.attribution,
               "ext_kiosk_pack": pack.title}
    if pack.licence in LICENCE_URLS:
        licence["copyright_notice_url"] = LICENCE_URLS[pack.licence]
    return licence


def _board_licence(symbols, licences):
    """The licence of the symbols on a board, each pack's attribution included.

    A board without symbols (review, urgent) states the default pack's licence.
    """
    if not licences:
        licences = [pack_licence(symbols.default)]
    unique = list({(l["type"], l["author_name"]): l for l in licences}.values())
    if len(unique) == 1:
        return dict(unique[0])
    return {"type": " + ".join(dict.fromkeys(l["type"] for l in unique)),
            "author_name": " ".join(l["author_name"] for l in unique),
            "ext_kiosk_licences": unique}


def image_size(data, content_type):
    """(width, height) of an SVG (its viewBox or size) or a PNG, else None."""
    if content_type == "image/png" and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if content_type == "image/svg+xml":
        head = data[:2000].decode("utf-8", "replace")
        box = re.search(r'viewBox\s*=\s*["\']\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)',
                        head)
        if box:
            return round(float(box.group(1))), round(float(box.group(2)))
    return None
