"""A pupil's own words, as pupils write them, meet the criteria for immediate referral:
each rule on words in English and each criterion in every shipped language, judged by
the matcher and through the kiosk's real send; ordinary sentences stay same-day."""
import json

import pytest

from helpers import a_report
from kiosk import PROJECT_ROOT
from kiosk.content.loading import load_content
from kiosk.content.matching import normalise, phrase
from kiosk.content.symbols import Symbols
from kiosk.safeguarding.triage import triage

SHIPPED = ("cy", "pl", "ur", "ar")

# Pupil-style sentences for each rule on words, in English.
ENGLISH = {
    "words-self-harm": [
        "i wanna die", "im going to hurt my self", "I'm gonna kill myslef",
        "sometimes i cut myself", "i keep hurting myself", "I want to diiie",
        "i dont want to be alive", "thinking about suicide", "i thought about sucide",
        "i self-harm", "I selfharm at night", "i want to end it all", "kms",
        "i might jump off the bridge",
    ],
    "words-coercion": [
        "they are blackmailing me", "he blackmailed me", "she is blackmaling me",
        "hes blackmale me", "he threatened me", "they keep threatning me",
        "he said he will post my pics", "she is going to share my nudes",
        "he said he would leak pics of me", "they made me send a photo",
        "he wants nudez", "he said dont tell or else",
    ],
    "words-meeting": ["he wants to meet up", "she said come and meet her"],
    "words-upsetting-content": [
        "a video of someone being beaten up", "someone getting hurt in a video",
        "a fight video", "i saw something horrible", "they showed me a sexual video",
        "a vid of a boy getting stabbed", "a clip of people fighting",
        "video where a dog was being tortured", "someone sent me porn",
        "i watched a video of someone getting killed",
    ],
    "words-adult-pictures": [
        "a man sent me a naked photo of him", "a man showed me a naked picture",
        "my coach sent me nudes", "an adult showed me porn on his phone",
        "A grown up sent me rude pics", "i got sent a nude by a man",
    ],
}

# Sentences that meet each criterion in each shipped language.
SHIPPED_SENTENCES = [
    ("cy", "Dw i eisiau marw", "words-self-harm"),
    ("cy", "Dw i'n mynd i ladd fy hun", "words-self-harm"),
    ("cy", "Mae e'n fy mlacmelio, mae'n blacmelio fi", "words-coercion"),
    ("cy", "Mae e'n bygwth rhannu fy lluniau", "words-coercion"),
    ("cy", "Gwelais i fideo o rywun yn cael ei guro", "words-upsetting-content"),
    ("cy", "Roedd fideo ymladd ar y ffôn", "words-upsetting-content"),
    ("cy", "Anfonodd dyn lun noeth i fi", "words-adult-pictures"),
    ("pl", "Chce sie zabic", "words-self-harm"),
    ("pl", "Nie chce mi się żyć", "words-self-harm"),
    ("pl", "Oni mnie szantażują", "words-coercion"),
    ("pl", "Powiedział że wyśle moje zdjęcia wszystkim", "words-coercion"),
    ("pl", "Widziałem filmik jak ktoś jest bity", "words-upsetting-content"),
    ("pl", "Pokazali mi film porno", "words-upsetting-content"),
    ("pl", "Jakiś facet wysłał mi nagie zdjęcie", "words-adult-pictures"),
    ("pl", "Wysłał mi jakiś facet nagie zdjęcie", "words-adult-pictures"),
    ("ur", "میں مرنا چاہتی ہوں", "words-self-harm"),
    ("ur", "main mar jana chahta hoon", "words-self-harm"),
    ("ur", "وہ مجھے بلیک میل کر رہا ہے", "words-coercion"),
    ("ur", "اس نے کہا میری تصویریں سب کو بھیج دے گا", "words-coercion"),
    ("ur", "میں نے لڑائی کی ویڈیو دیکھی", "words-upsetting-content"),
    ("ur", "ek video jis mein gandi video thi", "words-upsetting-content"),
    ("ur", "ایک آدمی نے مجھے ننگی تصویر بھیجی", "words-adult-pictures"),
    ("ur", "ek aadmi ne mujhe nangi photo bheji", "words-adult-pictures"),
    ("ar", "بدي موت", "words-self-harm"),
    ("ar", "هو يبتزني", "words-coercion"),
    ("ar", "قال إنه سينشر صوري", "words-coercion"),
    ("ar", "شاهدت فيديو مضاربة", "words-upsetting-content"),
    ("ar", "أرسل لي فيديو جنسي", "words-upsetting-content"),
    ("ar", "رجل أرسل لي صورة عارية", "words-adult-pictures"),
    ("ar", "أرسل لي رجل صورة عارية", "words-adult-pictures"),
]

