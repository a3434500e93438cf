"""Several pupils on one case, each with a role: the child at risk, an alleged
perpetrator, a witness, the pupil who told us.

Each step is a case entry ("pupil_added", "pupil_role_changed", "pupil_removed"); the
case_pupils table only mirrors who is on the case now, for the pupil's chronology and
the case page, and is kept in step in the same transaction. Taking a pupil off a case
is a new entry that corrects the one that added them: nothing is deleted. Adding a pupil
to one case never takes a case away from another pupil.

reports.pupil_id keeps meaning "the first child at risk", for the code that lists and
searches cases by pupil.
"""
from datetime import datetime

from ..db import writing
from . import pupil_vulnerability as vulnerability, pupils
from .cases import CaseError, _add, _open_case, _text
from .chronology import describes

ROLES = {"subject": "Child at risk", "alleged_perpetrator": "Alleged perpetrator",
         "witness": "Witness", "reporter": "Told us about it"}
ADDED, ROLE_CHANGED, REMOVED = "pupil_added", "pupil_role_changed", "pupil_removed"


def _role(role):
    if role not in ROLES:
        raise CaseError("Choose the pupil's role: " + ", ".join(ROLES.values()) + ".")
    return role


def _current_row(db, report_id, pupil_id):
    return next(db.query("SELECT * FROM case_pupils WHERE report_id = ? AND pupil_id = ? "
                         "AND removed_entry IS NULL", [report_id, pupil_id]), None)


def _pupil(db, pupil_id):
    pupil = pupils.find(db, pupil_id) if pupil_id else None
    if pupil is None:
        raise CaseError(f"There is no pupil {pupil_id} on record.", 404 if pupil_id else 400)
    return pupil


def _first_subject(db, report_id):
    """reports.pupil_id: the child at risk added first, of those still on the case."""
    row = next(db.query("SELECT pupil_id FROM case_pupils WHERE report_id = ? AND role = "
                        "'subject' AND removed_entry IS NULL ORDER BY id LIMIT 1",
                        [report_id]), None)
    return row["pupil_id"] if row else None


def _who(pupil, role):
    return {"pupil_id": pupil["id"], "name": pupil["name"], "year_group": pupil["year_group"],
            "upn": pupil["upn"], "role": role, "role_label": ROLES[role]}


def add_pupil(db, report_id, user, now, pupil_id, role, school=None):
    """Put a pupil on record on the case in a role; a vulnerable child is said so plainly
    (an entry, and the due time brought forward where the rules say). Returns the last
    entry's (id, notification)."""
    with writing(db):
        report = _open_case(db, report_id)
        pupil, role = _pupil(db, pupil_id), _role(role)
        if _current_row(db, report_id, pupil["id"]):
            raise CaseError(f"{pupil['name']} is already on this case: change their role "
                            "instead.", 409)
        table = db["case_pupils"]
        table.insert({"report_id": report_id, "pupil_id": pupil["id"], "role": role,
                      "added_at": now.isoformat()})
        row_id = table.last_pk
        made = _add(db, report, ADDED, user, now, _who(pupil, role),
                    changes={"pupil_id": _first_subject(db, report_id)})
        db["case_pupils"].update(row_id, {"added_entry": made[0]})
        return vulnerability.record(db, report, pupil, role, ROLES[role], due_at(db, report), user, now, school) or made


def change_role(db, report_id, user, now, pupil_id, role, school=None):
    """The pupil's role on this case becomes `role` (the earlier one stays in the record)."""
    with writing(db):
        report = _open_case(db, report_id)
        pupil, role = _pupil(db, pupil_id), _role(role)
        row = _current_row(db, report_id, pupil["id"])
        if row is None:
            raise CaseError(f"{pupil['name']} is not on this case.", 409)
        if row["role"] == role:
            raise CaseError(f"{pupil['name']} is already {ROLES[role].lower()} on this case.",
                            409)
        db["case_pupils"].update(row["id"], {"role": role})
        detail = dict(_who(pupil, role), was=row["role"], was_label=ROLES[row["role"]])
        made = _add(db, report, ROLE_CHANGED, user, now, detail,
                    changes={"pupil_id": _first_subject(db, report_id)})
        db["case_pupils"].update(row["id"], {"role_entry": made[0]})
        if role != "subject":  # the warning was given when they were added
            return made
        return vulnerability.record(db, report, pupil, role, ROLES[role], due_at(db, report), user, now, school) or made


