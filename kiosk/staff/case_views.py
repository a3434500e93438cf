"""Case actions from the report page: each is checked by the domain, audited and pushed live."""
from flask import abort, flash, redirect, request, url_for

from ..safeguarding import case_pupils, cases
from .. import notify
from ..db import get_db, writing
from ..services import services
from . import bp
from .auditing import log, now, refused
from .auth import current_user, reader_required
from .views import render_case


def _number(name):
    value = request.form.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise cases.CaseError(f"'{name}' must be a number.")
    return int(value)


def _act(report_id, action, do):
    """Run one case action; on refusal show the case again with the reason, and log it.

    The action, its seal and its audit entry are one transaction: both are kept, or
    neither (a crash between them can no longer leave an entry nobody audited)."""
    try:
        with writing(get_db()):
            entry_id, notification = do()
            log(f"case.{action}", f"report:{report_id}", {"entry": entry_id})
    except cases.CaseError as exc:
        refused(str(exc), f"report:{report_id}")
        if exc.status == 404:
            abort(404, str(exc))
        flash(str(exc))
        return render_case(current_user(), report_id, status=exc.status)
    notify.push(services().broker, notification)
    return redirect(url_for("staff.report", report_id=report_id) + f"#entry-{entry_id}")


@bp.post("/reports/<int:report_id>/assign")
@reader_required
def assign_case(user, report_id):
    return _act(report_id, "assigned", lambda: cases.assign(
        get_db(), report_id, user, now(), _number("owner_id")))


@bp.post("/reports/<int:report_id>/notes")
@reader_required
def add_note(user, report_id):
    return _act(report_id, "note", lambda: cases.add_note(
        get_db(), report_id, user, now(), request.form.get("text"), _number("corrects")))


@bp.post("/reports/<int:report_id>/decisions")
@reader_required
def record_decision(user, report_id):
    return _act(report_id, "decision", lambda: cases.record_decision(
        get_db(), report_id, user, now(), request.form.get("decision"),
        request.form.get("reason"), _number("corrects"), fields=_decision_fields()))


def _decision_fields():
    """The chosen decision's own fields, sent as "<decision>.<field>" (several decisions
    may ask for a field of the same name, such as a crime reference)."""
    prefix = request.form.get("decision", "") + "."
    return {key[len(prefix):]: value for key, value in request.form.items()
            if key.startswith(prefix)}


@bp.post("/reports/<int:report_id>/sign-off")
@reader_required
def sign_off(user, report_id):
    """Only the head may sign off; anyone else is refused by the case itself, and logged."""
    return _act(report_id, "sign_off", lambda: cases.sign_off(
        get_db(), report_id, user, now(), request.form.get("comment", "")))


@bp.post("/reports/<int:report_id>/close")
@reader_required
def close_case(user, report_id):
    return _act(report_id, "closed", lambda: cases.close(
        get_db(), report_id, user, now(), request.form.get("summary")))


@bp.post("/reports/<int:report_id>/pupil")
@reader_required
def link_pupil(user, report_id):
    """Add a pupil on record, or a new one, to the case in a role (the child at risk
    unless another is chosen). A new pupil like one on record needs "create anyway"."""
    form = request.form
    details = {"upn": form.get("upn", "").strip().upper(),
               "date_of_birth": form.get("date_of_birth", "").strip()}
    return _act(report_id, "pupil_added", lambda: case_pupils.link(
        get_db(), report_id, user, now(), _number("pupil_id"), form.get("name", ""),
        form.get("year_group", ""), form.get("role") or "subject", details,
        allow_duplicate=form.get("create_anyway") == "yes"))


@bp.post("/reports/<int:report_id>/merge")
@reader_required
def merge_case(user, report_id):
    """Merge this report, a duplicate, into the case given."""
    return _act(report_id, "merged", lambda: cases.merge(
        get_db(), report_id, _number("into"), user, now(), request.form.get("reason")))
