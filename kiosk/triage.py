"""Decide how soon a report must be seen, from the rules in content/urgency.toml."""
import dataclasses
import re
import unicodedata
from dataclasses import dataclass

from .content import LEVELS

DEFAULT_REASON = "every worry is seen the same day"


@dataclass(frozen=True)
class Triage:
    level: str      # "urgent" or "same-day"
    reasons: list   # human-readable, most serious first


# Letters pupils type interchangeably: Polish ł without its stroke, and the Arabic
# keyboard's yeh, kaf and heh for Urdu's own (ی ک ہ ے), which look alike on screen.
SAME_LETTER = str.maketrans({"ł": "l", "ی": "ي", "ى": "ي", "ے": "ي", "ک": "ك",
                             "ہ": "ه", "ۃ": "ة", "ھ": "ه"})


def _normalise(text):
    """Lower-case words separated by single spaces, so phrase matching is fair.

    Accents and vowel marks are dropped on both sides: pupils often type Polish
    without its accents, or Urdu without its marks, and mean the same words.
    """
    bare = "".join(c for c in unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
                   if not unicodedata.combining(c)).translate(SAME_LETTER)
    return " " + " ".join(re.findall(r"[\w'\-]+", bare)) + " "


def phrases_for(words):
    """A rule's phrases normalised like a pupil's words, each padded to match whole words."""
    return tuple(dict.fromkeys(f" {_normalise(w).strip()} " for w in words))


def compile_rules(rules):
    """The rules with their phrases normalised once, when content loads, not per report."""
    return [dataclasses.replace(rule, phrases=phrases_for(rule.words)) for rule in rules]


def rule_matches(rule, chosen, words, settings):
    """True when every condition the rule sets holds for this report."""
    if rule.setting and not settings.get(rule.setting):
        return False
    if rule.all and not all(ref in chosen for ref in rule.all):
        return False
    if rule.any and not any(ref in chosen for ref in rule.any):
        return False
    if rule.words:
        # Rules made without compile_rules still match, only more slowly.
        phrases = rule.phrases if rule.phrases else phrases_for(rule.words)
        if not any(phrase in words for phrase in phrases):
            return False
    return True


def triage(rules, answers, text="", settings=None):
    """Level and reasons for a report given its answers ({page: [tile, ...]}) and words."""
    chosen = {f"{page}:{tile}" for page, tiles in answers.items() for tile in tiles}
    words = _normalise(text or "")
    matched = [r for r in rules if rule_matches(r, chosen, words, settings or {})]
    if not any(r.level == "urgent" for r in matched):
        return Triage("same-day", [r.reason for r in matched] or [DEFAULT_REASON])
    matched.sort(key=lambda r: -LEVELS.index(r.level))
    return Triage("urgent", [r.reason for r in matched])
