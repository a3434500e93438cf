"""How a pupil's words are matched against urgency phrases: both sides normalised the
same way, once for the rules (when content loads) and once per report for the words."""
import dataclasses
import re
import unicodedata


# Letters pupils type interchangeably: Polish ł without its stroke, and the Arabic
# keyboard's yeh, kaf and heh for Urdu's own (ی ک ہ ے), which look alike on screen.
SAME_LETTER = str.maketrans({"ł": "l", "ی": "ي", "ى": "ي", "ے": "ي", "ک": "ك",
                             "ہ": "ه", "ۃ": "ة", "ھ": "ه"})


def normalise(text):
    """Lower-case words separated by single spaces, so phrase matching is fair.

    Accents and vowel marks are dropped on both sides: pupils often type Polish
    without its accents, or Urdu without its marks, and mean the same words.
    """
    bare = "".join(c for c in unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
                   if not unicodedata.combining(c)).translate(SAME_LETTER)
    return " " + " ".join(re.findall(r"[\w'\-]+", bare)) + " "


def phrases_for(words):
    """A rule's phrases normalised like a pupil's words, each padded to match whole words."""
    return tuple(dict.fromkeys(f" {normalise(w).strip()} " for w in words))


def compile_rules(rules):
    """The rules with their phrases normalised once, when content loads, not per report."""
    return [dataclasses.replace(rule, phrases=phrases_for(rule.words)) for rule in rules]
