"""Translations: each shipped language is whole, spoken and triaged; a faulty file is named."""
import re
import subprocess

import pytest

from kiosk import PROJECT_ROOT, create_app
from kiosk.content.loading import ContentError, load_content
from kiosk.services import services
from kiosk.content.symbols import Symbols
from kiosk.content.translations import localise, missing, string_keys
from kiosk.safeguarding.triage import triage

SHIPPED = {"pl": "ltr", "ur": "rtl", "cy": "ltr", "ar": "rtl"}
MAX_WORDS = 15  # easy read: at most 15 words a sentence
SENTENCE_END = r"[.?!:؟۔]"


@pytest.fixture(scope="module")
def content():
    return load_content(PROJECT_ROOT / "content", Symbols(PROJECT_ROOT / "symbols"))


def edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_kiosk_offers_english_and_every_shipped_language(app):
    with app.app_context():
        languages = services().content.languages
    assert list(languages) == ["en", *sorted(SHIPPED)]
    assert {code: languages[code].name for code in SHIPPED} == {
        "pl": "Polski", "ur": "اردو", "cy": "Cymraeg", "ar": "العربية"}


@pytest.mark.parametrize("code, direction", SHIPPED.items())
def test_shipped_language_is_complete(content, code, direction):
    language = content.languages[code]
    assert missing(content, language) == []
    assert language.direction == direction
    assert language.voice == code


@pytest.mark.parametrize("code", SHIPPED)
def test_shipped_language_speaks_wherever_english_does(content, code):
    strings = content.languages[code].strings
    for key, (_, english_say) in string_keys(content).items():
        text, say = strings[key]
        assert text.strip(), key
        assert bool(say.strip()) == bool(english_say), key


@pytest.mark.parametrize("code", ["en", *SHIPPED])
def test_every_sentence_is_easy_to_read(content, code):
    for key, (text, say) in content.languages[code].strings.items():
        for sentence in [s for words in (text, say) for s in re.split(SENTENCE_END, words)]:
            assert len(sentence.split()) <= MAX_WORDS, f"{code} {key}: {sentence}"


@pytest.mark.parametrize("code", SHIPPED)
def test_each_shipped_language_has_an_espeak_ng_voice(content, code):
    voice = content.languages[code].voice
    listing = subprocess.run(["espeak-ng", f"--voices={voice}"], capture_output=True,
                             text=True, check=True).stdout
    languages = [line.split()[1] for line in listing.splitlines()[1:] if line.strip()]
    assert voice in languages


BREAKAGES = [
    ("pl.toml", "[pages.hello]", "[pages.helo]",
     r"pl\.toml: pages\.helo\.prompt: no such page or part in the content"),
    ("pl.toml", "tiles.start =", "tiles.begin =",
     r"pl\.toml: pages\.hello\.tiles\.begin: no such tile in the content"),
    ("pl.toml", "\nback = {", "\nbakc = {",
     r"pl\.toml: controls\.bakc: no such entry in messages\.toml"),
    ("pl.toml", "\nthanks = {", "\nthank_you = {",
     r"pl\.toml: screens\.thank_you: no such entry in messages\.toml"),
    ("pl.toml", 'code = "pl"', 'code = "po"', r"pl\.toml: code 'po' must match the file name"),
    ("ur.toml", 'direction = "rtl"', 'direction = "right"',
     r"ur\.toml: direction must be 'ltr' or 'rtl'"),
    ("cy.toml", 'back = { text = "Yn ôl", say = "Yn ôl" }', 'back = { text = "Yn ôl" }',
     r"cy\.toml: controls\.back: missing 'say'"),
    ("ar.toml", 'tiles.yes = { label = "نعم", say = "نعم، أنا في أمان." }',
     'tiles.yes = { label = "نعم" }', r"ar\.toml: pages\.safe\.tiles\.yes: missing 'say'"),
    ("pl.toml", "words-meeting = [", "words-meetings = [",
     r"pl\.toml: urgency_words\.words-meetings: no rule with that id"),
]


@pytest.mark.parametrize("file_name, old, new, message", BREAKAGES)
def test_each_translation_fault_is_named(content_dir, symbols, file_name, old, new, message):
    edit(content_dir / "translations" / file_name, old, new)
    with pytest.raises(ContentError, match=message):
        load_content(content_dir, symbols)


