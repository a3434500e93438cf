"""Youth-produced sexual imagery (nudes and semi-nudes): the policies' own steps, recorded
on the case.

The school's policy (UKCIS guidance as the school adopts it) asks for an initial review
meeting that answers set questions, an immediate referral when any of five criteria
apply, imagery viewed only when unavoidable and then recorded, signed and dated, devices
switched off and kept under lock and key until the police collect them, a deletion
deadline given to the young people, crime reference numbers recorded, and the decision
reviewed throughout. Every step is a case entry; "all of these decisions will be
recorded: including times, dates and reasons". No table: what the panel needs is read
from the case's own entries, which are few.
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from ..db import writing
from ..accounts.users import READER_ROLES, ROLE_NAMES, display_name
from . import cases, tasks
from .cases import CaseError, Decision, Field, _acknowledge_first, _add, _open_case, _text

REVIEW, VIEWING, STAFF_SUPPORT = "imagery_review", "imagery_viewing", "imagery_staff_support"
DEVICE_SECURED, DEVICE_HANDED = "imagery_device_secured", "imagery_device_handed"
DELETION_DEADLINE, DECISION_REVIEWED = "imagery_deletion_deadline", "imagery_decision_reviewed"
KINDS = (REVIEW, VIEWING, STAFF_SUPPORT, DEVICE_SECURED, DEVICE_HANDED, DELETION_DEADLINE,
         DECISION_REVIEWED)

# The initial review meeting "will consider the initial evidence and aim to establish":
QUESTIONS = (
    ("immediate_risk", "Whether there is an immediate risk to a young person or young people"),
    ("refer", "If a referral should be made to the police and/or children's social care"),
    ("view", "If it is necessary to view the imagery in order to safeguard the young person "
             "(in most cases, imagery should not be viewed)"),
    ("further_information", "What further information is required to decide on the best "
                            "response"),
    ("shared_widely", "Whether the imagery has been shared widely and via what services "
                      "and/or platforms (this may be unknown)"),
    ("delete", "Whether immediate action should be taken to delete or remove images from "
               "devices or online services"),
    ("relevant_facts", "Any relevant facts about the young people involved which would "
                       "influence risk assessment"),
    ("other_school", "If there is a need to contact another school, college, setting or "
                     "individual"),
    ("parents", "Whether to contact parents or carers of the pupils involved (in most cases "
                "parents should be involved)"),
)
# "An immediate referral to police and/or children's social care will be made if at
# this initial stage" any of these apply:
CRITERIA = (
    ("adult", "The incident involves an adult"),
    ("coerced", "There is reason to believe that a young person has been coerced, "
                "blackmailed or groomed, or there are concerns about their capacity to "
                "consent (for example, owing to special educational needs)"),
    ("unusual", "What is known about the imagery suggests the content depicts sexual acts "
                "which are unusual for the young person's developmental stage, or are "
                "violent"),
    ("under_13", "The imagery involves sexual acts and any pupil in the imagery is under 13"),
    ("immediate_harm", "There is reason to believe a young person is at immediate risk of "
                       "harm owing to the sharing of the imagery (for example, presenting "
                       "as suicidal or self-harming)"),
)
ANSWERS = {"yes": "Yes", "no": "No", "unknown": "Not known"}
# "If a decision is made to view imagery, our DSL would need to be satisfied that viewing":
VIEWING_REASONS = {
    "only_way": "It is the only way to decide whether to involve other agencies",
    "report_removal": "It is necessary to report the image to have it taken down, or to "
                      "support the young person or parent in making a report",
    "unavoidable": "It was unavoidable: a young person presented it to a member of staff, or "
                   "it was found on a school device or network",
}
OUTCOMES = {"keeps": "The decision stands", "changes": "The decision changes"}
POLICE_DECISIONS = ("police_999", "police_101", "ceop")

# "Ensure any crime reference numbers provided are recorded": the police decisions keep
# their codes and titles and ask for the number (not always given at once, so optional).
for _code in POLICE_DECISIONS:
    _known = cases.DECISIONS[_code]
    cases.add_decision(Decision(_code, _known.title, _known.refers, fields=(
        Field("crime_reference", "Crime reference number", required=False),)))


def _zone():
    return ZoneInfo(current_app.config["SCHOOL_DAY"]["timezone"] if has_app_context()
                    else "UTC")


def _signature(user, now):
    """The signed-and-dated line: the person's name and role, and the school's local time."""
    return (f"{display_name(user)} ({ROLE_NAMES.get(user['role'], user['role'])}), "
            f"{now.astimezone(_zone()).strftime('%d %B %Y at %H:%M %Z')}")


def _working_case(db, report_id, user):
    """The open, acknowledged case, for the DSL team and the head only."""
    if user is None or user["role"] not in READER_ROLES:
        raise CaseError("Only the DSL team and the head teacher record imagery steps.", 403)
    report = _open_case(db, report_id)
    _acknowledge_first(report)
    return report


def _choice(value, allowed, what):
    if value not in allowed:
        raise CaseError(f"{what}: choose one of {', '.join(allowed.values())}.")
    return value


def _date(value, what, now, past_ok=False):
    """A date from the form (YYYY-MM-DD), not before today in school unless allowed."""
    try:
        day = date.fromisoformat(_text(value, what))
    except ValueError:
        raise CaseError(f"{what} must be a date, such as 2026-11-25.") from None
    if not past_ok and day < now.astimezone(_zone()).date():
        raise CaseError(f"{what} cannot be in the past.")
    return day


def _ticked(value):
    return value in ("on", "yes", "true", "1", True)


def _entries(db, report_id, *kinds):
    return [e for e in cases.entries(db, report_id) if e["kind"] in kinds]


def _add_due(db, report, user, now, title, due, kind="task"):
    """The date as a task on the case (kind "review" for a review date), owned by the
    case's owner, or by whoever records it while the case has none."""
    tasks.add_task(db, report["id"], user, now, title, report["owner_id"] or user["id"],
                   due.isoformat(), kind=kind)


