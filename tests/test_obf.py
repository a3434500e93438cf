"""Open Board Format exchange: export the journey as an .obz, import a board as a page."""
import base64
import json
import shutil
import struct
import zipfile
import zlib

import pytest

from kiosk import PROJECT_ROOT, create_app
from kiosk.content.loading import ContentError, load_content
from kiosk.content.symbols import Symbols, load_pack
from kiosk.content.translations import localise

from helpers import kiosk_device


@pytest.fixture
def school(tmp_path):
    """Copies of content/ and symbols/ for the commands to change; the repo is never touched."""
    for name in ("content", "symbols"):
        shutil.copytree(PROJECT_ROOT / name, tmp_path / name)
    return tmp_path


def make_app(school, clock):
    return create_app({"TESTING": True, "CLOCK": clock, "VOSK_MODEL": "",
                       "CONTENT_DIR": str(school / "content"),
                       "SYMBOLS_DIR": str(school / "symbols")})


@pytest.fixture
def obf_app(school, tmp_path, monkeypatch, clock):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    return make_app(school, clock)


def content_cli(app, *args):
    return app.test_cli_runner().invoke(args=["content", *args])


def loaded(school):
    symbols = Symbols(school / "symbols")
    return symbols, load_content(school / "content", symbols)


def png(width=4, height=3):
    """A real, tiny PNG file."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\xcc\x22\x22" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def write_obz(path, board, files=None, root="boards/1.obf"):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", json.dumps({
            "format": "open-board-0.1", "root": root,
            "paths": {"boards": {board["id"]: root}, "images": {}}}))
        archive.writestr(root, json.dumps(board))
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    return path


def lesson_board(**changes):
    """A board from another AAC tool: numeric ids, images by path, data and URL."""
    board = {
        "format": "open-board-0.1", "id": "1", "locale": "en", "name": "Which lesson was it?",
        "license": {"type": "CC-BY-SA-4.0", "author_name": "Jo Board"},
        "buttons": [
            {"id": "1", "label": "Maths", "image_id": "i1"},
            {"id": "2", "label": "Yes", "vocalization": "Yes please.", "image_id": "i2"},
            {"id": "3", "label": "Art", "image_id": "i3"},
        ],
        "grid": {"rows": 1, "columns": 3, "order": [["3", "1", "2"]]},
        "images": [
            {"id": "i1", "path": "images/maths.png", "content_type": "image/png",
             "license": {"type": "CC-BY-4.0", "author_name": "Sarah Miller",
                         "author_url": "https://example.org/sarah"}},
            {"id": "i2", "url": "https://example.org/yes.png", "content_type": "image/png"},
            {"id": "i3", "content_type": "image/png",
             "data": "data:image/png;base64," + base64.b64encode(png()).decode()},
        ],
    }
    board.update(changes)
    return board


def snapshot(school):
    """Every file under content/ and symbols/, with its bytes."""
    return {path: path.read_bytes() for name in ("content", "symbols")
            for path in sorted((school / name).rglob("*")) if path.is_file()}


def export(app, school, *args):
    out = school / "journey.obz"
    result = content_cli(app, "export-obf", str(out), *args)
    assert result.exit_code == 0, result.output
    return zipfile.ZipFile(out)


# Export ----------------------------------------------------------------------------

def test_export_is_an_obz_with_a_board_per_page(obf_app, school):
    archive = export(obf_app, school)
    names = set(archive.namelist())
    manifest = json.loads(archive.read("manifest.json"))
    symbols, content = loaded(school)
    assert manifest["format"] == "open-board-0.1"
    assert manifest["root"] in names and manifest["root"] == manifest["paths"]["boards"]["hello"]
    assert set(manifest["paths"]["boards"]) == set(content.pages)
    for page in content.pages.values():
        board = json.loads(archive.read(manifest["paths"]["boards"][page.id]))
        assert (board["format"], board["id"], board["locale"]) == ("open-board-0.1", page.id, "en")
        assert board["name"] == page.prompt.text
        assert board["ext_kiosk_description"] == page.prompt.say
        images = {image["id"]: image for image in board["images"]}
        assert [b["id"] for b in board["buttons"]] == [t.id for t in page.tiles]
        for button, tile in zip(board["buttons"], page.tiles):
            assert (button["label"], button["vocalization"]) == (tile.label, tile.say)
            assert button["ext_kiosk_concept"] == tile.concept
            image = images[button["image_id"]]
            assert image["path"] in names
            assert manifest["paths"]["images"][image["id"]] == image["path"]
            assert image["content_type"] == "image/svg+xml"
            assert image["license"]["type"] == "CC0-1.0"
            bliss = getattr(symbols, "bliss", lambda concept: None)(tile.concept)
            assert button.get("ext_kiosk_bliss") == bliss
        placed = [i for row in board["grid"]["order"] for i in row if i is not None]
        assert sorted(placed) == sorted(t.id for t in page.tiles)
        assert board["grid"]["rows"] == len(board["grid"]["order"])
        assert all(len(row) == board["grid"]["columns"] for row in board["grid"]["order"])


def test_export_links_follow_the_flow(obf_app, school):
    archive = export(obf_app, school)
    _, content = loaded(school)
    for page_id, next_id in zip(content.flow, content.flow[1:]):
        board = json.loads(archive.read(f"boards/{page_id}.obf"))
        for button in board["buttons"]:
            tile = content.pages[page_id].tile(button["id"])
            target = tile.go or next_id
            assert button["load_board"]["id"] == target
            assert button["load_board"]["path"] in archive.namelist()
    safe = json.loads(archive.read("boards/safe.obf"))
    assert {b["id"]: b["load_board"]["id"] for b in safe["buttons"]} == {
        "yes": "what", "no": "urgent", "not_sure": "what"}


def test_export_grid_is_laid_out_as_the_kiosk_shows_it(obf_app, school):
    archive = export(obf_app, school)
    feel = json.loads(archive.read("boards/feel.obf"))  # five tiles: a row of 3, then 2
    assert feel["grid"] == {"rows": 2, "columns": 3, "order": [
        ["sad", "scared", "angry"], ["worried", "okay", None]]}
    review = json.loads(archive.read("boards/review.obf"))
    assert review["buttons"] == [] and review["grid"]["rows"] == 1


def test_export_boards_state_the_licence_with_attribution(obf_app, school):
    archive = export(obf_app, school)
    pack = load_pack(school / "symbols", "default")
    for name in ("boards/hello.obf", "boards/review.obf"):
        licence = json.loads(archive.read(name))["license"]
        assert licence["type"] == "CC0-1.0"
        assert licence["author_name"] == pack.attribution
        assert licence["copyright_notice_url"].startswith("https://creativecommons.org/")


def polish_file(school):
    """The school's Polish translation, or a small one when the content has none yet."""
    path = school / "content" / "translations" / "pl.toml"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        path.write_text('schema = 1\ncode = "pl"\nname = "Polski"\nenglish_name = "Polish"\n'
                        'voice = "pl"\n\n[pages.safe]\n'
                        'prompt = { text = "Czy jesteś teraz bezpieczny?", say = "Czy jesteś '
                        'teraz bezpieczny?" }\n\n[pages.safe.tiles]\n'
                        'yes = { label = "Tak", say = "Tak, jestem bezpieczny." }\n',
                        encoding="utf-8")
    return path