def test_check_content_names_the_faulty_translation(content_dir, tmp_path, monkeypatch):
    edit(content_dir / "translations" / "cy.toml", "tiles.start =", "tiles.begin =")
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"CONTENT_DIR": str(content_dir)})
    result = app.test_cli_runner().invoke(args=["check-content"])
    assert result.exit_code == 1
    assert "cy.toml: pages.hello.tiles.begin: no such tile in the content" in result.output


PARTIAL_POLISH = """schema = 1
code = "pl"
name = "Polski"
english_name = "Polish"
direction = "ltr"
voice = "pl"

[pages.hello]
prompt = { text = "Możesz nam powiedzieć.", say = "Możesz nam powiedzieć." }

[controls]
back = { text = "Wróć", say = "Wróć" }
"""


def test_partial_translation_falls_back_to_english(content_dir, symbols):
    (content_dir / "translations" / "pl.toml").write_text(PARTIAL_POLISH, encoding="utf-8")
    content = load_content(content_dir, symbols)
    polish = content.languages["pl"]
    pages, controls, screens = localise(content, polish)
    assert pages["hello"].prompt.text == "Możesz nam powiedzieć."
    assert controls["back"].say == "Wróć"
    assert pages["safe"].prompt.text == "Are you safe right now?"
    assert pages["safe"].tiles[1].say == "No, I am not safe."
    assert controls["hide"].text == "Hide"
    assert screens["thanks"].text.startswith("Thank you for telling.")
    assert "pages.safe.prompt" in missing(content, polish)
    assert "pages.hello.prompt" not in missing(content, polish)


SELF_HARM = "their words suggest self-harm or suicide"
MEETING = "their words mention meeting someone (possible grooming)"
COERCION = "their words suggest blackmail, threats or secrets (possible coercion)"


@pytest.mark.parametrize("words, reason", [
    ("Chce sie zabic.", SELF_HARM),                     # Polish typed without its accents
    ("Mówi, że chce się ze mną spotkać.", MEETING),
    ("Powiedział: nie mów nikomu!", COERCION),
    ("میں خود کو نقصان پہنچانا چاہتا ہوں۔", SELF_HARM),
    ("وہ کہتا ہے مجھ سے ملنے آؤ", MEETING),
    ("اس نے کہا کسی کو مت بتانا", COERCION),
    ("main khudkushi karna chahti hoon", SELF_HARM),     # Urdu in Latin letters
    ("Dw i eisiau lladd fy hun.", SELF_HARM),
    ("Mae e eisiau cwrdd lan.", MEETING),
    ("Dwedodd e: paid dweud wrth neb.", COERCION),
    ("أريد أن أقتل نفسي", SELF_HARM),
    ("اريد ان اقتل نفسي", SELF_HARM),                    # typed without hamza
    ("قال: تعال قابلني", MEETING),
    ("قال لي لا تخبر أحدًا", COERCION),
])
def test_pupils_own_words_in_their_language_make_it_urgent(content, words, reason):
    result = triage(content.rules, {"what": ["online"]}, words, {})
    assert result.level == "urgent"
    assert reason in result.reasons


def answers_for(rule):
    """The answers a rule needs besides words ({page: [tile, ...]}, as triage takes them):
    all of its `all` and the first of its `any` ("who:adult" is {"who": ["adult"]})."""
    answers = {}
    for ref in (*rule.all, *rule.any[:1]):
        page, tile = ref.split(":", 1)
        answers.setdefault(page, []).append(tile)
    return answers


def test_a_rules_answers_are_the_answers_it_needs(content):
    rules = {rule.id: rule for rule in content.rules}
    assert answers_for(rules["adult-sexual-pictures"]) == {"who": ["adult"]}
    assert answers_for(rules["stranger-asked-for-pictures"]) == {
        "what": ["pictures"], "who": ["stranger"]}


@pytest.mark.parametrize("code", SHIPPED)
def test_every_listed_phrase_is_matched_in_a_sentence(content, code):
    rules = {rule.id: rule for rule in content.rules}
    for rule_id, phrases in content.languages[code].urgency_words.items():
        rule = rules[rule_id]
        settings = {rule.setting: True} if rule.setting else {}
        for phrase in phrases:
            result = triage(content.rules, answers_for(rule), f"...{phrase}!", settings)
            assert rule.reason in result.reasons, f"{code} {rule_id}: {phrase}"


@pytest.mark.parametrize("code", SHIPPED)
def test_the_kiosks_own_words_do_not_make_a_report_urgent(content, code):
    for key, (text, say) in content.languages[code].strings.items():
        assert triage(content.rules, {}, f"{text} {say}", {}).level == "same-day", key
