"""The pupil's "Show me where" page: places on a body picture, front and back.

A page of kind "body" has `places` instead of tiles: each a name (`text`, `say`) and
the shapes it is drawn as, on one side or both (an arm is an arm, front or back). The
places are few and big, so each shape is a target a pupil can hit, and the words are
the proper ones (private parts are named, as the NSPCC found children need). The picture
needs no symbol: it is the symbol. Places are answers like tiles ("page:place").
"""
from dataclasses import dataclass

KIND = "body"
SHAPES = ("rect", "ellipse")
MAX_PLACES = 12
# The picture's box, as the staff body map's: wide enough for two sides side by side.
WIDTH, HEIGHT = 240, 400
# A shape narrower than this (in picture units) would be under 60 px at 1024x768.
MIN_SIDE = 56


class BodyPageError(ValueError):
    """A body page that cannot be used; the message names the place and the fault."""


@dataclass(frozen=True)
class Shape:
    side: str
    box: tuple   # (x, y, width, height) in the picture's units
    shape: str   # "rect" or "ellipse"


@dataclass(frozen=True)
class Place:
    id: str
    label: str     # the name shown (`text` in the content), kept in English on a report
    say: str
    shapes: tuple  # (Shape, ...)


@dataclass(frozen=True)
class Side:
    id: str
    text: str   # the caption under the picture: "Front"
    say: str


def _keys(where, data, required, optional=()):
    if not isinstance(data, dict):
        raise BodyPageError(f"{where}: expected a table")
    missing = [k for k in required if not data.get(k)]
    if missing:
        raise BodyPageError(f"{where}: missing or empty '{missing[0]}'")
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise BodyPageError(f"{where}: unknown key '{unknown[0]}'")


def _shape(where, data, sides):
    _keys(where, data, ("side", "box"), ("shape",))
    box = data["box"]
    if not (isinstance(box, list) and len(box) == 4
            and all(isinstance(n, int) and n >= 0 for n in box)):
        raise BodyPageError(f"{where}: box must be [x, y, width, height] in whole numbers")
    x, y, w, h = box
    if x + w > WIDTH or y + h > HEIGHT:
        raise BodyPageError(f"{where}: box goes outside the {WIDTH} x {HEIGHT} picture")
    if min(w, h) < MIN_SIDE:
        raise BodyPageError(f"{where}: box is too small to tap: make each side at "
                            f"least {MIN_SIDE}")
    if data["side"] not in sides:
        raise BodyPageError(f"{where}: side '{data['side']}' is not one of the page's sides")
    shape = data.get("shape", "rect")
    if shape not in SHAPES:
        raise BodyPageError(f"{where}: shape must be one of {', '.join(SHAPES)}")
    return Shape(data["side"], tuple(box), shape)


def parse_sides(where, raw):
    """The picture's sides in drawing order, each with its caption."""
    if not isinstance(raw, list) or not raw:
        raise BodyPageError(f"{where}: a body page needs sides = [{{ id, text, say }}, ...]")
    sides = []
    for data in raw:
        _keys(f"{where} side", data, ("id", "text"), ("say",))
        if "say" not in data:
            raise BodyPageError(f"{where} side '{data['id']}': missing 'say'")
        sides.append(Side(data["id"], data["text"], data["say"]))
    if len({s.id for s in sides}) != len(sides):
        raise BodyPageError(f"{where}: two sides share an id")
    return tuple(sides)


def parse_places(where, raw, sides):
    """The places, checked: names, shapes on known sides, big enough to tap."""
    if not isinstance(raw, list) or not raw:
        raise BodyPageError(f"{where}: a body page needs places")
    if len(raw) > MAX_PLACES:
        raise BodyPageError(f"{where}: {len(raw)} places, at most {MAX_PLACES} allowed")
    side_ids = {s.id for s in sides}
    places = []
    for i, data in enumerate(raw):
        here = f"{where} place '{data.get('id', i + 1)}'" if isinstance(data, dict) else where
        _keys(here, data, ("id", "text", "say", "shapes"))
        if not isinstance(data["shapes"], list):
            raise BodyPageError(f"{here}: shapes must be a list of {{ side, box, shape }}")
        shapes = tuple(_shape(f"{here} shape {n + 1}", s, side_ids)
                       for n, s in enumerate(data["shapes"]))
        places.append(Place(data["id"], data["text"], data["say"], shapes))
    if len({p.id for p in places}) != len(places):
        raise BodyPageError(f"{where}: two places share an id")
    return tuple(places)
