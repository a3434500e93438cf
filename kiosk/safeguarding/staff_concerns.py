"""A concern logged by a member of staff: checked whole, then stored as one report with
its record entries (how they know, when, what they did, the body map, the pupil).

The report row keeps what it always kept (the child's words, the name, when it
happened, the answers the urgency rules read), and the rest is a `staff_concern` entry
written in the same transaction: both are fixed once stored and sealed by the audit
chain, and either all of it is kept or none of it.
"""
import dataclasses
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ..db import writing
from . import body_map as body_maps, case_pupils, pupils
from .cases import _add
from .chronology import describes
from .concern_form import DANGER_PAGE, HOW_PAGE, staff_content
from .reports import BadReport, Sender, parse_submission, store_report

MAX_FIELD = 2000
MAX_SHORT = 200


@dataclass(frozen=True)
class Concern:
    """What the form gave, checked."""
    client_id: str
    how: str
    told_by: str
    words: str
    seen: str
    happened_at: str   # ISO with offset, or "" when not known exactly
    happened_roughly: str
    told_at: str
    actions: str
    informed: str
    danger: str
    answers: dict      # journey answers the form asked: {page: [tile, ...]}
    pupil_id: int | None
    pupil_name: str
    marks: dict        # body_map.marks_from(...)
    suggested: tuple = ()  # the school's categories ({code, label}) the adult thinks fit


def _text(form, name, what, limit=MAX_FIELD, required=False):
    value = (form.get(name) or "").replace("\x00", "").strip()
    if required and not value:
        raise BadReport(what)
    if len(value) > limit:
        raise BadReport(f"{what.split(':')[0]}: at most {limit} characters, please.")
    return value


def _when(form, name, zone, now, what):
    """A datetime-local field read in the school's time zone; "" when left empty."""
    value = (form.get(name) or "").strip()
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadReport(f"{what}: give a date and time, such as 2026-11-18 09:15.") from None
    moment = moment.replace(tzinfo=ZoneInfo(zone)) if moment.tzinfo is None else moment
    if moment > now:
        raise BadReport(f"{what} is in the future: check the date and time.")
    return moment.isoformat()


def _choice(form, question, what):
    value = form.get(question.name, "")
    if value not in {o.value for o in question.options}:
        raise BadReport(what)
    return value


def _answers(form, concern_form):
    answers = {}
    for question in concern_form.questions:
        allowed = {o.value for o in question.options}
        for value in form.getlist(question.name):
            if value not in allowed:
                raise BadReport(f"'{value[:40]}' is not one of the answers to "
                                f"\"{question.text}\".")
            page, _, tile = value.partition(":")
            if tile not in answers.setdefault(page, []):
                answers[page].append(tile)
    return answers


def _suggested(form, catalogue):
    """The school's categories ticked: a suggestion kept in the record; setting them on
    the case stays the DSL's judgement (categories.set_categories)."""
    known = {c.code: c.label for c in catalogue}
    codes = list(dict.fromkeys(form.getlist("category")))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise BadReport(f"'{unknown[0][:40]}' is not one of the school's categories.")
    return tuple({"code": c, "label": known[c]} for c in codes)


def _pupil(form):
    raw = (form.get("pupil_id") or "").strip()
    if raw and not raw.isdigit():
        raise BadReport("Choose the pupil from the list found.")
    name = _text(form, "pupil", "The pupil's name", 80)
    if not raw and not name:
        raise BadReport("Give the pupil's name, or find them on record: the DSL needs to "
                        "know who to talk to.")
    return (int(raw) if raw else None), name


def check(form, concern_form, body_map, zone, now, catalogue=()):
    """A Concern from the posted form; BadReport with a plain reason for the first fault."""
    how = _choice(form, concern_form.how, "Say how you know about this: the pupil told "
                  "you, you saw it, or someone else told you.")
    words = _text(form, "words", "Write down what the pupil said, in their own words.",
                  required=how == "disclosure")
    seen = _text(form, "seen", "Write down what you saw or heard.", required=how == "observed")
    told_by = _text(form, "told_by", "Say who told you (their name, or who they are).",
                    MAX_SHORT, required=how == "told_by_other")
    if how == "told_by_other" and not (words or seen):
        raise BadReport("Write down what you were told, in the words used.")
    told_at = _when(form, "told_at", zone, now, "When you were told or saw it")
    if not told_at:
        raise BadReport("Give the date and time you were told or saw it.")
    happened_at = _when(form, "happened_at", zone, now, "When it happened")
    roughly = _text(form, "happened_roughly", "When it happened", MAX_SHORT)
    if not (happened_at or roughly):
        raise BadReport("Say when it happened: a date and time, or roughly (\"over the "
                        "weekend\", \"not known\").")
    if happened_at and datetime.fromisoformat(happened_at) > datetime.fromisoformat(told_at):
        raise BadReport("It cannot have happened after you were told or saw it: check the "
                        "two dates and times.")
    actions = _text(form, "actions", "Say what you did (what you said to the pupil, "
                    "where they are now).", required=True)
    informed = _text(form, "informed", "Say who else you told, or write \"nobody\".",
                     MAX_SHORT * 2, required=True)
    danger = _choice(form, concern_form.danger, "Say whether the pupil is in immediate danger.")
    pupil_id, name = _pupil(form)
    try:
        marks = body_maps.marks_from(body_map, form.getlist("body_map"),
                                     form.get("body_map_note", ""))
    except body_maps.BodyMapError as exc:
        raise BadReport(str(exc)) from None
    return Concern(form.get("client_id", ""), how, told_by, words, seen, happened_at, roughly,
                   told_at, actions, informed, danger, _answers(form, concern_form),
                   pupil_id, name, marks, _suggested(form, catalogue))