def test_export_in_polish_carries_polish_words(school, tmp_path, monkeypatch, clock):
    polish_file(school)
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    archive = export(make_app(school, clock), school, "--language", "pl")
    _, content = loaded(school)
    pages, _, _ = localise(content, content.languages["pl"])
    safe = json.loads(archive.read("boards/safe.obf"))
    assert safe["locale"] == "pl"
    assert safe["name"] == pages["safe"].prompt.text != content.pages["safe"].prompt.text
    yes = safe["buttons"][0]
    assert (yes["label"], yes["vocalization"]) == (pages["safe"].tile("yes").label,
                                                   pages["safe"].tile("yes").say)
    assert yes["label"] != "Yes" and yes["ext_kiosk_concept"] == "yes"


def test_export_refuses_an_unknown_language_and_writes_nothing(obf_app, school):
    out = school / "journey.obz"
    out.write_bytes(b"an earlier export")
    result = content_cli(obf_app, "export-obf", str(out), "--language", "xx")
    assert result.exit_code == 1
    assert "no language 'xx': choose one of en" in result.output
    assert out.read_bytes() == b"an earlier export"
    assert [p.name for p in school.iterdir() if p.name.endswith(".part")] == []


# Import ----------------------------------------------------------------------------

def test_round_trip_an_exported_board_becomes_a_page_after_when(
        obf_app, school, tmp_path, monkeypatch, clock):
    archive = export(obf_app, school)
    board = school / "feel.obf"
    board.write_bytes(archive.read("boards/feel.obf"))
    symbols_before = {p: p.read_bytes() for p in (school / "symbols").rglob("*") if p.is_file()}
    result = content_cli(obf_app, "import-obf", str(board), "--after", "when",
                         "--id", "feel_again")
    assert result.exit_code == 0, result.output
    assert "Added page 'feel_again'" in result.output
    _, content = loaded(school)
    assert content.flow[content.flow.index("when") + 1] == "feel_again"
    again, feel = content.pages["feel_again"], content.pages["feel"]
    assert again.kind == "choice" and again.prompt == feel.prompt
    assert [(t.id, t.label, t.say, t.concept) for t in again.tiles] == \
           [(t.id, t.label, t.say, t.concept) for t in feel.tiles]
    # Every symbol was the kiosk's own: nothing was added to symbols/.
    assert {p: p.read_bytes() for p in (school / "symbols").rglob("*")
            if p.is_file()} == symbols_before
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "restarted"))
    page = kiosk_device(make_app(school, clock)).get("/kiosk").get_data(as_text=True)
    journey = json.loads(page.split('<script id="journey" type="application/json">')[1]
                         .split("</script>")[0])
    assert journey["flow"][journey["flow"].index("when") + 1] == "feel_again"
    assert journey["pages"]["feel_again"]


