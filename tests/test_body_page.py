"""The pupil's "Show me where" body page: content checked, places sent as answers,
stored with their English names, and the marked picture on the case page and the PDF."""
import html
import io
import json
import re

import pytest
from pypdf import PdfReader

import kiosk.staff.pupil_body_views  # noqa: F401  (the case panel; see the module)
from kiosk.content import scan
from kiosk.content.loading import ContentError, load_content
from kiosk.services import services

from helpers import a_report, rows
from test_concern_form import concern, teacher  # noqa: F401  (the teacher fixture)

HURT = {"safe": ["yes"], "what": ["hurt"]}
MARKED_FILL = b".752941 .223529 .168627 rg"  # the PDF's fill for a marked place


def journey(client):
    page = client.get("/kiosk").get_data(as_text=True)
    return json.loads(page.split('<script id="journey" type="application/json">')[1]
                      .split("</script>")[0])


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_page_follows_what_happened_when_someone_hurt_the_pupil(app):
    with app.app_context():
        content = services().content
    page = content.pages["body"]
    assert content.flow.index("body") == content.flow.index("what_more") + 1
    assert page.kind == "body" and page.show_if == ("what:hurt",)
    names = [p.label for p in page.places]
    for name in ("Head", "Face", "Arm", "Hand", "Tummy", "Chest", "Leg", "Foot", "Back",
                 "Bottom", "Private parts (vulva or penis)"):
        assert name in names
    assert {s.side for p in page.places for s in p.shapes} == {"front", "back"}
    assert page.someone_else["prompt"].text == "Show me where on them."


@pytest.mark.parametrize("switches", [1, 2])
def test_every_place_can_be_reached_by_switch(app, switches):
    with app.app_context():
        content = services().content
        scans = scan.all_scans(content, list(content.languages))
    for place in content.pages["body"].places:
        assert scan.presses(scans["body"], f"tile:{place.id}", switches) is not None
    for control in scan.CONTROLS:
        assert scan.presses(scans["body"], f"control:{control}", switches) is not None
    review = scans["review"]
    assert scan.presses(review, "change:body", switches) is not None


def test_the_kiosk_gets_each_place_named_and_spoken_with_its_shapes(client):
    data = journey(client)
    body = data["pages"]["body"]
    assert [s["text"] for s in body["sides"]] == ["Front", "Back"]
    arm = next(p for p in body["places"] if p["id"] == "arm")
    assert arm["text"] == "Arm" and arm["audio"].startswith("/audio/")
    assert {s["side"] for s in arm["shapes"]} == {"front", "back"}
    assert body["picture"] == {"width": 240, "height": 400}
    assert all(p["audio"] for p in body["places"])


@pytest.mark.parametrize("old, new, message", [
    ('box = [84, 2, 72, 70], shape = "ellipse" } ] },\n  { id = "face"',
     'box = [84, 2, 30, 70], shape = "ellipse" } ] },\n  { id = "face"', "too small to tap"),
    ('{ side = "back", box = [62, 80, 116, 118] }', '{ side = "side", box = [62, 80, 116, 118] }',
     "side 'side' is not one of the page's sides"),
    ('{ side = "back", box = [62, 80, 116, 118] }', '{ side = "back", box = [200, 80, 116, 118] }',
     "outside the 240 x 400 picture"),
    ('{ id = "tummy", text = "Tummy", say = "Tummy.",', '{ id = "tummy", text = "Tummy",',
     "missing or empty 'say'"),
    ('{ id = "tummy", text = "Tummy"', '{ id = "chest", text = "Tummy"', "two places share an id"),
    ('id = "body"\nkind = "body"', 'id = "body"\nkind = "urgent"',
     "places and sides are only for a 'body' page"),
])
def test_a_faulty_body_page_is_refused_naming_the_fault(content_dir, symbols, old, new, message):
    edit(content_dir / "pages.toml", old, new)
    with pytest.raises(ContentError, match=re.escape(message)):
        load_content(content_dir, symbols)


