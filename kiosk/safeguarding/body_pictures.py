"""Marked body pictures for people to read: the pupil's own "Show me where" and the
staff body map, as plain data the case page and the PDF both draw.

The words come from the record (the English names kept with the report or the entry);
the picture is drawn from the content as it is now, as the staff body map is.
"""
from flask import current_app, has_app_context

from . import body_map as body_maps
from ..content.body_page import HEIGHT, WIDTH

PUPIL_TITLE = "Where the pupil showed on the body picture"
STAFF_TITLE = "Body map (staff)"


def _content():
    """The loaded content, when there is an app (the PDF may be made without one)."""
    if not has_app_context():
        return None
    loaded = current_app.extensions.get("kiosk")
    return getattr(loaded, "content", None)


def _content_dir():
    return current_app.config.get("CONTENT_DIR") if has_app_context() else None


def pupil_places(choices):
    """The report's choices that are places on the body picture, in the pupil's order."""
    return [c for c in choices if c.get("body")]


def pupil_map(page):
    """A body page drawn as a body map: each shape of each place a region, keyed
    "<side>.<place>-<n>", so the staff map's template draws it."""
    sides = []
    for side in page.sides:
        regions = tuple(body_maps.Region(side.id, f"{place.id}-{n}", place.label, shape.box,
                                         shape.shape)
                        for place in page.places
                        for n, shape in enumerate(place.shapes) if shape.side == side.id)
        sides.append((side.id, side.text, regions))
    return body_maps.BodyMap(WIDTH, HEIGHT, tuple(sides))


def marked_regions(drawn, place_ids):
    """The region keys of the chosen places."""
    return {r.key for _, _, regions in drawn.sides for r in regions
            if r.id.rsplit("-", 1)[0] in place_ids}


def pupil_picture(choices, content=None):
    """{title, question, named, map, marked} for a report's body places, or None.

    `map` is None when the content no longer has the page: the words still say where."""
    places = pupil_places(choices)
    if not places:
        return None
    content = content or _content()
    page = content.pages.get(places[0].get("page")) if content else None
    drawn = pupil_map(page) if page is not None and page.kind == "body" else None
    return {"title": PUPIL_TITLE, "question": places[0]["question"],
            "named": "; ".join(c["label"] for c in places), "map": drawn,
            "marked": marked_regions(drawn, {c["tile"] for c in places}) if drawn else set()}


def staff_picture(detail, drawn=None):
    """The same for a staff body map entry's detail (its marks and note)."""
    drawn = drawn or body_maps.load(_content_dir())
    return {"title": STAFF_TITLE, "question": "", "map": drawn,
            "named": body_maps.named(detail) or "No regions marked",
            "marked": {f"{m['side']}.{m['region']}" for m in detail.get("marks", [])},
            "note": detail.get("note", "")}


def as_data(picture):
    """A picture as plain data (JSON-able), for the PDF: sides of shapes, marked or not."""
    drawn = picture["map"]
    sides = [] if drawn is None else [
        {"label": label, "shapes": [{"box": list(r.box), "shape": r.shape,
                                     "marked": r.key in picture["marked"]} for r in regions]}
        for _, label, regions in drawn.sides]
    return {"title": picture["title"], "named": picture["named"],
            "note": picture.get("note", ""),
            "width": drawn.width if drawn else 0, "height": drawn.height if drawn else 0,
            "sides": sides}
