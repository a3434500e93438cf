"""Decide how soon a report must be seen, from the rules in content/urgency.toml."""
from dataclasses import dataclass

from ..content.loading import LEVELS
from ..content.matching import normalise, phrases_for

DEFAULT_REASON = "every worry is seen the same day"


@dataclass(frozen=True)
class Triage:
    level: str      # "urgent" or "same-day"
    reasons: list   # human-readable, most serious first
    refer: tuple = ()  # referral criteria met: ((id, words), ...), stored with the report


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
    words = normalise(text or "")
    matched = [r for r in rules if rule_matches(r, chosen, words, settings or {})]
    if not any(r.level == "urgent" for r in matched):
        return Triage("same-day", [r.reason for r in matched] or [DEFAULT_REASON])
    matched.sort(key=lambda r: -LEVELS.index(r.level))
    refer = dict(pair for r in matched for pair in r.refer)
    return Triage("urgent", [r.reason for r in matched], tuple(refer.items()))
