"""The body map: named regions of a child's body, front and back, marked on a concern.

The regions are data (content/body_map.toml). A concern keeps the marks it was given
with their labels, as an entry of its own, so the record reads the same after any edit
to the map; the picture on the case page is drawn from the map, the words from the entry.
"""
from dataclasses import dataclass
from pathlib import Path

from .chronology import describes
from ..content import files as content_files

FILE = "body_map.toml"
SHAPES = ("rect", "ellipse")
MAX_MARKS = 60
MAX_NOTE = 1000


class BodyMapError(ValueError):
    """A body map that cannot be used or a mark that is not on it; the message says which."""


@dataclass(frozen=True)
class Region:
    side: str
    id: str
    label: str
    box: tuple
    shape: str

    @property
    def key(self):
        return f"{self.side}.{self.id}"


@dataclass(frozen=True)
class BodyMap:
    width: int
    height: int
    sides: tuple  # (id, label, (Region, ...)) in drawing order

    def region(self, key):
        return next((r for _, _, regions in self.sides for r in regions if r.key == key), None)

    def side_label(self, side):
        return next((label for sid, label, _ in self.sides if sid == side), side)


def _region(side, data, where):
    box = data.get("box")
    if not (isinstance(data.get("id"), str) and isinstance(data.get("label"), str)
            and isinstance(box, list) and len(box) == 4
            and all(isinstance(n, int) and n >= 0 for n in box)):
        raise BodyMapError(f"{where}: each region needs an id, a label and box = [x, y, w, h]")
    shape = data.get("shape", "rect")
    if shape not in SHAPES:
        raise BodyMapError(f"{where}: region '{data['id']}' has shape '{shape}': "
                           f"use one of {', '.join(SHAPES)}")
    return Region(side, data["id"], data["label"], tuple(box), shape)


def parse(data, where=FILE):
    """A BodyMap from the file's data; BodyMapError naming the fault."""
    sides, seen = [], set()
    for side in data.get("side", []):
        regions = tuple(_region(side.get("id", ""), r, where) for r in side.get("regions", []))
        for region in regions:
            if region.key in seen:
                raise BodyMapError(f"{where}: region '{region.key}' is there twice")
            seen.add(region.key)
        sides.append((side.get("id", ""), side.get("label", ""), regions))
    if not sides or not seen:
        raise BodyMapError(f"{where}: the body map needs at least one side with regions")
    return BodyMap(int(data.get("width", 200)), int(data.get("height", 420)), tuple(sides))


def load(content_dir=None):
    """The school's body map (its content folder's, else the one shipped), read once."""
    return content_files.load(content_dir, FILE, parse, BodyMapError)


def marks_from(body_map, keys, note=""):
    """The marks for the region keys given ("front.chest"), in map order, with labels."""
    keys = [k for k in dict.fromkeys(keys) if k]
    if len(keys) > MAX_MARKS:
        raise BodyMapError(f"At most {MAX_MARKS} body map regions can be marked.")
    unknown = [k for k in keys if body_map.region(k) is None]
    if unknown:
        raise BodyMapError(f"'{unknown[0][:40]}' is not a region on the body map.")
    note = (note or "").replace("\x00", "").strip()
    if len(note) > MAX_NOTE:
        raise BodyMapError(f"The body map note is too long: at most {MAX_NOTE} characters.")
    marks = [{"side": r.side, "side_label": body_map.side_label(r.side), "region": r.id,
              "label": r.label}
             for _, _, regions in body_map.sides for r in regions if r.key in keys]
    return {"marks": marks, "note": note}


def named(detail):
    """The marked regions in words: "Front: Chest; Back: Bottom (buttocks)"."""
    return "; ".join(f"{m['side_label']}: {m['label']}" for m in detail.get("marks", []))


@describes("body_map")
def _body_map_entry(detail):
    text = named(detail) or "No regions marked"
    if detail.get("note"):
        text += f". Note: {detail['note']}"
    return "Body map", text


def latest_marks(db, report_id):
    """The newest body map entry's detail on a case, or None."""
    from .cases import entries
    found = [e for e in entries(db, report_id) if e["kind"] == "body_map"]
    return found[-1]["detail"] if found else None