def remove_pupil(db, report_id, user, now, pupil_id, reason):
    """Take a pupil off the case: an entry correcting the one that added them, with why."""
    with writing(db):
        report = _open_case(db, report_id)
        pupil = _pupil(db, pupil_id)
        reason = _text(reason, "Why the pupil is taken off the case")
        row = _current_row(db, report_id, pupil["id"])
        if row is None:
            raise CaseError(f"{pupil['name']} is not on this case.", 409)
        db["case_pupils"].update(row["id"], {"removed_entry": -1})  # off the case now
        made = _add(db, report, REMOVED, user, now,
                    dict(_who(pupil, row["role"]), reason=reason),
                    corrects=row["added_entry"],
                    changes={"pupil_id": _first_subject(db, report_id)})
        db["case_pupils"].update(row["id"], {"removed_entry": made[0]})
        return made


def on_case(db, report_id):
    """The pupils on the case now, in the order they were added, each with its role."""
    rows = list(db.query("SELECT * FROM case_pupils WHERE report_id = ? AND removed_entry "
                         "IS NULL ORDER BY id", [report_id]))
    return [dict(pupils.find(db, r["pupil_id"]), role=r["role"], role_label=ROLES[r["role"]])
            for r in rows]


def roles_of(db, pupil_id):
    """{report id: role} for every case the pupil is on now (and older single links)."""
    roles = {r["report_id"]: r["role"] for r in db.query(
        "SELECT report_id, role FROM case_pupils WHERE pupil_id = ? AND removed_entry IS NULL",
        [pupil_id])}
    for r in db.query("SELECT id FROM reports WHERE pupil_id = ?", [pupil_id]):
        roles.setdefault(r["id"], "subject")  # e.g. a case brought in by a transfer file
    return roles


def due_at(db, report):
    """When the case is due to be acknowledged: its own due time, or an earlier one
    brought forward for a vulnerable child."""
    row = next(db.query("SELECT due_at FROM case_due WHERE report_id = ?", [report["id"]]),
               None)
    if row is None:
        return report["due_at"]
    return min(report["due_at"], row["due_at"], key=datetime.fromisoformat)


def _name(d):
    year = f" ({d['year_group']})" if d.get("year_group") else ""
    return f"{d.get('name', '')}{year}"


@describes(ADDED)
def _added(d):
    return f"Pupil added: {d.get('role_label', '')}", _name(d)


@describes(ROLE_CHANGED)
def _role_changed(d):
    return (f"Pupil's role changed to {d.get('role_label', '')}",
            f"{_name(d)}, was {d.get('was_label', '')}")


@describes(REMOVED)
def _removed(d):
    return (f"Pupil taken off the case ({d.get('role_label', '')})",
            f"{_name(d)}. Why: {d.get('reason', '')}")


def link(db, report_id, user, now, pupil_id=None, name="", year_group="", role="subject",
         details=None, allow_duplicate=False):
    """Add a pupil on record, or a new one, to a case in a role (case_pupils.add_pupil)."""
    with writing(db):
        if not pupil_id:
            pupil_id = pupils.create(db, user, now, name, year_group, details, allow_duplicate)
        return add_pupil(db, report_id, user, now, pupil_id, role)


def cases_for(db, pupil_id):
    """The pupil's cases, oldest first, each with the pupil's `role` in it, and any
    duplicates merged into them (in the same role)."""
    roles = roles_of(db, pupil_id)
    if not roles:
        return []
    marks = ", ".join("?" * len(roles))
    rows = db.query(f"SELECT * FROM reports WHERE id IN ({marks}) OR merged_into IN "
                    f"({marks}) ORDER BY created_at, id", [*roles, *roles])
    return [dict(row, role=roles.get(row["id"]) or roles.get(row["merged_into"]))
            for row in rows]
