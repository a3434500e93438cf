"""Easy-read rules and the translation report in check-content, on real content copies."""
import dataclasses

import pytest

from kiosk import PROJECT_ROOT, create_app
from kiosk.content import easyread
from kiosk.content.loading import load_content
from kiosk.content.translations import string_keys

SIXTEEN_WORDS = "Someone at the park near my house hurt me when I was walking home from school."


def edit(path, old, new):
    """Replace every copy of `old` (a string often appears as both text and say)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def check_content(content_dir, tmp_path, monkeypatch):
    """Run the real check-content command on the content copy, after any edits."""
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))

    def run():
        app = create_app({"TESTING": True, "VOSK_MODEL": "", "CONTENT_DIR": str(content_dir)})
        return app.test_cli_runner().invoke(args=["check-content"])
    return run


def write_translation(content_dir, code, body, name="Polski", english_name="Polish",
                      direction="ltr"):
    folder = content_dir / "translations"
    folder.mkdir(exist_ok=True)
    header = (f'schema = 1\ncode = "{code}"\nname = "{name}"\n'
              f'english_name = "{english_name}"\ndirection = "{direction}"\nvoice = "{code}"\n')
    (folder / f"{code}.toml").write_text(header + body, encoding="utf-8")


def language_line(output, code):
    return next(line for line in output.splitlines() if line.strip().startswith(f"{code}:"))


def test_shipped_content_passes(runner, symbols):
    content = load_content(PROJECT_ROOT / "content", symbols)
    assert easyread.check(content, symbols=symbols) == []
    result = runner.invoke(args=["check-content"])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("Content is valid: ")
    assert f"{len(content.languages)} language" in first
    assert "en: English (English), ltr: complete" in result.output


BREAKAGES = [
    ("pages.toml", '"Someone hurt me or touched me."', f'"{SIXTEEN_WORDS}"',
     f'pages.toml: pages.what.tiles.hurt: say: "{SIXTEEN_WORDS[:-1]}" has 16 words',
     "sentence-length"),
    ("messages.toml", '"An adult is coming. You can also go to an adult you know."',
     '"An adult is coming so wait here or go to one you know."',
     "messages.toml: screens.help: text and say: \"An adult is coming so wait here or go "
     "to one you know\" has more than one idea", "one-idea"),
    ("pages.toml", 'note = { text = "You will not be in trouble.",',
     'note = { text = "You will not be in trouble; we will help.",',
     "pages.toml: pages.hello.note: text: ", "one-idea"),
    ("pages.toml", 'label = "Not sure", say = "I am not sure."', 'label = "Not sure", say = " "',
     "pages.toml: pages.safe.tiles.not_sure: every tile needs a symbol, text and audio; "
     "this one has no audio (say)", "symbol-text-audio"),
]


@pytest.mark.parametrize("file_name, old, new, message, rule", BREAKAGES)
def test_each_easy_read_fault_fails_naming_file_and_key(content_dir, check_content,
                                                        file_name, old, new, message, rule):
    edit(content_dir / file_name, old, new)
    result = check_content()
    assert result.exit_code == 1
    assert message in result.output
    assert f"[{rule}]" in result.output
    assert "Content is valid" not in result.output


def test_every_problem_is_listed_one_a_line(content_dir, check_content):
    edit(content_dir / "pages.toml", '"Someone hurt me or touched me."', f'"{SIXTEEN_WORDS}"')
    edit(content_dir / "messages.toml", '"Get an adult"', '"Get an adult and then wait or hide"')
    result = check_content()
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == 'Error: 2 easy-read problems (see content/README.md, "Easy-read rules"):'
    assert [line.split(": ")[1] for line in lines[1:]] == [
        "pages.what.tiles.hurt", "controls.get_adult"]
    assert lines[2].endswith('text and say: "Get an adult and then wait or hide" has more '
                             'than one idea; split it into short sentences [one-idea]')
    assert all(line.split(": ")[0].endswith(".toml") for line in lines[1:])


@pytest.mark.parametrize("old, new, message", [
    ('label = "Not sure", say = "I am not sure."', 'label = "Not sure", say = ""',
     "pages.toml: page 'safe' tile 'not_sure': missing or empty 'say'"),
    ('{ id = "okay", label = "Okay", say = "Okay.", concept = "okay" },',
     '{ id = "okay", label = "Okay", say = "Okay.", concept = "okay" },\n'
     '  { id = "fine", label = "Fine", say = "Fine.", concept = "okay" },',
     "pages.toml: page 'feel': 6 tiles, at most 5 allowed"),
])
def test_faults_the_loader_refuses_first_still_fail_the_command(content_dir, check_content,
                                                                old, new, message):
    edit(content_dir / "pages.toml", old, new)
    result = check_content()
    assert result.exit_code == 1 and message in result.output


def with_page(content, page_id, **changes):
    pages = dict(content.pages)
    pages[page_id] = dataclasses.replace(pages[page_id], **changes)
    return dataclasses.replace(content, pages=pages)


def test_check_names_a_page_with_six_tiles(symbols):
    content = load_content(PROJECT_ROOT / "content", symbols)
    feel = content.pages["feel"]
    extra = dataclasses.replace(feel.tiles[0], id="fine", label="Fine", say="Fine.")
    problems = easyread.check(with_page(content, "feel", tiles=feel.tiles + (extra,)))
    assert [(p.key, p.rule) for p in problems] == [("pages.feel", "main-choices")]
    assert problems[0].file.endswith("pages.toml")
    assert "6 choices; a page has at most 5" in problems[0].message


def test_check_names_a_tile_without_say_or_symbol(symbols):
    content = load_content(PROJECT_ROOT / "content", symbols)
    safe = content.pages["safe"]
    broken = (dataclasses.replace(safe.tiles[0], say=""),
              dataclasses.replace(safe.tiles[1], concept="unicorn"), safe.tiles[2])
    content = with_page(content, "safe", tiles=broken)
    assert [p.key for p in easyread.check(content)] == ["pages.safe.tiles.yes"]
    problems = easyread.check(content, symbols=symbols)
    assert [(p.key, p.rule) for p in problems] == [("pages.safe.tiles.yes", "symbol-text-audio"),
                                                   ("pages.safe.tiles.no", "symbol-text-audio")]
    assert all(p.file.endswith("pages.toml") for p in problems)
    assert "no symbol (concept)" in problems[1].message


@pytest.mark.parametrize("sentence, long, compound", [
    ("Someone hurt me or touched me", False, False),
    (" ".join(["word"] * 15), False, False),
    (" ".join(["word"] * 16), True, False),
    ("I was sad and I cried and I went home", False, True),
    ("If you are sad then tell us", False, True),
    ("Android and apps", False, False),
    ("Don't worry; an adult will help", False, True),
])
def test_sentence_rules(sentence, long, compound):
    assert easyread.too_long(sentence) is long
    assert easyread.more_than_one_idea(sentence) is compound


def test_sentences_split_on_latin_and_urdu_stops():
    assert easyread.sentences("One. Two! Three? Four۔ Five؟ Six") == [
        "One", "Two", "Three", "Four", "Five", "Six"]


POLISH = '''
[pages.safe]
prompt = { text = "Czy jesteś teraz bezpieczny?", say = "Czy jesteś teraz bezpieczny?" }

[pages.safe.tiles]
yes = { label = "Tak", say = "Tak, jestem bezpieczny." }

[controls]
back = { text = "Wstecz", say = "Wstecz" }
'''


def test_missing_translation_strings_are_reported_but_pass(content_dir, check_content, symbols):
    write_translation(content_dir, "pl", POLISH)
    result = check_content()
    assert result.exit_code == 0, result.output
    line = language_line(result.output, "pl")
    keys = string_keys(load_content(content_dir, symbols))
    lacking = [key for key in keys
               if key not in ("pages.safe.prompt", "pages.safe.tiles.yes", "controls.back")]
    assert line == (f"  pl: Polski (Polish), ltr: {len(lacking)} strings missing "
                    f"(shown in English): {', '.join(lacking)}")


def test_complete_translation_is_reported_complete(content_dir, check_content, symbols):
    content = load_content(content_dir, symbols)
    body = []
    for key, (text, say) in string_keys(content).items():
        shown = "label" if ".tiles." in key else "text"
        body.append(f'{key} = {{ {shown} = "{text} (cy)", say = "{say}" }}\n')
    write_translation(content_dir, "cy", "".join(body), "Cymraeg", "Welsh")
    result = check_content()
    assert result.exit_code == 0, result.output
    assert "  cy: Cymraeg (Welsh), ltr: complete" in result.output


def test_too_long_translated_sentence_fails(content_dir, check_content):
    long_text = " ".join(["słowo"] * 16)
    thanks = f'\n[screens]\nthanks = {{ text = "{long_text}.", say = "Dziękuję." }}\n'
    write_translation(content_dir, "pl", POLISH + thanks)
    result = check_content()
    assert result.exit_code == 1
    assert (f'translations/pl.toml: screens.thanks: text: "{long_text}" has 16 words'
            in result.output)


def test_urdu_sentences_are_split_on_the_urdu_full_stop(content_dir, check_content):
    ten = " ".join(["بات"] * 10)
    body = f'[screens]\nhelp = {{ text = "{ten}۔ {ten}۔", say = "{ten}؟ {ten}۔" }}\n'
    write_translation(content_dir, "ur", body, "اردو", "Urdu", "rtl")
    assert check_content().exit_code == 0
    body = f'[screens]\nhelp = {{ text = "{ten} {ten}۔", say = "{ten}۔" }}\n'
    write_translation(content_dir, "ur", body, "اردو", "Urdu", "rtl")
    result = check_content()
    assert result.exit_code == 1
    assert "translations/ur.toml: screens.help: text: " in result.output
    assert "has 20 words" in result.output
