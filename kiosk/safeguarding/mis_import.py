"""The school's pupil list from its MIS (a SIMS or Arbor CSV export), brought in whole.

Every row is checked before anything is written: one bad row and nothing is kept, with
each fault named by its line. Pupils are matched by UPN, so the same export brought in
again changes nothing; a changed field (a new year group each September) is a
pupil_changes row.
"""
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from ..db import writing
from . import pupils

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10000
# Headings as SIMS, Arbor and hand-made lists write them, compared without case,
# spaces or punctuation; the first heading found for a field is the one read.
HEADINGS = {
    "upn": ("upn", "uniquepupilnumber", "pupilupn"),
    "legal_first_name": ("legalforename", "legalfirstname", "forename", "firstname",
                         "givenname", "legalforenames", "forenames"),
    "preferred_first_name": ("preferredforename", "preferredfirstname", "preferredname",
                             "knownas", "chosenname"),
    "surname": ("legalsurname", "surname", "legallastname", "lastname", "familyname"),
    "date_of_birth": ("dob", "dateofbirth", "birthdate", "birthday"),
    "year_group": ("year", "yeargroup", "ncyear", "nationalcurriculumyear", "yeartaughtin",
                   "curriculumyear"),
    "send": ("senstatus", "send", "sen", "senprovision", "sendstatus", "senneed"),
    "looked_after": ("incare", "cla", "lookedafter", "lookedafterchild", "lac",
                     "childlookedafter", "clastatus"),
    "cp_plan": ("cp", "cpplan", "childprotectionplan", "childprotection", "oncpplan",
                "cpstatus"),
}
NEEDED = ("upn", "surname")
UPN = pupils.UPN
YES = {"y", "yes", "true", "1", "x", "t"}
NO = {"", "n", "no", "false", "0", "f", "none", "-"}
# SIMS / DfE SEN provision codes; anything else that says yes is kept as "Yes".
SEN_CODES = {"k": "SEN support (K)", "e": "EHC plan (E)", "s": "Statement (S)",
             "a": "School Action (A)", "p": "School Action Plus (P)"}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")


class ImportRefused(ValueError):
    """The file cannot be brought in; `problems` lists each (line, why)."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(f"Line {line}: {why}" if line else why
                                   for line, why in problems))


@dataclass
class Outcome:
    created: list = field(default_factory=list)    # pupil ids
    updated: dict = field(default_factory=dict)    # pupil id -> fields changed
    unchanged: int = 0
    matched_by_name: list = field(default_factory=list)  # pupils added by hand, now with a UPN
    warnings: list = field(default_factory=list)

    def summary(self):
        return (f"{len(self.created)} new, {len(self.updated)} updated, "
                f"{self.unchanged} unchanged")


def _key(heading):
    return re.sub(r"[^a-z0-9]", "", heading.replace("\ufeff", "").casefold())


def _columns(header):
    """{field: column index} from the heading row; ImportRefused naming what is missing."""
    keys = [_key(h) for h in header]
    found = {}
    for name, names in HEADINGS.items():
        for wanted in names:
            if wanted in keys:
                found[name] = keys.index(wanted)
                break
    missing = [n for n in NEEDED if n not in found]
    if "legal_first_name" not in found and "preferred_first_name" not in found:
        missing.append("forename")
    if missing:
        raise ImportRefused([(1, "the heading row has no column for " + ", ".join(
            m.replace("_", " ").upper() if m == "upn" else m.replace("_", " ")
            for m in missing) + " (headings found: " + ", ".join(h for h in header if h)
            + ")")])
    return found


def _decode(data):
    if len(data) > MAX_BYTES:
        raise ImportRefused([(0, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB: "
                                 "is it the pupil list?")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ImportRefused([(line, "this is not UTF-8 text: export the list again as "
                                    "\"CSV UTF-8\"")]) from None


def _flag(value, what):
    text = value.strip().casefold()
    if text in YES or text == what:
        return True
    if text in NO:
        return False
    raise ValueError(f"{what.upper()} is \"{value.strip()[:20]}\": use Yes or No")


def _send(value):
    text = value.strip()
    if text.casefold() in NO:
        return ""
    if text.casefold() in SEN_CODES:
        return SEN_CODES[text.casefold()]
    if text.casefold() in YES:
        return "Yes"
    if len(text) > 40:
        raise ValueError("SEN status is too long: at most 40 characters")
    return text


def _birth(value, today):
    text = value.strip()
    if not text:
        return ""
    for pattern in DATE_FORMATS:
        try:
            born = datetime.strptime(text.split(" ")[0], pattern).date()
        except ValueError:
            continue
        if born > today or born.year < today.year - 30:
            raise ValueError(f"date of birth {text} cannot be right")
        return born.isoformat()
    raise ValueError(f"date of birth \"{text[:20]}\" is not a date: use DD/MM/YYYY")


def _year(value):
    text = " ".join(value.split())[:20]
    return f"Year {text}" if text.isdigit() else text


def _record(cells, columns, today):
    """One row's fields; ValueError with what is wrong."""
    value = {name: (cells[i] if i < len(cells) else "").strip() for name, i in columns.items()}
    record = {"upn": value["upn"].upper().replace(" ", "")}
    if not record["upn"]:
        raise ValueError("no UPN")
    if not UPN.match(record["upn"]):
        raise ValueError(f"UPN \"{value['upn'][:20]}\" is not a UPN (a letter, 11 digits, "
                         "then a digit or letter)")
    for name in ("legal_first_name", "preferred_first_name", "surname"):
        record[name] = " ".join(value.get(name, "").split())
        if len(record[name]) > 40:
            raise ValueError(f"the {name.replace('_', ' ')} is longer than 40 characters")
    if not record["surname"] or not (record["legal_first_name"] or record["preferred_first_name"]):
        raise ValueError("a forename and a surname are needed")
    record["date_of_birth"] = _birth(value.get("date_of_birth", ""), today)
    record["year_group"] = _year(value.get("year_group", ""))
    record["send"] = _send(value.get("send", ""))
    record["looked_after"] = _flag(value.get("looked_after", ""), "cla")
    record["cp_plan"] = _flag(value.get("cp_plan", ""), "cp")
    return record, [name for name in columns]


