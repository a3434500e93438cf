"""Symbol packs: every installed pack loaded at once, Bliss numbers, and `symbols import`,
which builds a pack from a school's own licensed images and a concept,file CSV."""
import shutil
import struct
import tomllib
import zlib

import pytest

from kiosk import PROJECT_ROOT, create_app
from kiosk.content.symbols import SymbolError, Symbols

LICENCE = "Widgit licence held by Oak Hill School"
ATTRIBUTION = "Widgit Symbols © Widgit Software 2002-2026 www.widgit.com"
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
       '<circle cx="5" cy="5" r="4"/></svg>')


def png_bytes(grey=0):
    """A valid 1x1 greyscale PNG."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes([0, grey]))) + chunk(b"IEND", b""))


@pytest.fixture
def symbols_dir(tmp_path):
    """A symbols folder holding a copy of the default pack, as on a school's server."""
    folder = tmp_path / "symbols"
    shutil.copytree(PROJECT_ROOT / "symbols" / "default", folder / "default")
    return folder


def make_app(tmp_path, monkeypatch, symbols_dir, **config):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app({"TESTING": True, "VOSK_MODEL": "", "SYMBOLS_DIR": str(symbols_dir),
                       **config})


@pytest.fixture
def runner(tmp_path, monkeypatch, symbols_dir):
    return make_app(tmp_path, monkeypatch, symbols_dir).test_cli_runner()


@pytest.fixture
def school(tmp_path):
    """The school's folder of licensed images, with the CSV that maps them."""
    folder = tmp_path / "widgit-export"
    folder.mkdir()
    (folder / "yes.png").write_bytes(png_bytes(255))
    (folder / "no.png").write_bytes(png_bytes(0))
    (folder / "house.svg").write_text(SVG)
    (folder / "symbols.csv").write_text("concept,file\nyes,yes.png\nno,no.png\nhome,house.svg\n")
    return folder


def run_import(runner, folder, *extra, pack="widgit", licence=LICENCE, attribution=ATTRIBUTION):
    args = ["symbols", "import", str(folder), "--pack", pack]
    args += ["--licence", licence] if licence is not None else []
    args += ["--attribution", attribution] if attribution is not None else []
    return runner.invoke(args=args + list(extra))


def folders(symbols_dir):
    """Everything in the symbols folder, hidden build folders included."""
    return sorted(p.name for p in symbols_dir.iterdir())


