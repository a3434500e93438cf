"""How a pupil's words are matched against urgency phrases: both sides normalised the
same way, once for the rules (when content loads) and once per report for the words.

A phrase matches whole words in order, in any of their forms (wordforms.py). Two more
forms let a rule say what pupils say in many ways without listing every sentence:
"a|b" is either word or phrase, and "x ... y" is x then y with up to GAP words between
("man|adult ... naked" matches "a man sent me a naked photo").
"""
import dataclasses
import functools
import re
import unicodedata

from .wordforms import forms

# Letters pupils type interchangeably: Polish ł without its stroke, and the Arabic
# keyboard's yeh, kaf and heh for Urdu's own (ی ک ہ ے), which look alike on screen.
# The Arabic tatweel only stretches a word on screen.
SAME_LETTER = str.maketrans({"ł": "l", "ی": "ي", "ى": "ي", "ے": "ي", "ک": "ك",
                             "ہ": "ه", "ۃ": "ة", "ھ": "ه", "ـ": None})
APOSTROPHES = re.compile(r"['’ʼ`]")
GAP = 5          # words allowed between the parts of "x ... y"
ELLIPSIS = re.compile(r"\.\.\.|…")


class Words(str):
    """A pupil's normalised words: a plain phrase is found as a substring of whole
    words, a Pattern by its expression."""

    def __contains__(self, phrase):
        if isinstance(phrase, Pattern):
            return phrase.regex.search(self) is not None
        return str.__contains__(self, phrase)


class Pattern(str):
    """A phrase with alternatives or gaps, kept as its normalised text plus a regex."""
    regex = None


def normalise(text):
    """The pupil's words, lower-case, each in its canonical form, single-spaced and
    padded, so phrase matching is fair and never matches inside another word.

    Accents and vowel marks are dropped on both sides: pupils often type Polish
    without its accents, or Urdu without its marks, and mean the same words.
    """
    bare = "".join(c for c in unicodedata.normalize("NFKD", text.casefold())
                   if not unicodedata.combining(c)).translate(SAME_LETTER)
    words = re.findall(r"[^\W_]+", APOSTROPHES.sub("", bare))
    return Words(" " + " ".join(forms(words)) + " ")


@functools.lru_cache(maxsize=None)
def phrase(written):
    """One rule phrase, normalised like a pupil's words: a plain padded string, or a
    Pattern when it has alternatives ("|") or gaps ("...")."""
    parts = [[normalise(alt).strip() for alt in part.split("|")]
             for part in ELLIPSIS.split(written)]
    parts = [[alt for alt in part if alt] for part in parts]
    parts = [part for part in parts if part]
    if not parts:
        return ""  # only punctuation: matching it would match every report
    if len(parts) == 1 and len(parts[0]) == 1:
        return f" {parts[0][0]} "
    gap = rf"(?:\S+ ){{0,{GAP}}}"
    body = gap.join("(?:" + "|".join(re.escape(alt) for alt in part) + ") " for part in parts)
    found = Pattern(" " + " ... ".join("|".join(part) for part in parts) + " ")
    found.regex = re.compile(" " + body)
    return found


def phrases_for(words):
    """A rule's phrases normalised like a pupil's words, each matching whole words."""
    return tuple(dict.fromkeys(p for p in map(phrase, words) if p))


def compile_rules(rules):
    """The rules with their phrases normalised once, when content loads, not per report."""
    return [dataclasses.replace(rule, phrases=phrases_for(rule.words)) for rule in rules]