def test_the_root_board_of_an_obz_is_imported(obf_app, school):
    export(obf_app, school)
    result = content_cli(obf_app, "import-obf", str(school / "journey.obz"),
                         "--after", "when", "--id", "hello_again", "--kind", "multi")
    assert result.exit_code == 0, result.output
    page = loaded(school)[1].pages["hello_again"]
    assert page.kind == "multi" and [t.concept for t in page.tiles] == [
        "start", "someone_else", "heard_back"]
    assert not any(t.about for t in page.tiles)  # a board is a page of answers, no more


def test_a_board_from_another_tool_brings_its_images_and_licences(
        obf_app, school, tmp_path, monkeypatch, clock):
    path = write_obz(school / "lesson.obz", lesson_board(), {"images/maths.png": png(8, 6)})
    result = content_cli(obf_app, "import-obf", str(path), "--after", "when", "--id", "lesson")
    assert result.exit_code == 0, result.output
    symbols, content = loaded(school)
    page = content.pages["lesson"]
    assert [(t.id, t.label, t.say) for t in page.tiles] == [
        ("3", "Art", "Art"), ("1", "Maths", "Maths"), ("2", "Yes", "Yes please.")]
    # "Yes" has only a URL image, but the kiosk has a "Yes" symbol: no fetch needed.
    assert [t.concept for t in page.tiles] == ["lesson_3", "lesson_1", "yes"]
    pack = load_pack(school / "symbols", "boards")
    assert pack.title == "Imported boards"
    assert pack.concepts == {"lesson_3": "lesson_3.png", "lesson_1": "lesson_1.png"}
    assert (pack.folder / "lesson_1.png").read_bytes() == png(8, 6)
    assert "CC-BY-4.0" in pack.licence and "CC-BY-SA-4.0" in pack.licence
    assert "Sarah Miller" in pack.attribution and "Jo Board" in pack.attribution
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "restarted"))
    client = kiosk_device(make_app(school, clock))
    assert "/symbols/boards/lesson_1.png" in client.get("/kiosk").get_data(as_text=True)
    assert client.get("/symbols/boards/lesson_1.png").data == png(8, 6)