def _answers(given, questions, what):
    """{id: {"answer", "note"}} for every question, each answered yes, no or not known."""
    answers = {}
    for key, text in questions:
        answer, note = (given or {}).get(key, ("", ""))
        if answer not in ANSWERS:
            raise CaseError(f"{what}: answer yes, no or not known to \"{text}\".")
        answers[key] = {"answer": answer, "note": _text(note, f"The note on \"{text}\"",
                                                        required=False)}
    return answers


def record_review(db, report_id, user, now, attended, answers):
    """The initial review meeting: who attended, and every question and criterion answered."""
    with writing(db):
        report = _working_case(db, report_id, user)
        earlier = _entries(db, report_id, REVIEW)
        if earlier:
            raise CaseError(f"The initial review meeting is already recorded (entry "
                            f"{earlier[0]['id']}): add a note or review the decision "
                            "instead.", 409)
        attended = _text(attended, "Who attended the meeting")
        detail = {"attended": attended,
                  "questions": _answers(answers, QUESTIONS, "The meeting's questions"),
                  "criteria": _answers(answers, CRITERIA, "The criteria for immediate "
                                                          "referral")}
        return _add(db, report, REVIEW, user, now, detail)


def criteria_met(db, report_id):
    """The immediate-referral criteria the initial review answered "yes" to, in words."""
    reviews = _entries(db, report_id, REVIEW)
    if not reviews:
        return []
    met = reviews[0]["detail"]["criteria"]
    return [text for key, text in CRITERIA if met.get(key, {}).get("answer") == "yes"]


def record_viewing(db, report_id, user, now, form):
    """The viewing record, signed and dated by the person who viewed (the one recording)."""
    with writing(db):
        report = _working_case(db, report_id, user)
        if not _ticked(form.get("confirm", "")):
            raise CaseError("Tick \"I confirm\" to sign and date the viewing record: it is "
                            "signed by the person who viewed the imagery.")
        same_sex = _choice(form.get("same_sex", ""), {"yes": "Yes", "no": "No"},
                           "Whether you are the same sex as the young person")
        detail = {
            "viewer": display_name(user),
            "present": _text(form.get("present", ""), "Who else was present"),
            "reason": _choice(form.get("reason", ""), VIEWING_REASONS, "Why viewing was "
                                                                   "necessary"),
            "why": _text(form.get("why", ""), "Why it was necessary, in your words"),
            "next": _text(form.get("next", ""), "What happened next"),
            "discussed_with_head": _choice(form.get("discussed_with_head", ""),
                                           {"yes": "Yes", "no": "No"},
                                           "Whether it was discussed with the head teacher"),
            "same_sex": same_sex,
            "not_same_sex_reason": _text(form.get("not_same_sex_reason", ""),
                                         "Why the viewer was not the same sex as the young "
                                         "person", required=same_sex == "no"),
            "signature": _signature(user, now),
        }
        return _add(db, report, VIEWING, user, now, detail)


def record_staff_support(db, report_id, user, now, staff, support):
    """The support offered to a member of staff who viewed the imagery."""
    with writing(db):
        report = _working_case(db, report_id, user)
        return _add(db, report, STAFF_SUPPORT, user, now, {
            "staff": _text(staff, "Who viewed the imagery"),
            "support": _text(support, "The support offered")})


