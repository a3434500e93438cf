"""Named pupils, so one child's cases can be read together as a chronology.

A pupil's first row (name, year group when first recorded) is sealed by the audit chain
and never changes. What the school's MIS says now (UPN, names, date of birth, year group,
SEND, looked after, child-protection plan) lives in pupil_details; every change to it is
a pupil_changes row, which the database will not let anyone change or delete.
"""
import re
from datetime import date

from .cases import CaseError, _text

MAX_NAME = 80
DETAIL_FIELDS = ("upn", "legal_first_name", "preferred_first_name", "surname",
                 "date_of_birth", "year_group", "send", "looked_after", "cp_plan")
UPN = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")  # a check letter, 11 digits, a digit or a letter
FLAG_LABELS = {"send": "SEND", "looked_after": "Looked after (CLA)",
               "cp_plan": "Child protection plan"}


class DuplicatePupil(CaseError):
    """A new pupil looks like one already on record; `matches` are those pupils."""

    def __init__(self, matches):
        names = "; ".join(_label(p) for p in matches)
        super().__init__(f"A pupil on record has this name or UPN: {names}. Choose them, "
                         "or create a new pupil anyway if this is a different child.", 409)
        self.matches = matches


def name_key(name):
    """How names are compared for duplicates: case and spacing ignored."""
    return " ".join((name or "").split()).casefold()


def _label(pupil):
    extra = ", ".join(x for x in (pupil.get("year_group"), pupil.get("upn") and
                                  f"UPN {pupil['upn']}") if x)
    return f"{pupil['name']} (#{pupil['id']}{', ' + extra if extra else ''})"


def _current(row):
    """A pupil as pages show them: the MIS's current name and year group over the first."""
    pupil = dict(row)
    pupil["recorded_name"] = pupil["name"]
    for field in DETAIL_FIELDS:
        pupil[field] = pupil.get("d_" + field) if pupil.get("d_" + field) is not None else (
            pupil.get(field) if field == "year_group" else "")
        pupil.pop("d_" + field, None)
    first = pupil["preferred_first_name"] or pupil["legal_first_name"]
    if first and pupil["surname"]:
        pupil["name"] = f"{first} {pupil['surname']}"
    for flag in ("looked_after", "cp_plan"):
        pupil[flag] = bool(pupil[flag])
    pupil["flags"] = [FLAG_LABELS[f] for f in FLAG_LABELS if pupil[f]]
    return pupil


SELECT = ("SELECT p.*, " + ", ".join(f"d.{f} AS d_{f}" for f in DETAIL_FIELDS) +
          " FROM pupils p LEFT JOIN pupil_details d ON d.pupil_id = p.id")


def find(db, pupil_id):
    row = next(db.query(SELECT + " WHERE p.id = ?", [pupil_id]), None)
    return _current(row) if row else None


def find_by_upn(db, upn):
    row = next(db.query(SELECT + " WHERE d.upn = ?", [upn]), None) if upn else None
    return _current(row) if row else None


def everyone(db):
    return [_current(row) for row in db.query(SELECT + " ORDER BY p.id")]


def search(db, text, limit=20):
    """Pupils whose name (first or current) contains `text`, or whose UPN is `text`."""
    text = (text or "").strip()
    if not text:
        return []
    pattern = "%" + text.replace("%", "").replace("_", "") + "%"
    current = ("COALESCE(d.preferred_first_name, '') || ' ' || COALESCE(d.legal_first_name, '')"
               " || ' ' || COALESCE(d.surname, '')")
    rows = db.query(SELECT + f" WHERE p.name LIKE ? OR {current} LIKE ? OR d.upn = ? "
                    "ORDER BY p.name LIMIT ?", [pattern, pattern, text.upper(), limit])
    found = [_current(row) for row in rows]
    words = name_key(text).split()
    if len(words) > 1:  # "amy smith" also finds "Amy  Smith" and legal "Amelia (Amy) Smith"
        seen = {p["id"] for p in found}
        found += [p for p in everyone(db) if p["id"] not in seen and all(
            w in name_key(p["name"] + " " + p["legal_first_name"]) for w in words)]
    return found[:limit]