def test_concepts_are_matched_by_name_bliss_number_or_label(obf_app, school):
    symbols, _ = loaded(school)
    bliss = getattr(symbols, "bliss", lambda concept: None)
    if not (bliss("sad") and bliss("angry")):
        pytest.skip("the symbol packs have no Bliss numbers")
    board = lesson_board(buttons=[
        {"id": "a", "label": "Unhappy", "ext_kiosk_bliss": bliss("sad")},
        {"id": "b", "label": "Cross", "image_id": "bliss"},
        {"id": "c", "label": "Kitten", "ext_kiosk_concept": "okay"},
        {"id": "d", "label": "before today"},
    ], images=[{"id": "bliss", "symbol": {"set": "Blissymbolics",
                                          "filename": f"{bliss('angry')}.svg"}}], grid={})
    path = school / "moods.obf"
    path.write_text(json.dumps(board))
    result = content_cli(obf_app, "import-obf", str(path), "--after", "feel", "--id", "moods")
    assert result.exit_code == 0, result.output
    page = loaded(school)[1].pages["moods"]
    assert [t.concept for t in page.tiles] == ["sad", "angry", "okay", "before"]
    assert not (school / "symbols" / "boards").exists()


def obz_with(school, board, files=None):
    return write_obz(school / "board.obz", board, files)