def manifest(symbols_dir, pack="widgit"):
    return tomllib.loads((symbols_dir / pack / "pack.toml").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ a successful import


def test_import_builds_a_pack_and_says_what_it_lacks(runner, school, symbols_dir):
    result = run_import(runner, school, "--title", "Widgit", "--description", "Our symbols.")
    assert result.exit_code == 0, result.output
    assert "Imported symbol pack 'widgit' (\"Widgit\")" in result.output
    assert "3 concepts from 3 images" in result.output
    assert manifest(symbols_dir) == {
        "name": "Widgit", "description": "Our symbols.", "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "concepts": {"yes": "yes.png", "no": "no.png", "home": "home.svg"}}
    assert (symbols_dir / "widgit" / "yes.png").read_bytes() == (school / "yes.png").read_bytes()
    assert (symbols_dir / "widgit" / "home.svg").read_text() == SVG
    lacking = result.output.split("come from the default pack: ")[1].split("\n")[0].split(", ")
    assert "hide" in lacking and "not_sure" in lacking and "yes" not in lacking
    assert "Restart the server" in result.output
    assert folders(symbols_dir) == ["default", "widgit"]


def test_csv_elsewhere_and_one_image_for_two_concepts(runner, school, tmp_path, symbols_dir):
    csv_path = tmp_path / "mapping.csv"
    csv_path.write_text("Concept , File\r\nsad,no.png\r\nsad_scared,no.png\r\n\r\n",
                        encoding="utf-8-sig")  # as Excel saves it
    result = run_import(runner, school, "--csv", str(csv_path))
    assert result.exit_code == 0, result.output
    assert manifest(symbols_dir)["concepts"] == {"sad": "sad.png", "sad_scared": "sad.png"}
    assert sorted(p.name for p in (symbols_dir / "widgit").iterdir()) == ["pack.toml", "sad.png"]
    assert manifest(symbols_dir)["name"] == "widgit"  # no --title: the pack's name


def test_rows_may_give_a_bliss_number_instead_of_a_concept(runner, school, symbols_dir):
    (school / "symbols.csv").write_text("concept,file,bliss\n,yes.png,18294\nno,no.png,15722\n"
                                        "home,house.svg,\n")
    result = run_import(runner, school)
    assert result.exit_code == 0, result.output
    assert "2 with Bliss numbers" in result.output
    data = manifest(symbols_dir)
    assert data["concepts"] == {"yes": "yes.png", "no": "no.png", "home": "home.svg"}
    assert data["bliss"] == {"yes": 18294, "no": 15722}
    assert Symbols(symbols_dir).pack("widgit").bliss == {"yes": 18294, "no": 15722}


# ------------------------------------------------------------------ errors leave nothing behind

IMAGES = {"../outside.png": png_bytes(), "cat.gif": b"GIF89a", "fake.png": b"not an image",
          "photo.jpg": png_bytes(), "fake.webp": b"RIFF\0\0\0\0WAVE",
          "script.svg": SVG.replace("<circle", "<script>alert(1)</script><circle"),
          "page.svg": "<html><body>hello</body></html>"}

CSV_ERRORS = [
    ("name,picture\nyes,yes.png\n", "line 1: the header must be concept,file"),
    ("concept,file,notes\nyes,yes.png,x\n", "line 1: the header must be concept,file"),
    ("", "line 1: the header must be concept,file"),
    ("concept,file\n", "no rows"),
    ("concept,file\nyes,yes.png\nunicorn,no.png\n", "line 3: unknown concept 'unicorn'"),
    ("concept,file\nyse,yes.png\n", "line 2: unknown concept 'yse'. Did you mean yes?"),
    ("concept,file\nyes,\n", "line 2: no file given"),
    ("concept,file\nyes,missing.png\n", "line 2: file 'missing.png' not found"),
    ("concept,file\nyes,../outside.png\n", "line 2: '../outside.png' is outside"),
    ("concept,file\nyes,/outside.png\n", "line 2: '/outside.png' is outside"),
    ("concept,file\nyes,cat.gif\n", "line 2: 'cat.gif' is not a supported image type"),
    ("concept,file\nno,no.png\nyes,fake.png\n", "line 3: 'fake.png' is not a real PNG image"),
    ("concept,file\nyes,photo.jpg\n", "line 2: 'photo.jpg' is not a real JPEG image"),
    ("concept,file\nyes,fake.webp\n", "line 2: 'fake.webp' is not a real WebP image"),
    ("concept,file\nyes,script.svg\n", "line 2: 'script.svg' is not a real SVG image"),
    ("concept,file\nyes,page.svg\n", "line 2: 'page.svg' is not a real SVG image"),
    ("concept,file\nyes,yes.png\nno,no.png\nyes,no.png\n",
     "line 4: concept 'yes' is already given on line 2"),
    ("concept,file,bliss\n,yes.png,18294\nyes,no.png,\n",
     "line 3: concept 'yes' is already given on line 2"),
    ("concept,file\n,yes.png\n", "line 2: give a concept (or a Bliss number)"),
    ("concept,file,bliss\n,yes.png,99999\n", "line 2: Bliss number 99999 matches no concept"),
    ("concept,file,bliss\n,yes.png,yes\n", "line 2: Bliss number 'yes' is not a whole number"),
    ("concept,file,bliss\nyes,yes.png,15722\n", "concept 'yes' is Bliss number 18294, not 15722"),
]


@pytest.mark.parametrize("csv_text, message", CSV_ERRORS)
def test_each_csv_fault_is_named_and_nothing_is_written(runner, school, symbols_dir, csv_text,
                                                        message):
    for name, data in IMAGES.items():
        path = school / name
        path.write_bytes(data) if isinstance(data, bytes) else path.write_text(data)
    (school / "symbols.csv").write_text(csv_text)
    result = run_import(runner, school)
    assert result.exit_code == 1
    assert message in result.output
    assert folders(symbols_dir) == ["default"]


@pytest.mark.parametrize("pack, message", [
    ("my pack", "Pack name 'my pack' is not allowed"),
    ("../escape", "Pack name '../escape' is not allowed"),
    ("", "Pack name '' is not allowed"),
    ("default", "The default pack cannot be replaced"),
    ("Default", "The default pack cannot be replaced"),
])
def test_bad_pack_names_are_refused(runner, school, symbols_dir, pack, message):
    result = run_import(runner, school, "--replace", pack=pack)
    assert result.exit_code == 1 and message in result.output
    assert folders(symbols_dir) == ["default"]
    assert manifest(symbols_dir, "default")["name"] == "Default"


@pytest.mark.parametrize("option", ["licence", "attribution"])
def test_licence_and_attribution_are_required(runner, school, symbols_dir, option):
    for missing in (None, "  "):
        result = run_import(runner, school, **{option: missing})
        assert result.exit_code == 1
        assert f"--{option} is required: a school must state how it may use" in result.output
    assert folders(symbols_dir) == ["default"]


def test_missing_folder_or_csv_is_named(runner, school, tmp_path, symbols_dir):
    result = run_import(runner, tmp_path / "no-such-folder")
    assert result.exit_code == 1 and "Folder not found:" in result.output
    (school / "symbols.csv").unlink()
    result = run_import(runner, school)
    assert result.exit_code == 1 and "No CSV at" in result.output
    assert "--csv" in result.output
    assert "No CSV at" in run_import(runner, school, "--csv", str(tmp_path / "x.csv")).output
    assert folders(symbols_dir) == ["default"]


# ------------------------------------------------------------------ replacing a pack


def test_an_existing_pack_is_replaced_only_with_replace(runner, school, symbols_dir):
    assert run_import(runner, school).exit_code == 0
    (school / "symbols.csv").write_text("concept,file\nsad,no.png\n")
    result = run_import(runner, school)
    assert result.exit_code == 1
    assert "A pack called 'widgit' already exists" in result.output
    assert "add --replace" in result.output
    assert set(manifest(symbols_dir)["concepts"]) == {"yes", "no", "home"}

    result = run_import(runner, school, "--replace")
    assert result.exit_code == 0, result.output
    assert "Replaced symbol pack 'widgit'" in result.output
    assert manifest(symbols_dir)["concepts"] == {"sad": "sad.png"}
    assert sorted(p.name for p in (symbols_dir / "widgit").iterdir()) == ["pack.toml", "sad.png"]
    assert folders(symbols_dir) == ["default", "widgit"]


def test_a_failed_replace_keeps_the_old_pack(runner, school, symbols_dir):
    assert run_import(runner, school).exit_code == 0
    (school / "symbols.csv").write_text("concept,file\nsad,missing.png\n")
    result = run_import(runner, school, "--replace")
    assert result.exit_code == 1 and "file 'missing.png' not found" in result.output
    assert set(manifest(symbols_dir)["concepts"]) == {"yes", "no", "home"}
    assert folders(symbols_dir) == ["default", "widgit"]


# ------------------------------------------------------------------ using the imported pack


def test_symbols_use_the_imported_pack_and_fall_back_to_default(runner, school, symbols_dir):
    assert run_import(runner, school).exit_code == 0
    symbols = Symbols(symbols_dir)
    assert symbols.names() == ["default", "widgit"]
    assert symbols.locate("yes", "widgit") == ("widgit", "yes.png")
    assert symbols.locate("hide", "widgit") == ("default", "hide.svg")
    assert symbols.locate("yes") == ("default", "yes.svg")  # the configured pack: default
    assert symbols.locate("yes", "removed-pack") == ("default", "yes.svg")
    assert symbols.locate("unicorn", "widgit") is None
    assert [p.name for p in symbols.packs_for("widgit")] == ["widgit", "default"]
    assert symbols.file_path("widgit", "yes.png") == symbols_dir / "widgit" / "yes.png"
    assert symbols.file_path("widgit", "hide.svg") is None

    chosen = Symbols(symbols_dir, "widgit")
    assert chosen.chosen.name == "widgit" and chosen.default.name == "default"
    assert chosen.locate("yes") == ("widgit", "yes.png")
    assert chosen.locate("hide") == ("default", "hide.svg")
    assert [p.name for p in chosen.packs] == ["widgit", "default"]


def test_about_page_shows_every_pack_licence_and_attribution(runner, school, tmp_path,
                                                              monkeypatch, symbols_dir):
    assert run_import(runner, school, "--title", "Widgit", "--description",
                      "Widgit symbols our pupils know.").exit_code == 0
    client = make_app(tmp_path, monkeypatch, symbols_dir).test_client()  # loads at start
    page = client.get("/about/symbols").get_data(as_text=True)
    for text in ("Widgit", "Widgit symbols our pupils know.", LICENCE, ATTRIBUTION,
                 "Default", "CC0-1.0", "Simple high-contrast pictograms"):
        assert text in page
    served = client.get("/symbols/widgit/yes.png")
    assert served.status_code == 200 and served.data == (school / "yes.png").read_bytes()


def test_every_installed_pack_is_checked_at_start(runner, school, symbols_dir):
    assert run_import(runner, school).exit_code == 0
    (symbols_dir / "widgit" / "no.png").unlink()
    with pytest.raises(SymbolError, match=r"widgit/pack.toml: concept 'no': no file 'no.png'"):
        Symbols(symbols_dir)
    result = runner.invoke(args=["check-content"])
    assert result.exit_code == 1 and "widgit/pack.toml" in result.output


def test_hidden_and_plain_folders_are_not_packs(symbols_dir):
    (symbols_dir / ".import-widgit-abc").mkdir()
    (symbols_dir / ".import-widgit-abc" / "pack.toml").write_text("broken")
    (symbols_dir / "notes").mkdir()
    assert Symbols(symbols_dir).names() == ["default"]


def test_missing_configured_pack_is_named(symbols_dir):
    with pytest.raises(SymbolError, match=r"symbol pack 'widgit' has no pack.toml"):
        Symbols(symbols_dir, "widgit")


# ------------------------------------------------------------------ Bliss numbers


def test_default_pack_carries_bliss_numbers():
    symbols = Symbols(PROJECT_ROOT / "symbols")
    assert symbols.bliss("yes") == 18294
    assert symbols.bliss("school") == 16734
    assert symbols.bliss("unkind") is None  # no matching registry entry: left out
    assert symbols.bliss("unicorn") is None
    assert set(symbols.default.bliss) <= set(symbols.default.concepts)


def test_bliss_is_found_in_any_pack_default_first(runner, school, symbols_dir):
    (school / "symbols.csv").write_text("concept,file,bliss\nunkind,no.png,15439\n"
                                        "yes,yes.png,18294\n")
    assert run_import(runner, school).exit_code == 0
    other = symbols_dir / "other"  # written by hand, numbering "yes" its own way
    other.mkdir()
    (other / "y.svg").write_text(SVG)
    (other / "pack.toml").write_text('name = "Other"\nlicence = "CC0-1.0"\nattribution = "x"\n'
                                     '[concepts]\nyes = "y.svg"\n[bliss]\nyes = 5\n')
    symbols = Symbols(symbols_dir)
    assert symbols.names() == ["default", "other", "widgit"]
    assert symbols.bliss("unkind") == 15439  # only the school's pack has it
    assert symbols.bliss("yes") == 18294  # the default pack's number wins


@pytest.mark.parametrize("table, message", [
    ('yes = "18294"', "[bliss] 'yes' must be a whole number"),
    ("yes = true", "[bliss] 'yes' must be a whole number"),
    ("unicorn = 5", "[bliss] 'unicorn' is not in [concepts]"),
    ("yes = 7\nno = 7", "[bliss] 7 is given to both 'yes' and 'no'"),
])
def test_a_bad_bliss_table_is_named(symbols_dir, table, message):
    path = symbols_dir / "default" / "pack.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("[bliss]")] + "[bliss]\n" + table + "\n", encoding="utf-8")
    with pytest.raises(SymbolError, match="default/pack.toml: " + message.replace("[", r"\[")
                       .replace("]", r"\]")):
        Symbols(symbols_dir)


def test_the_command_is_documented():
    for readme in (PROJECT_ROOT / "README.md", PROJECT_ROOT / "symbols" / "README.md"):
        assert "flask --app kiosk symbols import" in readme.read_text(encoding="utf-8")


def test_a_kiosk_set_to_the_imported_pack_shows_it_and_falls_back_for_the_rest(
        tmp_path, monkeypatch, symbols_dir, school):
    from kiosk.devices import kiosks
    from kiosk.db import get_db
    from helpers import csrf_from, kiosk_device
    from test_kiosk_settings import PIN, form, journey

    assert run_import(make_app(tmp_path, monkeypatch, symbols_dir).test_cli_runner(),
                      school).exit_code == 0
    app = make_app(tmp_path, monkeypatch, symbols_dir)  # the server restarted after import
    with app.app_context():
        kiosks.set_staff_pin(get_db(), PIN)
    device = kiosk_device(app, "Class 4 iPad")
    device.post("/api/kiosk/unlock", json={"pin": PIN})
    token = csrf_from(device.get("/kiosk/settings"))
    assert device.post("/kiosk/settings", data={**form(symbol_pack="widgit"),
                                                "csrf_token": token}).status_code == 303
    tiles = {t["id"]: t["symbol"] for t in journey(device)["pages"]["safe"]["tiles"]}
    assert tiles["yes"] == "/symbols/widgit/yes.png"           # the school's own symbol
    assert tiles["not_sure"] == "/symbols/default/not_sure.svg"  # missing: the default
    assert device.get(tiles["yes"]).data == png_bytes(255)
    about = device.get("/about/symbols").get_data(as_text=True)
    assert ATTRIBUTION in about
