"""What a pupil can say on a page: each phrase, normalised, mapped to its tile."""
import re

_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


def normalise(text):
    """Lower case words only, so 'Someone was unkind to me.' matches what is heard."""
    text = _NOT_WORD.sub(" ", text.lower().replace("\u2019", "'"))
    return " ".join(word.strip("'") for word in text.split() if word.strip("'"))


def page_phrases(page, synonyms=None):
    """{phrase: tile id} for a page: each tile's label, spoken words and synonyms."""
    phrases = {}
    for tile in page.tiles:
        for said in (tile.label, tile.say, *(synonyms or {}).get(tile.id, ())):
            phrase = normalise(said)
            if phrase:
                phrases.setdefault(phrase, tile.id)
    return phrases


def clashes(page, synonyms):
    """(phrase, tile, other tile) where one phrase would stand for two tiles of a page."""
    owner = {}
    for tile in page.tiles:
        for said in (tile.label, tile.say, *synonyms.get(tile.id, ())):
            phrase = normalise(said)
            if owner.setdefault(phrase, tile.id) != tile.id:
                yield phrase, owner[phrase], tile.id


def match(heard, phrases):
    """(tile id, share of the phrase heard) for what the recogniser returned, or (None, 0).

    An exact phrase is a full match. A recogniser limited to a grammar may stop
    early on the last word or two (clipped audio, a trailing word swallowed by
    silence); then the tile counts only if every phrase it could be the start of
    belongs to that one tile, and the share says how much of it was heard.
    """
    heard = normalise(heard)
    if not heard:
        return None, 0.0
    if heard in phrases:
        return phrases[heard], 1.0
    words = heard.split()
    candidates = {}
    for phrase, tile in phrases.items():
        phrase_words = phrase.split()
        if phrase_words[:len(words)] == words:
            share = len(words) / len(phrase_words)
            candidates[tile] = max(candidates.get(tile, 0.0), share)
    if len(candidates) != 1:
        return None, 0.0
    return next(iter(candidates.items()))
