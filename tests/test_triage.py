"""Urgency from the default rules: each rule, with the reason the DSL will read."""
import dataclasses
import time

import pytest

from kiosk.content.loading import load_content
from kiosk.content.symbols import Symbols
from kiosk.safeguarding.triage import DEFAULT_REASON, triage

from kiosk import PROJECT_ROOT


@pytest.fixture(scope="module")
def rules():
    symbols = Symbols(PROJECT_ROOT / "symbols")
    return load_content(PROJECT_ROOT / "content", symbols).rules


@pytest.mark.parametrize("answers, words, settings, reason", [
    ({"safe": ["no"]}, "", {}, "pupil says they are not safe right now"),
    ({"what": ["pictures"], "who": ["adult"]}, "", {}, "adult involved + asked for pictures"),
    ({"what": ["pictures"], "who": ["stranger"]}, "", {},
     "someone they don't know + asked for pictures (possible grooming)"),
    ({"what": ["pictures", "stranger"]}, "", {},
     "someone they don't know + asked for pictures (possible grooming)"),
    ({"what": ["hurt"], "who": ["adult"]}, "", {}, "adult involved + hurt or touched"),
    ({"what": ["hurt"], "when": ["still_happening"]}, "", {}, "hurt or touched + still happening"),
    ({"what": ["pictures"]}, "", {"pupils_under_13": True},
     "asked for pictures + pupils here are under 13"),
    ({"what": ["pictures"]}, "", {"special_school": True},
     "asked for pictures + doubt about capacity to consent (special school)"),
    ({"what": ["sad_scared"]}, "I want to HURT MYSELF.", {},
     "their words suggest self-harm or suicide"),
    ({"what": ["online"]}, "he wants to meet up", {},
     "their words mention meeting someone (possible grooming)"),
    ({"what": ["online"]}, "She said don’t tell anyone", {},
     "their words suggest blackmail, threats or secrets (possible coercion)"),
])
def test_each_urgent_rule_gives_its_reason(rules, answers, words, settings, reason):
    result = triage(rules, answers, words, settings)
    assert result.level == "urgent"
    assert reason in result.reasons


@pytest.mark.parametrize("answers, words, settings", [
    ({"what": ["unkind"], "who": ["child"]}, "", {}),
    ({"what": ["pictures"], "who": ["child"]}, "", {}),          # secondary school, a peer
    ({"what": ["hurt"], "who": ["child"], "when": ["before"]}, "", {}),
    ({"what": ["online"]}, "he said a meeting is at 3", {}),     # "meeting" alone is not "meet up"
    ({"what": ["online"]}, "we were hurting ourselves laughing", {}),
])
def test_everything_else_is_same_day(rules, answers, words, settings):
    result = triage(rules, answers, words, settings)
    assert result.level == "same-day"


def test_same_day_without_a_rule_says_so(rules):
    assert triage(rules, {"what": ["unkind"]}).reasons == [DEFAULT_REASON]


def test_same_day_reasons_are_listed(rules):
    result = triage(rules, {"safe": ["not_sure"], "when": ["still_happening"]})
    assert result.level == "same-day"
    assert result.reasons == ["pupil is not sure they are safe right now", "it is still happening"]


def test_urgent_reasons_come_before_same_day_ones(rules):
    result = triage(rules, {"safe": ["not_sure"], "what": ["hurt"], "when": ["still_happening"]})
    assert result.reasons[0] == "hurt or touched + still happening"
    assert "pupil is not sure they are safe right now" in result.reasons[1:]


def test_several_urgent_reasons_are_all_given(rules):
    result = triage(rules, {"safe": ["no"], "what": ["pictures"], "who": ["adult"]}, "meet me")
    assert len(result.reasons) == 3


def test_many_reports_are_triaged_quickly_because_phrases_are_prepared_once(rules):
    # Every phrase in every language (about 300) is normalised when content loads; doing
    # it per report took about 2.7 ms of each store and held back kiosks sending at once.
    words = "at lunch someone in year six took my bag and said don't tell anyone"
    started = time.perf_counter()
    for _ in range(1000):
        result = triage(rules, {"what": ["unkind"]}, words)
    assert result.level == "urgent"
    assert time.perf_counter() - started < 1.0  # about 0.1 s here; per-report work: 2.7 s


def test_a_rule_made_without_compiling_still_matches_words(rules):
    raw = [dataclasses.replace(rule, phrases=()) for rule in rules]
    result = triage(raw, {"what": ["sad_scared"]}, "I want to hurt myself")
    assert "their words suggest self-harm or suicide" in result.reasons
