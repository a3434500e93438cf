"""Content validation: each kind of fault is caught and named with its file and item."""
import shutil
import subprocess
import sys

import pytest

from kiosk import PROJECT_ROOT, create_app
from kiosk.content.loading import ContentError, load_content


def edit(path, old, new):
    text = path.read_text()
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def test_default_content_is_valid(symbols):
    content = load_content(PROJECT_ROOT / "content", symbols)
    assert content.flow[0] == "hello" and content.flow[-1] == "review"
    for page in content.pages.values():
        assert len(page.tiles) <= 5
        for tile in page.tiles:
            assert tile.label and tile.say and symbols.has(tile.concept)


BREAKAGES = [
    ("pages.toml", 'id = "safe"\nkind = "choice"', 'id = "safe"\nkind = "choice"\nkind = "x"',
     r"pages.toml: .*line \d+"),
    ("pages.toml", '"hello", "safe",', '"hello", "saef", "safe",',
     r"pages.toml: flow names page 'saef', which does not exist"),
    ("pages.toml", '{ id = "no", label = "No", say = "No, I am not safe.", concept = "no", go = "urgent" }',
     '{ id = "no", label = "No", say = "No, I am not safe.", concept = "no" }',
     r"pages.toml: page 'urgent' cannot be reached"),
    ("pages.toml", 'go = "urgent"', 'go = "nowhere"',
     r"pages.toml: page 'safe' tile 'no': go = 'nowhere', which is not a page"),
    ("pages.toml", 'label = "Not sure", say = "I am not sure.", ', 'label = "Not sure", ',
     r"pages.toml: page 'safe' tile 'not_sure': missing or empty 'say'"),
    ("pages.toml", '{ id = "yes", label = "Yes", say', '{ id = "yes", label = "", say',
     r"pages.toml: page 'safe' tile 'yes': missing or empty 'label'"),
    ("pages.toml", 'concept = "not_sure"', 'concept = "unicorn"',
     r"pages.toml: page 'safe' tile 'not_sure': no symbol for concept 'unicorn'"),
    ("pages.toml", '{ id = "okay", label = "Okay", say = "Okay.", concept = "okay" },',
     '{ id = "okay", label = "Okay", say = "Okay.", concept = "okay" },\n'
     '  { id = "fine", label = "Fine", say = "Fine.", concept = "okay" },',
     r"pages.toml: page 'feel': 6 tiles, at most 5 allowed"),
    ("pages.toml", 'show_if = ["what:online", "what:pictures", "where:online"]',
     'show_if = ["what:online", "what:kittens"]',
     r"pages.toml: page 'online_where' show_if: 'what:kittens' is not a page:tile"),
    ("pages.toml", 'show_if = ["what:online", "what:pictures", "where:online"]',
     'show_if = ["feel:sad"]',
     r"pages.toml: page 'online_where' show_if: 'feel:sad' is not a page:tile"),
    ("pages.toml", 'id = "when"', 'id = "when"\ncolour = "red"',
     r"pages.toml: page 'when': unknown key 'colour'"),
    ("pages.toml", 'id = "when"', 'id = "feel"',
     r"pages.toml: page 'feel' is defined twice"),
    ("urgency.toml", 'all = ["who:adult", "what:pictures"]', 'all = ["who:alien"]',
     r"urgency.toml: rule 'adult-asked-for-pictures': 'who:alien' is not a page:tile"),
    ("urgency.toml", 'level = "urgent"', 'level = "soonish"',
     r"urgency.toml: rule 'not-safe-now': level must be one of"),
    ("urgency.toml", 'setting = "special_school"', 'setting = "boarding"',
     r"urgency.toml: rule 'pictures-capacity': unknown setting 'boarding'"),
    ("messages.toml", 'hide = { text = "Hide", say = "Hide", concept = "hide" }\n', '',
     r"messages.toml: \[controls\] is missing 'hide'"),
    ("messages.toml", 'text = "Back", say = "Back", concept = "back"', 'text = "Back", concept = "back"',
     r"messages.toml: controls.back: missing 'say'"),
    # The roles code relies on are declared in content, and a set lacking one is refused.
    ("pages.toml", 'id = "more"\nkind = "text"\n', 'id = "more"\nkind = "text"\nrole = "categories"\n',
     r"pages.toml: page 'more': a 'categories' page must be of kind choice or multi"),
    ("pages.toml", 'id = "feel"\nkind = "choice"\n', 'id = "feel"\nkind = "choice"\nrole = "mood"\n',
     r"pages.toml: page 'feel': role must be one of categories"),
]


