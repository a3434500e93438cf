"""The switch scan order, computed on the server: every tile reachable, in few presses."""
import json

import pytest

from kiosk.content import scan
from kiosk.services import services

# A pupil using switches must never need more than this many presses for any tile
# or fixed control: two switches step then choose; one switch only chooses.
MAX_PRESSES = {1: 2, 2: 10}
MAX_STEPS = 8  # highlight steps auto scanning takes to reach anything, within one round


def journey(client):
    html = client.get("/kiosk").get_data(as_text=True)
    return json.loads(html.split('type="application/json">', 1)[1].split("</script>", 1)[0])


def flat(entries):
    for entry in entries:
        yield from entry["items"] if isinstance(entry, dict) else [entry]


def test_scan_order_follows_the_rows_on_screen():
    assert [scan.columns_for(n) for n in range(1, 6)] == [1, 2, 3, 2, 3]
    tiles = [f"tile:{n}" for n in "abcde"]
    assert scan._grid(tiles[:3]) == tiles[:3]  # one row: tile by tile
    assert scan._grid(tiles) == [{"cue": "scan_row_1", "items": tiles[:3]},
                                 {"cue": "scan_row_2", "items": tiles[3:]}]


def test_the_page_gets_the_scan_order_and_columns_it_is_laid_out_by(client):
    data = journey(client)
    what = data["pages"]["what"]
    assert what["columns"] == 3
    assert data["scan"]["what"][0] == {"cue": "scan_row_1", "items": [
        "tile:unkind", "tile:online", "tile:pictures"]}
    assert data["scan"]["safe"][:3] == ["tile:yes", "tile:no", "tile:not_sure"]
    assert data["scan"]["hello"][:3] == ["tile:start", "tile:someone_else", "tile:heard_back"]
    assert data["scan"]["hello"][3] == {"cue": "", "items": [
        "option:language", "option:slower", "option:bigger"]}
    for cue in ("scan_row_1", "scan_row_2", "scan_controls", "scan_paused"):
        assert data["screens"][cue]["audio"], f"{cue} must be spoken"


@pytest.mark.parametrize("switches", [1, 2])
def test_every_tile_and_control_on_every_page_is_reachable(app, switches):
    with app.app_context():
        content = services().content
        scans = scan.all_scans(content, list(content.languages))
        for page_id, page in content.pages.items():
            targets = [f"tile:{t.id}" for t in page.tiles]
            targets += [f"control:{c}" for c in scan.CONTROLS]
            if page.kind == "review":
                targets += [f"{part}:{p}" for p in content.flow
                            if content.pages[p].kind in ("choice", "multi", "text")
                            for part in ("answer", "change")]
            for target in targets:
                presses = scan.presses(scans[page_id], target, switches)
                assert presses is not None, f"{target} cannot be reached on {page_id}"
                if page.kind == "review":  # one row per answer: see the next test
                    continue
                if target == "control:hide":
                    continue  # also a switch held down, from anywhere (browser tests)
                assert presses <= MAX_PRESSES[switches], (page_id, target, presses)
                assert scan.steps(scans[page_id], target) <= MAX_STEPS
        for code in content.languages:
            assert scan.presses(scans[scan.LANGUAGE_PAGE], f"tile:{code}", switches) \
                <= MAX_PRESSES[switches]


def test_review_rows_are_reachable_within_a_bounded_number_of_presses(app):
    """The review page lists every answered page: still at most one row per page."""
    with app.app_context():
        content = services().content
        review = scan.all_scans(content, ["en"])["review"]
        answerable = [p for p in content.flow
                      if content.pages[p].kind in ("choice", "multi", "text", "body")]
        # Then "Tell us more" (when questions are left) and the fixed controls.
        assert len(review) == len(answerable) + 2
        assert review[-2] == "control:tell-more"
        last = f"change:{answerable[-1]}"
        assert scan.presses(review, last, 1) == 2
        assert scan.presses(review, last, 2) == len(answerable) + 2


def test_nothing_is_scanned_twice_on_a_page(app):
    with app.app_context():
        content = services().content
        for page_id, entries in scan.all_scans(content, ["en", "pl"]).items():
            items = list(flat(entries))
            assert len(items) == len(set(items)), page_id


def test_presses_for_something_not_on_the_page_is_none():
    assert scan.presses(["tile:a"], "tile:b", 1) is None
    assert scan.steps(["tile:a"], "tile:b") is None


def test_tiles_carry_their_bliss_concept_number_where_one_exists(client):
    tiles = {t["id"]: t for t in journey(client)["pages"]["safe"]["tiles"]}
    assert tiles["yes"]["bliss"] == 18294 and tiles["no"]["bliss"] == 15722
    what = {t["id"]: t for t in journey(client)["pages"]["what"]["tiles"]}
    assert what["unkind"]["bliss"] is None  # no Bliss word means the same
