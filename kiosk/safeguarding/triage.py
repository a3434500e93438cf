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


# What the school's MIS says about a child that makes them more vulnerable, and what
# the policies say about it (Online Safety policy, "SEND and Looked After Children";
# Sexting policy, "Assessing the risks" and "Children's social care contact and
# referrals"). Quoted, so the DSL reads the policy's words, not ours.
SOCIAL_CARE = ("Children's social care are involved with this child. Policy: \"If our DSL "
               "is aware that children's social care are currently involved with a "
               "child/young person involved in an incident of youth produced sexual imagery "
               "then they will contact children's social care.\"")
VULNERABILITY_GUIDANCE = {
    "send": (
        "Policy: \"children with SEND are more likely than their peers to experience online "
        "issues such as cyberbullying, online grooming and exploitation.\"",
        "Policy: \"Vulnerable children may also find it difficult to explain or describe "
        "things that happened online; DSLs are aware of this when they investigate as some "
        "children may need to show what they did rather than tell.\""),
    "looked_after": (
        "Policy: \"The Trust gives careful consideration to those children who may be "
        "particularly vulnerable online such as Looked After Children and those with "
        "Special Educational Needs and Disabilities (SEND).\"", SOCIAL_CARE),
    "cp_plan": (SOCIAL_CARE, "Policy, assessing the risks: \"Do the young people involved "
                "have additional vulnerabilities?\""),
}
# A child with SEND is judged as the school's rules judge pupils of a special school:
# "concerns about their capacity to consent (for example, owing to special educational
# needs)" make imagery an immediate referral (content/urgency.toml, "pictures-capacity").
# A child under 13 (from their date of birth) is judged as a school whose pupils are under
# 13: "The imagery involves sexual acts and any pupil in the imagery is under 13".
VULNERABLE_SETTINGS = {"send": "special_school", "under_13": "pupils_under_13"}


def vulnerability_triage(rules, answers, text, settings, flags):
    """The report judged again knowing the child's vulnerabilities (flags such as
    "send"), or None when none of them changes what the rules look at."""
    extra = {VULNERABLE_SETTINGS[f]: True for f in flags if f in VULNERABLE_SETTINGS}
    if not extra or all((settings or {}).get(s) for s in extra):
        return None
    return triage(rules, answers, text, dict(settings or {}, **extra))