@pytest.mark.parametrize("file_name, old, new, message", BREAKAGES)
def test_each_fault_is_named(content_dir, symbols, file_name, old, new, message):
    edit(content_dir / file_name, old, new)
    with pytest.raises(ContentError, match=message):
        load_content(content_dir, symbols)


def test_content_without_a_categories_page_is_refused(content_dir, symbols):
    pages = content_dir / "pages.toml"
    pages.write_text(pages.read_text().replace('role = "categories"\n', ""))
    with pytest.raises(ContentError, match=r'pages.toml: no page has role = "categories"'):
        load_content(content_dir, symbols)


def test_content_without_an_urgent_page_is_refused(content_dir, symbols):
    edit(content_dir / "pages.toml", 'id = "urgent"\nkind = "urgent"', 'id = "urgent"\nkind = "review"')
    with pytest.raises(ContentError, match="exactly one page of kind"):
        load_content(content_dir, symbols)


def test_missing_file_is_named(content_dir, symbols):
    (content_dir / "urgency.toml").unlink()
    with pytest.raises(ContentError, match="urgency.toml: file is missing"):
        load_content(content_dir, symbols)


def test_symbol_pack_with_missing_file_is_named(tmp_path, monkeypatch):
    pack = tmp_path / "symbols" / "default"
    shutil.copytree(PROJECT_ROOT / "symbols" / "default", pack)
    (pack / "hide.svg").unlink()
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SYMBOLS_DIR": str(tmp_path / "symbols")})
    result = app.test_cli_runner().invoke(args=["check-content"])
    assert result.exit_code == 1
    assert "pack.toml: concept 'hide': no file 'hide.svg'" in result.output


def test_check_content_command_passes_on_default(runner):
    result = runner.invoke(args=["check-content"])
    assert result.exit_code == 0, result.output
    assert "Content is valid" in result.output


@pytest.fixture
def broken_app(content_dir, tmp_path, monkeypatch):
    edit(content_dir / "pages.toml", 'concept = "not_sure"', 'concept = "unicorn"')
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app({"CONTENT_DIR": str(content_dir)})


def test_check_content_command_names_the_fault(broken_app):
    result = broken_app.test_cli_runner().invoke(args=["check-content"])
    assert result.exit_code == 1
    assert "tile 'not_sure': no symbol for concept 'unicorn'" in result.output


def test_app_with_invalid_content_serves_only_the_reason(broken_app):
    client = broken_app.test_client()
    page = client.get("/kiosk")
    assert page.status_code == 503
    assert "no symbol for concept &#39;unicorn&#39;" in page.get_data(as_text=True)
    assert "Please tell an adult" in page.get_data(as_text=True)
    assert client.post("/api/reports", json={}).status_code == 503


def test_server_refuses_to_start_on_invalid_content(content_dir, tmp_path):
    edit(content_dir / "pages.toml", 'concept = "not_sure"', 'concept = "unicorn"')
    config = tmp_path / "instance" / "config.py"
    config.parent.mkdir()
    config.write_text(f"CONTENT_DIR = {str(content_dir)!r}\n")
    result = subprocess.run(
        [sys.executable, "run.py", "--port", "1"], cwd=PROJECT_ROOT, capture_output=True,
        text=True, timeout=60, env={"KIOSK_INSTANCE_PATH": str(tmp_path / "instance"),
                                    "PATH": "/usr/bin:/bin"})
    assert result.returncode == 1
    assert "content is not valid" in result.stderr
    assert "no symbol for concept 'unicorn'" in result.stderr
