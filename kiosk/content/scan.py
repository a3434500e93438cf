"""Switch scanning order for each page, worked out here from the page's layout.

The kiosk lays tiles out in the rows given by `columns_for`, so the order a switch
user meets them is known without a browser, sent to the page as data, and tested.

A scan is a list of entries. An entry is an item reference ("tile:unkind",
"control:forward") or a group {"cue": screen key, "items": [...]}: choosing a group
steps into it. A short page (one row of tiles) is scanned tile by tile; a grid is
scanned row by row, then tile by tile. The fixed controls are one more group, so
Next, Back and Get an adult are always within reach.
"""

# Fixed controls in scan order: Next first, as a pupil on a many-answer page needs it
# most; Hide last (the top-right corner). Each names the button's element id.
CONTROLS = ("forward", "back", "get-adult", "listen", "speak", "hide")
START_OPTIONS = ("language", "slower", "bigger")
ROW_CUES = ("scan_row_1", "scan_row_2")
# Pages the review reads back, each a row with Change (the body page's places too).
REVIEWED_KINDS = ("choice", "multi", "text", "body")
LANGUAGE_PAGE = "_language"  # the page of languages, reached from the first page


def columns_for(count):
    """Tiles per row: one row up to three tiles, then two even-ish rows (2+2, 3+2)."""
    return count if count <= 3 else (count + 1) // 2


def rows(items, columns):
    return [items[i:i + columns] for i in range(0, len(items), max(columns, 1))]


def _grid(items):
    """One row: the items themselves; more rows: a group per row."""
    lines = rows(items, columns_for(len(items)))
    if len(lines) == 1:
        return list(lines[0])
    return [{"cue": ROW_CUES[min(i, len(ROW_CUES) - 1)], "items": line}
            for i, line in enumerate(lines)]


def controls_group():
    return {"cue": "scan_controls", "items": [f"control:{c}" for c in CONTROLS]}


def page_scan(page, flow_pages=()):
    """The scan for one content page (see the module docstring for the shape)."""
    if page.kind == "review":
        # One group per answered page, in journey order: what was said, then Change.
        # The page keeps only the groups whose answers are on screen.
        entries = [{"cue": "", "page": p.id, "items": [f"answer:{p.id}", f"change:{p.id}"]}
                   for p in flow_pages if p.kind in REVIEWED_KINDS]
        # "Tell us more" (questions not yet answered), shown only when there are some.
        return entries + ["control:tell-more", controls_group()]
    items = [f"tile:{tile.id}" for tile in page.tiles]
    if getattr(page, "send_now", False):
        items.append("control:send-now")  # a place in the grid, after the answers it sends
    entries = _grid(items)
    if page.kind == "body":
        # Places in body order, head to foot: the top row is the top half of the body.
        # Each place's first shape is its button ("tile:<place>", as tiles are found).
        entries = _grid([f"tile:{place.id}" for place in page.places])
    if page.kind == "start":
        entries.append({"cue": "", "items": [f"option:{o}" for o in START_OPTIONS]})
    return entries + [controls_group()]


HEARING_PAGE = "_hearing"  # the pictures of a hearing-back code, from the first page


def language_scan(codes):
    return _grid([f"tile:{code}" for code in codes]) + [controls_group()]


def all_scans(content, language_codes, hearing_ids=()):
    flow_pages = [content.pages[p] for p in content.flow]
    scans = {pid: page_scan(page, flow_pages) for pid, page in content.pages.items()}
    scans[LANGUAGE_PAGE] = language_scan(language_codes)
    if hearing_ids:
        scans[HEARING_PAGE] = language_scan(hearing_ids)  # a grid of pictures, the same way
    return scans


def presses(scan, target, switches):
    """Switch presses to choose `target` from the start of a scan, or None if unreachable.

    One switch (auto scanning): one press per level chosen; the highlight walks there
    by itself. Two switches: one press per step moved, plus one per level chosen.
    """
    for index, entry in enumerate(scan):
        items = entry["items"] if isinstance(entry, dict) else [entry]
        if target not in items:
            continue
        inner = items.index(target)
        if isinstance(entry, dict):
            return 2 if switches == 1 else index + 1 + inner + 1
        return 1 if switches == 1 else index + 1
    return None


def steps(scan, target):
    """Highlight steps auto scanning takes to reach `target` (bounded by one round)."""
    for index, entry in enumerate(scan):
        items = entry["items"] if isinstance(entry, dict) else [entry]
        if target in items:
            return index + (items.index(target) if isinstance(entry, dict) else 0)
    return None