def _happened(concern, zone):
    """The report's "when it happened", as the record prints it."""
    if not concern.happened_at:
        return concern.happened_roughly
    text = _clock(concern.happened_at, zone)
    return f"{text} ({concern.happened_roughly})" if concern.happened_roughly else text


def _clock(iso, zone):
    return datetime.fromisoformat(iso).astimezone(ZoneInfo(zone)).strftime("%d %b %Y %H:%M %Z")


def _label(question, value):
    return next((o.label for o in question.options if o.value == value), value)


def store(db, school, concern_form, concern, user, now, zone):
    """Store the concern, its entries and its pupil link in one transaction.

    Returns (report, notifications); a retried send returns the stored report and none."""
    content = staff_content(school.content, concern_form)
    answers = dict(concern.answers, **{HOW_PAGE: [concern.how], DANGER_PAGE: [concern.danger]})
    submission = parse_submission({"client_id": concern.client_id, "answers": answers,
                                   "words": concern.words, "name": concern.pupil_name},
                                  content)
    with writing(db):
        pupil = pupils.find(db, concern.pupil_id) if concern.pupil_id else None
        if concern.pupil_id and pupil is None:
            raise BadReport("That pupil is not on record: find them again.")
        if pupil and not submission.name:
            submission = dataclasses.replace(submission, name=pupil["name"])
        report, first = store_report(
            db, dataclasses.replace(school, content=content), submission, now,
            Sender(source="staff", reported_by=user["id"], happened=_happened(concern, zone)))
        if first is None:
            return report, []
        return report, [first] + _entries(db, report, concern_form, concern, pupil, user, now)


def _entries(db, report, concern_form, concern, pupil, user, now):
    detail = {"how": concern.how, "how_label": _label(concern_form.how, concern.how),
              "told_by": concern.told_by, "seen": concern.seen,
              "happened_at": concern.happened_at, "happened_roughly": concern.happened_roughly,
              "told_at": concern.told_at, "actions": concern.actions,
              "informed": concern.informed, "danger": concern.danger,
              "danger_label": _label(concern_form.danger, concern.danger),
              "suggested_categories": list(concern.suggested)}
    made = [_add(db, report, "staff_concern", user, now, detail)[1]]
    if concern.marks["marks"]:
        made.append(_add(db, report, "body_map", user, now, concern.marks)[1])
    if pupil is not None:
        made.append(_link(db, report["id"], user, now, pupil["id"])[1])
    return made


def _link(db, report_id, user, now, pupil_id):
    """The pupil the concern is about, on the case as the child at risk."""
    return case_pupils.add_pupil(db, report_id, user, now, pupil_id, "subject")


def _moment(iso):
    if not iso:
        return ""
    from flask import current_app, has_app_context
    zone = current_app.config["SCHOOL_DAY"]["timezone"] if has_app_context() else "UTC"
    return _clock(iso, zone)


def _when_text(d):
    moment, roughly = _moment(d.get("happened_at")), d.get("happened_roughly", "")
    if moment and roughly:
        return f"{moment} ({roughly})"
    return moment or roughly


@describes("staff_concern")
def _staff_concern_entry(d):
    parts = [f"Told by: {d['told_by']}" if d.get("told_by") else "",
             f"What they saw or heard: {d['seen']}" if d.get("seen") else "",
             f"When it happened: {_when_text(d)}",
             f"Told or seen at: {_moment(d.get('told_at'))}",
             f"What they did: {d.get('actions', '')}",
             f"Who else was told: {d.get('informed', '')}",
             f"In immediate danger: {d.get('danger_label', d.get('danger', ''))}",
             "Categories suggested: " + ", ".join(c["label"] for c in d["suggested_categories"])
             if d.get("suggested_categories") else ""]
    return (f"Concern logged by staff: {d.get('how_label', d.get('how', ''))}",
            ". ".join(p.rstrip(".") for p in parts if p) + ".")