def test_a_translation_names_places_and_sides_or_is_refused(content_dir, symbols):
    content = load_content(content_dir, symbols)
    assert content.languages["cy"].strings["pages.body.places.private_parts"][0] == \
        "Rhannau preifat (fwlfa neu bidyn)"
    assert content.languages["pl"].strings["pages.body.sides.back"][0] == "Tył"
    edit(content_dir / "translations" / "pl.toml", "places.head =", "places.neck =")
    with pytest.raises(ContentError, match="pages.body.places.neck: no such place"):
        load_content(content_dir, symbols)


def test_places_are_stored_with_their_english_names(app, client):
    sent = a_report(**HURT, body=["private_parts", "arm"]) | {"language": "cy"}
    assert client.post("/api/reports", json=sent).status_code == 201
    choices = json.loads(rows(app, "SELECT choices FROM reports")[0]["choices"])
    places = [c for c in choices if c["page"] == "body"]
    # In the order the pupil tapped them, as on any page of several answers.
    assert [(c["tile"], c["label"]) for c in places] == [
        ("private_parts", "Private parts (vulva or penis)"), ("arm", "Arm")]
    assert all(c["body"] and c["question"] == "Show me where." for c in places)
    assert places[0]["label_seen"] == "Rhannau preifat (fwlfa neu bidyn)"


@pytest.mark.parametrize("body, message", [
    (["elbow"], "unknown place 'elbow' on page 'body'"),
    (["arm", "arm"], "a tile is chosen twice on page 'body'"),
    ("arm", "must be a list of place ids"),
    ([7], "must be a list of place ids"),
])
def test_bad_places_are_refused_and_nothing_is_stored(app, client, body, message):
    response = client.post("/api/reports", json=a_report(**HURT, body=body))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert rows(app, "SELECT id FROM reports") == []
    assert rows(app, "SELECT id FROM report_events") == []


def test_a_tile_id_of_another_page_is_not_a_place(app, client):
    response = client.post("/api/reports", json=a_report(**HURT, body=["hurt"]))
    assert response.status_code == 400 and rows(app, "SELECT id FROM reports") == []


def test_the_case_page_shows_the_pupils_marked_picture(client, staff_client):
    client.post("/api/reports", json=a_report(**HURT, body=["back", "bottom", "hand"]))
    page = html.unescape(staff_client.get("/staff/reports/1").get_data(as_text=True))
    assert "Where the pupil showed on the body picture" in page
    assert "The pupil marked: <strong class=\"body-map-named\">Back; Bottom; Hand</strong>" in page
    marked = set(re.findall(r'<g class="region marked" data-region="([^"]+)"', page))
    assert {"back.back-0", "back.bottom-0", "front.hand-0", "front.hand-1",
                      "back.hand-2", "back.hand-3"} <= marked
    assert not {r for r in marked if r.split(".")[1].split("-")[0] not in ("back", "bottom", "hand")}
    assert 'aria-label="Body map, front: Hand, Hand"' in page


def test_a_case_without_places_has_no_pupil_picture(client, staff_client):
    client.post("/api/reports", json=a_report())
    page = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "Where the pupil showed" not in page


def pdf(staff_client):
    response = staff_client.get("/staff/reports/1/chronology.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    drawn = b"".join(p.get_contents().get_data() for p in reader.pages)
    return text, drawn


def test_the_pdf_draws_a_staff_body_map_and_names_its_regions(app, teacher, staff_client):  # noqa: F811
    concern(teacher, body_map=["front.left_forearm", "back.bottom"], q1=["what:hurt"])
    text, drawn = pdf(staff_client)
    assert "Body map (staff)" in text
    assert "Marked: Front: Left forearm and wrist; Back: Bottom (buttocks)" in text
    assert drawn.count(MARKED_FILL) == 2  # the two marked regions, filled


def test_the_pdf_draws_the_pupils_marked_picture(client, staff_client):
    client.post("/api/reports", json=a_report(**HURT, body=["private_parts", "foot"]))
    text, drawn = pdf(staff_client)
    assert "Where the pupil showed on the body picture" in text
    assert "Marked: Private parts (vulva or penis); Foot" in text
    assert drawn.count(MARKED_FILL) == 5  # four feet shapes and the private parts


def test_the_pdf_names_the_pupils_places_in_words(client, staff_client):
    client.post("/api/reports", json=a_report(**HURT, body=["private_parts", "foot"]))
    text, _ = pdf(staff_client)
    assert "Show me where." in text and "Private parts (vulva or penis)" in text
