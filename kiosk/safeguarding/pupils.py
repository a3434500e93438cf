"""Named pupils, so one child's cases can be read together as a chronology."""
from .cases import CaseError, _add, _open_case, _text
from ..db import writing

MAX_NAME = 80


def find(db, pupil_id):
    return next(db.query("SELECT * FROM pupils WHERE id = ?", [pupil_id]), None)


def search(db, text, limit=20):
    """Pupils whose name contains `text`, for the link form."""
    pattern = "%" + text.strip().replace("%", "").replace("_", "") + "%"
    return list(db.query("SELECT * FROM pupils WHERE name LIKE ? ORDER BY name LIMIT ?",
                         [pattern, limit]))


def link(db, report_id, user, now, pupil_id=None, name="", year_group=""):
    """Link a case to a pupil already on record, or to a new one by name and year group."""
    with writing(db):
        report = _open_case(db, report_id)
        if pupil_id:
            pupil = find(db, pupil_id)
            if pupil is None:
                raise CaseError(f"There is no pupil {pupil_id} on record.")
        else:
            name = _text(name, "The pupil's name")
            if len(name) > MAX_NAME:
                raise CaseError(f"The pupil's name is too long: at most {MAX_NAME} characters.")
            year_group = _text(year_group, "The year group", required=False)[:20]
            table = db["pupils"]
            table.insert({"name": name, "year_group": year_group,
                          "created_at": now.isoformat(), "created_by": user["id"]})
            pupil = find(db, table.last_pk)
        if report["pupil_id"] == pupil["id"]:
            raise CaseError(f"This case is already linked to {pupil['name']}.", 409)
        return _add(db, report, "linked_pupil", user, now,
                    {"pupil_id": pupil["id"], "name": pupil["name"],
                     "year_group": pupil["year_group"]}, changes={"pupil_id": pupil["id"]})


def cases_for(db, pupil_id):
    """The pupil's cases, oldest first, with any duplicates merged into them."""
    return list(db.query(
        "SELECT * FROM reports WHERE pupil_id = ? OR merged_into IN "
        "(SELECT id FROM reports WHERE pupil_id = ?) ORDER BY created_at, id",
        [pupil_id, pupil_id]))