def secure_device(db, report_id, user, now, form):
    """A device confiscated: refused unless it is switched off and under lock and key."""
    with writing(db):
        report = _working_case(db, report_id, user)
        device = _text(form.get("device", ""), "Which device")
        if not _ticked(form.get("switched_off", "")):
            raise CaseError("The device must be switched off before it is put away "
                            "(policy: \"The device should be turned off and placed under "
                            "lock and key until the police are able to come and retrieve "
                            "it\"). Switch it off, then record it.")
        if not _ticked(form.get("locked", "")):
            raise CaseError("The device must be placed under lock and key: tick that it is "
                            "locked away, and say where.")
        return _add(db, report, DEVICE_SECURED, user, now, {
            "device": device, "switched_off": True, "locked": True,
            "held_by": _text(form.get("held_by", ""), "Who holds the key"),
            "where": _text(form.get("where", ""), "Where it is locked away")})


def devices(db, report_id):
    """Each device secured on the case, with its hand-over to the police (or None)."""
    found = _entries(db, report_id, DEVICE_SECURED, DEVICE_HANDED)
    handed = {e["detail"]["device_entry"]: e for e in found if e["kind"] == DEVICE_HANDED}
    return [dict(e, handed=handed.get(e["id"])) for e in found if e["kind"] == DEVICE_SECURED]


def hand_to_police(db, report_id, user, now, device_entry, officer, officer_number,
                   handed_at):
    """The police collected a device: who (name and number) and when."""
    with writing(db):
        report = _working_case(db, report_id, user)
        device = next((d for d in devices(db, report_id) if d["id"] == device_entry), None)
        if device is None:
            raise CaseError("Choose a device recorded as locked away on this case.")
        if device["handed"]:
            raise CaseError(f"That device was already handed to the police (entry "
                            f"{device['handed']['id']}).", 409)
        try:
            at = datetime.fromisoformat(_text(handed_at, "When it was handed over"))
        except ValueError:
            raise CaseError("When it was handed over must be a date and time.") from None
        at = at.replace(tzinfo=_zone()) if at.tzinfo is None else at
        if at > now or at < datetime.fromisoformat(device["at"]):
            raise CaseError("When it was handed over must be after it was locked away and "
                            "not in the future.")
        return _add(db, report, DEVICE_HANDED, user, now, {
            "device_entry": device["id"], "device": device["detail"]["device"],
            "officer": _text(officer, "The officer's name"),
            "officer_number": _text(officer_number, "The officer's number"),
            "handed_at": at.isoformat()})


def set_deletion_deadline(db, report_id, user, now, deadline, told, reminded):
    """The date the young people were given to delete the imagery everywhere."""
    with writing(db):
        report = _working_case(db, report_id, user)
        day = _date(deadline, "The deletion deadline", now)
        told = _text(told, "Which young people were given the deadline")
        if not _ticked(reminded):
            raise CaseError("Remind the young people that possessing the imagery is illegal, "
                            "and that not deleting it is an offence the police may act on; "
                            "then tick that they were told.")
        entry = _add(db, report, DELETION_DEADLINE, user, now,
                     {"deadline": day.isoformat(), "told": told, "reminded": True})
        _add_due(db, report, user, now, f"Check the imagery is deleted ({told})", day)
        return entry


def review_decision(db, report_id, user, now, decision_entry, reviewers, outcome, text,
                    next_review):
    """The decision reviewed, as the policy asks "throughout the process": who, the
    outcome and why, and when it is next reviewed."""
    with writing(db):
        report = _working_case(db, report_id, user)
        decision = next((d for d in cases.decisions_in_force(db, report_id)
                         if d["id"] == decision_entry), None)
        if decision is None:
            raise CaseError("Choose a decision in force on this case to review (record a "
                            "decision first if there is none).")
        detail = {"decision_entry": decision["id"], "title": decision["detail"]["title"],
                  "reviewers": _text(reviewers, "Who reviewed it"),
                  "outcome": _choice(outcome, OUTCOMES, "The outcome"),
                  "text": _text(text, "The reason for the outcome"),
                  "next_review": _date(next_review, "The next review date", now).isoformat()}
        entry = _add(db, report, DECISION_REVIEWED, user, now, detail)
        _add_due(db, report, user, now, f"Review the decision: {detail['title']}",
                 date.fromisoformat(detail["next_review"]), kind="review")
        return entry


@cases.close_check
def referred_when_criteria_met(db, report):
    """A case whose initial review met a criterion closes only with a referral in force."""
    met = criteria_met(db, report["id"])
    if met and not any(cases.DECISIONS[d["detail"]["decision"]].refers
                       for d in cases.decisions_in_force(db, report["id"])
                       if d["detail"].get("decision") in cases.DECISIONS):
        raise CaseError("The initial review meeting found criteria for an immediate referral "
                        f"({'; '.join(met)}): record the referral to the police or children's "
                        "social care before closing.", 409)