# Ordinary things pupils write, in each language: seen the same day like every worry.
ORDINARY = [
    "I like my teacher", "we played a game", "my friend took my pencil",
    "he said a meeting is at 3", "we were hurting ourselves laughing",
    "the queue snaked round the hall", "Mr Gorecki shouted at me",
    "i want to diet", "I hurt my leg at football", "my video game has killing in it",
    "my mum showed me a photo of my nan", "I saw a film at the cinema",
    "a man came to fix the boiler", "our teacher showed us a video about volcanoes",
    "he took my phone and i got told off", "I nodded at him",
    "a man was at the gate and the next day at lunch somebody said my coat was naked",
    "Dw i'n hoffi fy athro", "Roedden ni'n chwarae gêm",
    "Lubię moją nauczycielkę", "To był sporny mecz", "Graliśmy w grę",
    "مجھے اپنی ٹیچر پسند ہے", "ہم نے کھیل کھیلا",
    "أحب معلمتي", "لعبنا لعبة",
]


@pytest.fixture(scope="module")
def content():
    return load_content(PROJECT_ROOT / "content", Symbols(PROJECT_ROOT / "symbols"))


def reason_of(content, rule_id):
    return next(rule.reason for rule in content.rules if rule.id == rule_id)


def refer_of(content, rule_id):
    return next(rule.refer for rule in content.rules if rule.id == rule_id)


@pytest.mark.parametrize("words, same", [
    ("They're BLACKMAILING me!!", "they are blackmail me"),
    ("blackmailed", "blackmail"), ("blackmale", "blackmail"), ("black mail", "blackmail"),
    ("threatening", "threaten"), ("threatened", "threaten"),
    ("killing", "kill"), ("killed", "kill"), ("killll", "kill"),
    ("i'm", "i am"), ("im", "i am"), ("I’m", "i am"), ("wanna", "want to"),
    ("gonna", "going to"), ("my self", "myself"), ("don't", "do not"),
    ("nudez", "nudes"), ("pics", "pictures"), ("self-harm", "self harm"),
])
def test_forms_of_a_word_are_the_same_word(words, same):
    assert normalise(words) == normalise(same)


@pytest.mark.parametrize("words, found", [
    ("a man sent me a naked photo", True),
    ("a man, then five more words go here: naked", False),  # too far apart
    ("naked man sent", False),                                # the wrong way round
    ("an adult showed me something naked", True),
])
def test_a_gapped_phrase_matches_its_parts_in_order_close_together(words, found):
    assert (phrase("man|adult ... sent|showed ... naked") in normalise(words)) is found


def test_a_phrase_of_only_punctuation_matches_nothing():
    assert phrase("...") == "" and phrase("!?") == ""


@pytest.mark.parametrize("rule_id, words", [
    (rule_id, words) for rule_id, sentences in ENGLISH.items() for words in sentences])
def test_each_rule_matches_pupils_english(content, rule_id, words):
    result = triage(content.rules, {"what": ["online"]}, words, {})
    assert result.level == "urgent"
    assert reason_of(content, rule_id) in result.reasons
    assert dict(refer_of(content, rule_id)).items() <= dict(result.refer).items()


@pytest.mark.parametrize("code, words, rule_id", SHIPPED_SENTENCES)
def test_each_criterion_matches_pupils_words_in_every_language(content, code, words, rule_id):
    result = triage(content.rules, {"what": ["online"]}, words, {})
    assert result.level == "urgent", f"{code}: {words}"
    assert reason_of(content, rule_id) in result.reasons


def test_every_shipped_language_has_a_sentence_for_every_criterion_on_words(content):
    rules = {rule_id for rule_id in ENGLISH if rule_id != "words-meeting"}
    for code in SHIPPED:
        assert rules <= {r for c, _, r in SHIPPED_SENTENCES if c == code}, code


@pytest.mark.parametrize("words", ORDINARY)
def test_ordinary_sentences_stay_same_day(content, words):
    assert triage(content.rules, {"what": ["unkind"]}, words, {}).level == "same-day", words