def _rows(reader):
    """The reader's rows; a row the CSV reader cannot read is refused with its line."""
    try:
        yield from reader
    except csv.Error as exc:
        raise ImportRefused([(reader.line_num, f"this is not a readable CSV row ({exc})")]) \
            from None


def parse(data, today=None):
    """The file's pupils as [(line, fields, columns given)]; ImportRefused listing every
    bad row."""
    today = today or date.today()
    text = _decode(data)
    sample = text[:4096]
    dialect = csv.excel_tab if sample.count("\t") > sample.count(",") else csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    rows = _rows(reader)
    header = next(rows, None)
    if not header or not any(h.strip() for h in header):
        raise ImportRefused([(1, "the file is empty: export the pupil list with its "
                                 "heading row")])
    columns = _columns(header)
    records, problems, upns = [], [], {}
    for cells in rows:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue  # blank lines at the end of an export
        try:
            record, given = _record(cells, columns, today)
        except ValueError as exc:
            problems.append((line, str(exc)))
            continue
        if record["upn"] in upns:
            problems.append((line, f"UPN {record['upn']} is also on line {upns[record['upn']]}"))
            continue
        upns[record["upn"]] = line
        records.append((line, record, given))
    if len(records) > MAX_ROWS:
        problems.append((0, f"more than {MAX_ROWS} pupils: is this one school's list?"))
    if problems:
        raise ImportRefused(problems)
    if not records:
        raise ImportRefused([(2, "the file has a heading row but no pupils")])
    return records


def _name(record):
    return f"{record['preferred_first_name'] or record['legal_first_name']} {record['surname']}"


def bring_in(db, data, now, user=None, actor="", today=None):
    """Check the whole file, then create or update every pupil in one transaction."""
    records = parse(data, today or now.date())
    outcome = Outcome()
    with writing(db):
        for line, record, given in records:
            values = {f: record[f] for f in pupils.DETAIL_FIELDS if _given(f, given)}
            found = pupils.find_by_upn(db, record["upn"]) or _added_by_hand(
                db, record, line, outcome)
            if found is None:
                pupil_id = pupils.create(db, user, now, _name(record), record["year_group"],
                                         {"upn": record["upn"]}, allow_duplicate=True)
                pupils.update_details(db, pupil_id, values, now, _id(user), actor, "mis")
                outcome.created.append(pupil_id)
                continue
            changed = pupils.update_details(db, found["id"], values, now, _id(user), actor,
                                            "mis")
            if changed:
                outcome.updated[found["id"]] = changed
            else:
                outcome.unchanged += 1
    return outcome


def _added_by_hand(db, record, line, outcome):
    """The one pupil added by hand (no UPN yet) with this name and no other date of birth:
    the same child, so the MIS record completes theirs rather than making a second."""
    key = pupils.name_key(_name(record))
    alike = [p for p in pupils.everyone(db) if not p["upn"]
             and key in (pupils.name_key(p["name"]), pupils.name_key(p["recorded_name"]))
             and p["date_of_birth"] in ("", record["date_of_birth"])]
    if len(alike) == 1:
        outcome.matched_by_name.append(alike[0]["id"])
        return alike[0]
    if alike:
        outcome.warnings.append(
            f"Line {line}: {len(alike)} pupils added by hand are called {_name(record)}; "
            "a new pupil was made for this UPN: check which of them is this child")
    return None


def _given(name, given):
    """A column the file has (a list without a CP column leaves the flag as it was)."""
    return name in given or name in ("legal_first_name", "preferred_first_name")


def _id(user):
    return user["id"] if user else None


def audit_detail(outcome, file_name=""):
    """What the audit log keeps of an import: counts and which fields changed, no names."""
    return {"file": file_name[:120], "created": len(outcome.created),
            "matched_by_name": outcome.matched_by_name,
            "updated": {str(k): v for k, v in outcome.updated.items()},
            "unchanged": outcome.unchanged}
