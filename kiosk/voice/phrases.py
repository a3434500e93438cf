"""What a pupil can say on a page: each phrase, normalised, mapped to its tile."""
import unicodedata

# Joiners are part of how some scripts spell a word (Urdu, Persian); kept in a phrase.
_JOINERS = "\u200c\u200d"
# Letters written interchangeably, as kiosk/safeguarding/triage.py treats them: the
# Arabic keyboard's yeh, kaf and heh for Urdu's own, which look alike on screen.
_SAME_LETTER = str.maketrans({"ی": "ي", "ى": "ي", "ے": "ي", "ک": "ك", "ہ": "ه",
                              "ۃ": "ة", "ھ": "ه", "\u0640": None, "\u200c": None,
                              "\u200d": None})


def _nfkc_casefold(text):
    """Unicode's caseless form; NFKC again after casefold, which can leave it unnormalised."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def _is_word_part(char):
    """Letters and digits of any script, their marks (vowel signs), apostrophes, joiners."""
    return char.isalnum() or char in "'" + _JOINERS or unicodedata.category(char)[0] == "M"


def normalise(text):
    """Caseless words of any script, so 'Someone was unkind to me.' matches what is
    heard; punctuation is dropped and the spelling is kept, as a model's words are."""
    text = _nfkc_casefold(text).replace("\u2019", "'")
    text = "".join(char if _is_word_part(char) else " " for char in text)
    return " ".join(word.strip("'") for word in text.split() if word.strip("'"))


def _key(phrase):
    """A normalised phrase as compared: look-alike letters and Arabic vowel marks folded."""
    return "".join(char for char in phrase.translate(_SAME_LETTER)
                   if not ("\u064b" <= char <= "\u065f" or char == "\u0670"))


# Words that turn an answer round (English; the built-in recogniser is English).
NEGATIONS = frozenset({"no", "not", "don't", "dont", "nope", "help", "never", "nah",
                       "can't", "isn't", "won't", "nobody", "nothing"})


# Words that open an answer of yes out loud: a yes phrase that starts with one keeps
# its place however many words it shares with a "no" ("yes i am safe").
AFFIRMATIONS = frozenset({"yes", "yeah", "yep"})


def negated(phrase):
    """Whether a normalised phrase carries a negation (see NEGATIONS)."""
    return any(word in NEGATIONS for word in phrase.split())


def page_phrases(page, synonyms=None):
    """{phrase: tile id} for a page: each tile's label, spoken words and synonyms.

    A "yes" errs towards "no": a phrase of a yes tile that shares a word with a
    negated phrase of the page ("i am safe" with "i am not safe") is left out, since
    noise that hides the "not" turned the one into the other; unless it opens with
    a yes said out loud ("yes i am safe"), which no "no" sounds like.
    """
    phrases = {}
    for tile in page.tiles:
        for said in (tile.label, tile.say, *(synonyms or {}).get(tile.id, ())):
            phrase = normalise(said)
            if phrase:
                phrases.setdefault(phrase, tile.id)
    yes = {tile.id for tile in page.tiles if getattr(tile, "concept", "") == "yes"}
    denied = {word for phrase, tile in phrases.items() if tile not in yes and negated(phrase)
              for word in phrase.split()} - NEGATIONS
    return {phrase: tile for phrase, tile in phrases.items()
            if tile not in yes or not denied & set(phrase.split())
            or phrase.split()[0] in AFFIRMATIONS}


def clashes(page, synonyms):
    """(phrase, tile, other tile) where one phrase would stand for two tiles of a page."""
    owner = {}
    for tile in page.tiles:
        for said in (tile.label, tile.say, *synonyms.get(tile.id, ())):
            phrase = normalise(said)
            if owner.setdefault(phrase, tile.id) != tile.id:
                yield phrase, owner[phrase], tile.id


def match(heard, phrases):
    """(tile id, 1.0) when what the recogniser returned is one of the page's phrases,
    else (None, 0.0).

    Only a whole phrase counts. A part of one is not taken: the start of a phrase is
    what out-of-page speech forced onto a grammar most often looks like, and every
    answer is confirmed by the pupil, who can simply say it again. So heard text with
    a negation ("i am not safe") can only be a phrase that has it too.
    """
    heard = _key(normalise(heard))
    if not heard:
        return None, 0.0
    keyed = {_key(phrase): tile for phrase, tile in phrases.items()}
    tile = keyed.get(heard)
    if tile is None:
        return None, 0.0
    return tile, 1.0