IMPORT_ERRORS = [
    ("too many buttons", lambda s: obz_with(s, lesson_board(buttons=[
        {"id": str(i), "label": "Yes"} for i in range(6)])), [],
     "6 buttons, but a kiosk page has at most 5 main choices"),
    ("a button without a label", lambda s: obz_with(s, lesson_board(buttons=[
        {"id": "1", "label": "Yes"}, {"id": "2", "image_id": "i1"}])), [],
     "button '2' has no label"),
    ("two buttons with one id", lambda s: obz_with(s, lesson_board(buttons=[
        {"id": "1", "label": "Yes"}, {"id": "1", "label": "No"}])), [],
     "two buttons have the id '1'"),
    ("unknown --after", lambda s: obz_with(s, lesson_board(), {"images/maths.png": png()}),
     ["--after", "nowhere"], "--after 'nowhere': no such page in the flow"),
    ("a clashing id", lambda s: obz_with(s, lesson_board(), {"images/maths.png": png()}),
     ["--id", "feel"], "a page 'feel' already exists; choose another id with --id"),
    ("a URL-only image", lambda s: obz_with(s, lesson_board(buttons=[
        {"id": "1", "label": "Maths", "image_id": "i1"},
        {"id": "2", "label": "Swimming", "image_id": "i2"}]), {"images/maths.png": png()}),
     [], "button '2' (Swimming): its image is only a link (https://example.org/yes.png)"),
    ("an image missing from the zip", lambda s: obz_with(s, lesson_board()), [],
     "its image 'images/maths.png' is not in the package"),
    ("a scripted SVG", lambda s: obz_with(s, lesson_board(
        buttons=[{"id": "1", "label": "Maths", "image_id": "s"}],
        images=[{"id": "s", "path": "s.svg", "content_type": "image/svg+xml"}]),
        {"s.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'}),
     [], "the SVG image is not a plain picture"),
    ("an .obz that is not a zip", lambda s: text_file(s, "x.obz", "hello"), [],
     "x.obz: not a zip file"),
    ("an .obf that is not JSON", lambda s: text_file(s, "x.obf", "<board/>"), [],
     "x.obf: not an Open Board Format board: not JSON"),
    ("JSON that is not a board", lambda s: text_file(s, "x.obf", '{"a": 1}'), [],
     "format is '', expected 'open-board-0.1'"),
    ("a zip whose root board is missing", lambda s: manifest_only(s), [],
     "manifest.json names no root board that is in the zip"),
]


def text_file(school, name, text):
    (school / name).write_text(text)
    return school / name


def manifest_only(school):
    with zipfile.ZipFile(school / "empty.obz", "w") as archive:
        archive.writestr("manifest.json", json.dumps({"format": "open-board-0.1",
                                                      "root": "boards/1.obf"}))
    return school / "empty.obz"


@pytest.mark.parametrize("case, make, args, message", IMPORT_ERRORS,
                         ids=[e[0] for e in IMPORT_ERRORS])
def test_import_errors_leave_content_and_symbols_untouched(obf_app, school, case, make, args,
                                                           message):
    path = make(school)
    before = snapshot(school)
    options = dict(zip(args[::2], args[1::2]))
    result = content_cli(obf_app, "import-obf", str(path),
                         "--after", options.get("--after", "when"),
                         "--id", options.get("--id", "lesson"))
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert snapshot(school) == before


def test_the_same_board_twice_is_refused_the_second_time(obf_app, school):
    path = obz_with(school, lesson_board(), {"images/maths.png": png()})
    assert content_cli(obf_app, "import-obf", str(path), "--after", "when",
                       "--id", "lesson").exit_code == 0
    before = snapshot(school)
    result = content_cli(obf_app, "import-obf", str(path), "--after", "when", "--id", "lesson")
    assert result.exit_code == 1 and "a page 'lesson' already exists" in result.output
    assert snapshot(school) == before


# Loading content/boards/ -----------------------------------------------------------

def board_file(school, page_id, after="when", text="Which lesson?"):
    path = school / "content" / "boards" / f"{page_id}.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(f'schema = 1\n\n[page]\nid = "{page_id}"\nafter = "{after}"\n'
                    f'kind = "choice"\nprompt = {{ text = "{text}", say = "{text}" }}\n'
                    'tiles = [{ id = "yes", label = "Yes", say = "Yes.", concept = "yes" }]\n')
    return path


def test_boards_after_the_same_page_keep_their_file_order(school):
    board_file(school, "b_lesson")
    board_file(school, "a_lesson")
    board_file(school, "c_lesson", after="a_lesson")
    flow = loaded(school)[1].flow
    at = flow.index("when")
    assert flow[at:at + 5] == ["when", "a_lesson", "c_lesson", "b_lesson", "who"]


@pytest.mark.parametrize("page_id, after, message", [
    ("lesson", "nowhere", r"lesson.toml: after = 'nowhere' must name a page in the flow"),
    ("lesson", "urgent", r"lesson.toml: after = 'urgent' must name a page in the flow"),
    ("lesson", "review", r"flow must end with the 'review' page"),
    ("feel", "when", r"feel.toml: page 'feel' is defined twice"),
])
def test_a_bad_board_file_is_named(school, page_id, after, message):
    board_file(school, page_id, after)
    with pytest.raises(ContentError, match=message):
        loaded(school)


def test_a_board_file_must_be_named_after_its_page(school):
    board_file(school, "lesson").rename(school / "content" / "boards" / "other.toml")
    with pytest.raises(ContentError, match=r"other.toml: page 'lesson' must be in a file "
                                           r"named lesson.toml"):
        loaded(school)


def test_an_imported_board_must_keep_the_easy_read_rules(obf_app, school, tmp_path):
    long_words = ("Someone I know from the park keeps sending me messages late at night "
                  "and I do not like it at all")
    board = {"format": "open-board-0.1", "id": "worries", "name": "Other worries",
             "buttons": [{"id": "1", "label": "Messages", "vocalization": long_words,
                          "ext_kiosk_concept": "phone"}],
             "images": []}
    path = tmp_path / "worries.obf"
    path.write_text(json.dumps(board))
    before = sorted(str(p) for p in school.rglob("*"))
    result = content_cli(obf_app, "import-obf", str(path), "--after", "when")
    assert result.exit_code != 0
    assert "easy-read" in result.output and "at most 15" in result.output
    assert sorted(str(p) for p in school.rglob("*")) == before