def duplicates(db, name, upn=""):
    """Pupils on record with this name (case and spacing ignored) or this UPN."""
    key, upn = name_key(name), (upn or "").strip().upper()
    return [p for p in everyone(db) if (key and key in (name_key(p["name"]),
                                                        name_key(p["recorded_name"])))
            or (upn and p["upn"] == upn)]


def create(db, user, now, name, year_group="", details=None, allow_duplicate=False):
    """A new pupil (in the caller's transaction); DuplicatePupil unless allowed."""
    name = _text(name, "The pupil's name")
    if len(name) > MAX_NAME:
        raise CaseError(f"The pupil's name is too long: at most {MAX_NAME} characters.")
    year_group = _text(year_group, "The year group", required=False)[:20]
    details = _checked(details, now)
    if not allow_duplicate:
        found = duplicates(db, name, details.get("upn", ""))
        if found:
            raise DuplicatePupil(found)
    elif details.get("upn") and find_by_upn(db, details["upn"]):
        raise CaseError(f"UPN {details['upn']} is already on record: a UPN belongs to one "
                        "pupil.", 409)
    table = db["pupils"]
    table.insert({"name": name, "year_group": year_group, "created_at": now.isoformat(),
                  "created_by": user["id"] if user else None})
    pupil_id = table.last_pk
    if details:
        row = dict({f: "" for f in DETAIL_FIELDS}, looked_after=0, cp_plan=0,
                   year_group=year_group)
        row.update({k: _stored(v) for k, v in details.items()})
        db["pupil_details"].insert(dict(row, pupil_id=pupil_id, updated_at=now.isoformat()))
    return pupil_id


def _checked(details, now):
    """A new pupil's details from a form, each checked; empty ones left out."""
    details = {k: v for k, v in (details or {}).items() if v not in ("", None, False)}
    unknown = set(details) - set(DETAIL_FIELDS)
    if unknown:
        raise CaseError(f"Unknown pupil detail: {', '.join(sorted(unknown))}.")
    if "upn" in details and not UPN.match(details["upn"]):
        raise CaseError("That is not a UPN: a letter, 11 digits, then a digit or letter "
                        "(13 characters, as the MIS shows it).")
    if "date_of_birth" in details:
        try:
            born = date.fromisoformat(details["date_of_birth"])
        except ValueError:
            raise CaseError("The date of birth must be a date, such as 2014-09-30.") from None
        if born > now.date():
            raise CaseError("The date of birth is in the future: check it.")
    return details


def update_details(db, pupil_id, values, now, by_user=None, actor="", source=""):
    """Set the pupil's current details; each field changed is a pupil_changes row.
    Returns the names of the fields that changed."""
    pupil = find(db, pupil_id)
    changed = [f for f in DETAIL_FIELDS if f in values and _stored(values[f]) != _stored(
        pupil[f])]
    if not changed:
        return []
    row = {f: _stored(pupil[f]) for f in DETAIL_FIELDS}
    row.update({f: _stored(values[f]) for f in changed})
    db["pupil_details"].upsert(dict(row, pupil_id=pupil_id, updated_at=now.isoformat()),
                               pk="pupil_id")
    db["pupil_changes"].insert_all(
        [{"pupil_id": pupil_id, "at": now.isoformat(), "by_user": by_user, "actor": actor,
          "source": source, "field": f, "old": str(_stored(pupil[f])),
          "new": str(_stored(values[f]))} for f in changed])
    return changed


def _stored(value):
    return int(value) if isinstance(value, bool) else ("" if value is None else value)


def changes(db, pupil_id):
    return list(db.query("SELECT * FROM pupil_changes WHERE pupil_id = ? ORDER BY id",
                         [pupil_id]))
