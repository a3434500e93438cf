"""One symbol per meaning: a pupil who reads symbols, not words, must never meet two
pictures for the same answer, nor one picture for two different things."""
from kiosk.services import services


def tiles_by_label(app):
    with app.app_context():
        content = services().content
    return content, [(page.id, tile) for page in content.pages.values() for tile in page.tiles]


def test_every_no_is_the_same_no(app):
    content, tiles = tiles_by_label(app)
    noes = {(page, t.label): t.concept for page, t in tiles
            if t.label == "No" or t.label.startswith("No,")}
    assert len(noes) >= 3  # "No" to safe, "No, skip" to more, "No" to a name
    assert set(noes.values()) == {"no"}, noes
    assert content.controls["heard_wrong"].concept == "no"


def test_online_the_place_is_not_something_online_upset_me(app):
    _, tiles = tiles_by_label(app)
    concept = {t.label: t.concept for _, t in tiles}
    assert concept["Online"] != concept["Something online upset me"]


def test_a_symbol_stands_for_one_answer_on_a_page(app):
    content, _ = tiles_by_label(app)
    for page in content.pages.values():
        concepts = [t.concept for t in page.tiles]
        assert len(concepts) == len(set(concepts)), page.id
