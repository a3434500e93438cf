"""A chronology made ready to show: times as text in the school's zone, wording decided once.

The printable page and the PDF both render what present() returns, so they cannot
disagree about what a case says."""
import copy
from datetime import datetime
from zoneinfo import ZoneInfo

from .. import body_pictures

# Spelled out rather than strftime's %a/%b, which follow the server's locale.
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
CONFIDENTIAL = "CONFIDENTIAL: safeguarding record"
URGENCY = {"urgent": "Urgent", "same-day": "Same day"}
STATUS = {"new": "New (not yet acknowledged)", "acknowledged": "Acknowledged",
          "closed": "Closed", "merged": "Merged"}
ABOUT_OTHER = ("Another child: the pupil who sent it was worried about someone else; "
               "the answers describe that child")
ENGINES = {"vosk": "Vosk", "pocketsphinx": "PocketSphinx"}


def format_time(moment, zone):
    """A moment as a person reads it in the given zone, e.g. 'Wed 18 Nov 2026, 10:30'."""
    if moment.tzinfo is None:
        # Guessing the zone of a safeguarding record would put events at the wrong time.
        raise ValueError(f"{moment.isoformat()} has no time zone")
    local = moment.astimezone(zone)
    return (f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}, "
            f"{local:%H:%M}")


def _times_as_text(value, zone):
    if isinstance(value, datetime):
        return format_time(value, zone)
    if isinstance(value, dict):
        return {key: _times_as_text(item, zone) for key, item in value.items()}
    if isinstance(value, list):
        return [_times_as_text(item, zone) for item in value]
    return value


def present(chronology):
    """A copy of the chronology with every time as text and the shared wording added."""
    if chronology.get("presented"):
        return chronology
    data = copy.deepcopy(chronology)
    for case in data["cases"]:
        # Time order, with entry number breaking ties, before times become text.
        case["entries"] = sorted(case["entries"], key=lambda e: (e["at"], e["id"]))
    zone = ZoneInfo(data["timezone"])
    data = _times_as_text(data, zone)
    data.update(presented=True, confidential=CONFIDENTIAL, pupil_line=_pupil_line(data),
                generated_line=f"Generated {data['generated_at']} by {data['generated_by']}",
                timezone_note=f"All times are {data['timezone']} time.")
    for case in data["cases"]:
        _present_case(case)
    return data


def _pupil_line(data):
    pupil = data.get("pupil")
    if not pupil:
        return ""
    year = pupil.get("year_group") or ""
    return f"Pupil: {pupil['name']}" + (f", {year}" if year else "")


def _present_case(case):
    case["heading"] = f"Case {case['id']}"
    case["urgency_label"] = URGENCY.get(case["urgency"], case["urgency"])
    case["facts"] = _facts(case)
    case["choice_groups"] = _choice_groups(case["choices"])
    case["body_pictures"] = _body_pictures(case)
    case["words_heading"], case["words_note"] = _words_wording(case)
    for entry in case["entries"]:
        entry["notes"] = _entry_notes(entry)


def _facts(case):
    """The case facts table: label, text and any list under it (the urgency reasons)."""
    facts = [
        {"label": "Made", "value": case["created_at"], "items": []},
        {"label": "Source", "value": _source(case), "items": []},
    ]
    if case.get("about") == "someone_else":
        facts.append({"label": "About", "value": ABOUT_OTHER, "items": []})
    facts += [
        {"label": "Urgency", "value": case["urgency_label"], "items": list(case["reasons"])},
        {"label": "Due to be seen by", "value": case["due_at"], "items": []},
        {"label": "Status", "value": _status(case), "items": []},
        {"label": "Owner", "value": case["owner"] or "Not assigned", "items": []},
        {"label": "Name given", "value": case["name"] or "None (anonymous)", "items": []},
    ]
    if case.get("happened"):
        facts.append({"label": "When it happened", "value": case["happened"], "items": []})
    return facts


def _source(case):
    if case["source"] == "staff":
        who = case.get("reported_by") or ""
        return f"Concern raised by a member of staff: {who}" if who else \
            "Concern raised by a member of staff"
    kiosk = case.get("kiosk") or ""
    return f"Pupil kiosk: {kiosk}" if kiosk else "Pupil kiosk"


def _status(case):
    if case["status"] == "merged" and case.get("merged_into"):
        return f"Merged into case {case['merged_into']}"
    return STATUS.get(case["status"], case["status"])


def _choice_groups(choices):
    """Choices grouped by question, questions in the order the pupil met them."""
    groups = {}
    for choice in choices:
        groups.setdefault(choice["question"], []).append(choice["label"])
    return [{"question": question, "labels": labels} for question, labels in groups.items()]


def _body_pictures(case):
    """The marked body pictures to draw: the pupil's own places, then the newest staff
    body map still standing (a corrected one is struck through in the record instead)."""
    pictures = []
    pupil = body_pictures.pupil_picture(case["choices"])
    if pupil:
        pictures.append(body_pictures.as_data(pupil))
    maps = [e for e in case["entries"]
            if e.get("kind") == "body_map" and not e.get("corrected_by")]
    if maps and isinstance(maps[-1].get("detail"), dict):
        staff = body_pictures.staff_picture(maps[-1]["detail"])
        pictures.append(dict(body_pictures.as_data(staff), entry=maps[-1]["id"]))
    return pictures


def _words_wording(case):
    # A staff concern's text is the staff member's account, not the pupil's words.
    heading = ("The concern as recorded" if case["source"] == "staff"
               else "In the pupil's own words")
    if not case["words"]:
        return heading, "No words given."
    engine = case.get("words_source") or ""
    if engine:
        return heading, (
            f"Spoken by the pupil and transcribed by speech recognition "
            f"({ENGINES.get(engine, engine)}); the pupil heard it read back and said it was "
            "right. Recognition can mishear words.")
    return heading, ("Typed by the member of staff." if case["source"] == "staff"
                     else "Typed by the pupil.")


def _entry_notes(entry):
    notes = []
    if entry.get("corrects"):
        notes.append(f"Corrects entry #{entry['corrects']}")
    if entry.get("corrected_by"):
        notes.append(f"Corrected by entry #{entry['corrected_by']}")
    return notes
