"""Pupils on a case (roles, vulnerability, the add form with its duplicate check) and the
school's MIS pupil list brought in from the pupils page
(safeguarding/case_pupils.py, pupils.py, mis_import.py)."""
from flask import render_template, request

from ..db import get_db, writing
from ..safeguarding import case_pupils, mis_import, pupil_vulnerability, pupils
from ..safeguarding.triage import VULNERABILITY_GUIDANCE
from . import bp
from .auditing import log, now
from .auth import reader_required, roles_required
from .case_panels import register
from .case_views import _act

CLOSED = ("closed", "merged")
IMPORTERS = ("dsl", "head")


@bp.post("/reports/<int:report_id>/pupils/<int:pupil_id>/role")
@reader_required
def change_pupil_role(user, report_id, pupil_id):
    return _act(report_id, case_pupils.ROLE_CHANGED, lambda: case_pupils.change_role(
        get_db(), report_id, user, now(), pupil_id, request.form.get("role", "")))


@bp.post("/reports/<int:report_id>/pupils/<int:pupil_id>/remove")
@reader_required
def remove_pupil(user, report_id, pupil_id):
    return _act(report_id, case_pupils.REMOVED, lambda: case_pupils.remove_pupil(
        get_db(), report_id, user, now(), pupil_id, request.form.get("reason", "")))


@bp.post("/pupils/import")
@roles_required(*IMPORTERS)
def import_pupils(user):
    """The MIS export uploaded from the pupils page: all of it kept, or none of it."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _imported(user, problems=[(0, "Choose the CSV file exported from the MIS.")])
    db = get_db()
    try:
        with writing(db):
            outcome = mis_import.bring_in(db, upload.read(mis_import.MAX_BYTES + 1), now(),
                                          user, user["email"])
            log("pupils.imported", "pupils", mis_import.audit_detail(outcome, upload.filename))
    except mis_import.ImportRefused as exc:
        with writing(db):
            log("pupils.import_refused", "pupils", {"file": upload.filename[:120],
                                                    "problems": len(exc.problems)})
        return _imported(user, problems=exc.problems, file_name=upload.filename)
    return _imported(user, outcome=outcome, file_name=upload.filename, status=200)


def _imported(user, outcome=None, problems=(), file_name="", status=400):
    return render_template("staff/pupils.html", user=user, query="", found=[],
                           outcome=outcome, problems=problems, file_name=file_name), status


@register("case_pupils", "staff/_case_pupils.html", order=10, where="facts")
def _on_case(db, row, user):
    """The pupils on the case with their roles and MIS facts, and any vulnerability."""
    shown = case_pupils.on_case(db, row["id"])
    due, reasons = pupil_vulnerability.brought_forward(db, row["id"])
    return {"pupils": shown, "roles": case_pupils.ROLES,
            "can_change": row["status"] not in CLOSED,
            "due_brought_forward": due if due and case_pupils.due_at(db, row) == due else "",
            "urgent_reasons": reasons,
            "guidance": {p["id"]: [g for f in ("send", "looked_after", "cp_plan") if p[f]
                                   for g in VULNERABILITY_GUIDANCE[f]] for p in shown}}


@register("case_pupils_add", "staff/_case_pupils_work.html", order=5, where="work")
def _add_form(db, row, user):
    """The add form, pupils found by name, and the duplicates a refused add was like."""
    if row["status"] in CLOSED:
        return None
    query = request.args.get("pupil_q", "").strip()[:80]
    found = pupils.search(db, query) if query else []
    if query:
        with writing(db):  # who looked, and how many matched; not the name
            log("pupils.searched", f"report:{row['id']}", {"matches": len(found)})
    posted = request.form if request.endpoint == "staff.link_pupil" else {}
    matches = []
    if posted.get("name") and not posted.get("pupil_id"):
        matches = pupils.duplicates(db, posted["name"], posted.get("upn", ""))
    return {"query": query, "found": found, "roles": case_pupils.ROLES, "posted": posted,
            "matches": matches, "on_case": {p["id"] for p in case_pupils.on_case(db, row["id"])}}