@pytest.mark.parametrize("words, urgent", [
    ("he showed me naked pictures", True),
    ("she sent me a nude", True),
    ("the queue snaked round the hall", False),   # never inside another word
    ("Dangosodd e lun noeth i fi", True),
    ("Roedd e'n dangos ei bidyn", True),
    ("Anfonodd e fideo rhywiol ata i", True),
    ("Dangosodd yr athro fideo am rhyw ddyn enwog", False),  # "rhyw" is "some" here
    ("Pokazał mi nagie zdjęcie", True),
    ("wyslal mi zdjecie swojego siusiaka", True),  # typed without Polish letters
    ("Pokazał mi sprośne fotki", True),
    ("Pan pokazał mi zdjęcie mojej babci", False),
    ("اس نے مجھے ننگی تصویر دکھائی", True),
    ("اس نے مجھے گندی ویڈیو بھیجی", True),
    ("usne mujhe gandi photo bheji", True),        # Urdu in Latin letters
    ("استاد نے ہمیں ایک ویڈیو دکھائی", False),
    ("أرسل لي صورة عارية", True),
    ("وراني صور وسخة", True),
    ("بعتلي فيديو سكس", True),
    ("أرانا المعلم فيديو عن البراكين", False),
])
def test_an_adult_with_naked_pictures_in_their_words_is_urgent(content, words, urgent):
    result = triage(content.rules, {"what": ["online"], "who": ["adult"]}, words, {})
    assert (reason_of(content, "adult-sexual-pictures") in result.reasons) is urgent
    same_words_about_a_child = triage(content.rules, {"what": ["online"], "who": ["child"]},
                                      words, {})
    assert reason_of(content, "adult-sexual-pictures") not in same_words_about_a_child.reasons


def test_every_phrase_of_every_rule_is_matched_in_a_sentence(content):
    for rule in content.rules:
        # A rule that also needs answers ("who:adult") is given them: its words must
        # still match on their own.
        answers = {}
        for ref in (*rule.all, *rule.any[:1]):
            page, tile = ref.split(":", 1)
            answers.setdefault(page, []).append(tile)
        settings = {rule.setting: True} if rule.setting else {}
        for written in rule.words:
            result = triage(content.rules, answers, f"well... {written}!", settings)
            assert rule.reason in result.reasons, f"{rule.id}: {written}"


def test_the_kiosks_own_english_words_do_not_make_a_report_urgent(content):
    texts = [part for page in content.pages.values() for part in _page_words(page)]
    texts += [w for pair in (*content.controls.values(), *content.screens.values())
              for w in _pair(pair)]
    for text in texts:
        assert triage(content.rules, {}, text, {}).level == "same-day", text


@pytest.mark.parametrize("code", SHIPPED)
def test_the_kiosks_own_translated_words_do_not_make_a_report_urgent(content, code):
    for key, (text, say) in content.languages[code].strings.items():
        assert triage(content.rules, {}, f"{text} {say}", {}).level == "same-day", key


def _pair(words):
    return (getattr(words, "text", ""), getattr(words, "say", ""))


def _page_words(page):
    for part in (page.prompt, page.note, *getattr(page, "tiles", ())):
        if part is not None:
            yield from (getattr(part, name, "") or "" for name in ("text", "label", "say"))


@pytest.mark.parametrize("code, words, rule_id", [
    ("en", "they are blackmailing me", "words-coercion"),
    ("en", "im going to hurt my self", "words-self-harm"),
    ("en", "a video of someone being beaten up", "words-upsetting-content"),
    ("en", "a man sent me a naked photo of him", "words-adult-pictures"),
    *[next(s for s in SHIPPED_SENTENCES if s[0] == code and s[2] == rule)
      for code in SHIPPED for rule in ("words-self-harm", "words-coercion",
                                       "words-upsetting-content", "words-adult-pictures")],
])
def test_sent_from_a_kiosk_the_words_make_the_report_urgent(client, db, content,
                                                            code, words, rule_id):
    body = a_report(safe=["yes"], what=["online"]) | {"words": words}
    assert client.post("/api/reports", json=body).status_code == 201
    report = next(db.query("SELECT * FROM reports"))
    assert report["urgency"] == "urgent"
    assert reason_of(content, rule_id) in json.loads(report["reasons"])
    criterion = refer_of(content, rule_id)[0][0]
    assert criterion in json.loads(report["referral_criteria"])
    assert report["words"] == words  # kept as the pupil wrote them


def test_sent_from_a_kiosk_ordinary_words_stay_same_day(client, db):
    body = a_report(safe=["yes"], what=["unkind"]) | {"words": "we played a game"}
    assert client.post("/api/reports", json=body).status_code == 201
    report = next(db.query("SELECT * FROM reports"))
    assert report["urgency"] == "same-day" and report["referral_criteria"] == ""
