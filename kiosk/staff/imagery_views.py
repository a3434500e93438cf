"""Case page routes and panel for youth-produced sexual imagery (safeguarding/imagery.py)."""
from flask import request

from ..safeguarding import imagery, imagery_record
from . import bp
from .auditing import now
from .auth import reader_required
from .case_panels import register
from .case_views import _act, _number
from ..db import get_db


def _review_answers():
    """{question id: (answer, note)} as the meeting's form sends them ("q.<id>")."""
    return {key: (request.form.get(f"q.{key}", ""), request.form.get(f"q.{key}.note", ""))
            for key, _ in imagery.QUESTIONS + imagery.CRITERIA}


@bp.post("/reports/<int:report_id>/imagery/review")
@reader_required
def imagery_review(user, report_id):
    """The initial review meeting, every question answered."""
    return _act(report_id, imagery.REVIEW, lambda: imagery.record_review(
        get_db(), report_id, user, now(), request.form.get("attended", ""), _review_answers()))


@bp.post("/reports/<int:report_id>/imagery/viewing")
@reader_required
def imagery_viewing(user, report_id):
    """The viewing record, signed by the person recording it (who viewed)."""
    return _act(report_id, imagery.VIEWING, lambda: imagery.record_viewing(
        get_db(), report_id, user, now(), request.form))


@bp.post("/reports/<int:report_id>/imagery/staff-support")
@reader_required
def imagery_staff_support(user, report_id):
    return _act(report_id, imagery.STAFF_SUPPORT, lambda: imagery.record_staff_support(
        get_db(), report_id, user, now(), request.form.get("staff", ""),
        request.form.get("support", "")))


@bp.post("/reports/<int:report_id>/imagery/device")
@reader_required
def imagery_device(user, report_id):
    """A device confiscated, switched off and locked away."""
    return _act(report_id, imagery.DEVICE_SECURED, lambda: imagery.secure_device(
        get_db(), report_id, user, now(), request.form))


@bp.post("/reports/<int:report_id>/imagery/device/handed")
@reader_required
def imagery_device_handed(user, report_id):
    """A locked-away device collected by the police."""
    return _act(report_id, imagery.DEVICE_HANDED, lambda: imagery.hand_to_police(
        get_db(), report_id, user, now(), _number("device_entry"),
        request.form.get("officer", ""), request.form.get("officer_number", ""),
        request.form.get("handed_at", "")))


@bp.post("/reports/<int:report_id>/imagery/deletion-deadline")
@reader_required
def imagery_deletion_deadline(user, report_id):
    return _act(report_id, imagery.DELETION_DEADLINE, lambda: imagery.set_deletion_deadline(
        get_db(), report_id, user, now(), request.form.get("deadline", ""),
        request.form.get("told", ""), request.form.get("reminded", "")))


@bp.post("/reports/<int:report_id>/imagery/decision-review")
@reader_required
def imagery_decision_review(user, report_id):
    """The decision reviewed: who, the outcome and why, and the next review date."""
    return _act(report_id, imagery.DECISION_REVIEWED, lambda: imagery.review_decision(
        get_db(), report_id, user, now(), _number("decision_entry"),
        request.form.get("reviewers", ""), request.form.get("outcome", ""),
        request.form.get("text", ""), request.form.get("next_review", "")))


@register("imagery", "staff/_case_imagery.html", order=40, where="work")
def _imagery(db, row, user):
    """The imagery steps on an open case; on a closed one, only what was recorded."""
    state = imagery_record.state(db, row["id"])
    writable = row["status"] not in ("closed", "merged", "new")
    if not writable and not state["started"]:
        return None
    return dict(state, writable=writable, questions=imagery.QUESTIONS,
                criteria=imagery.CRITERIA, answers=imagery.ANSWERS,
                reasons=imagery.VIEWING_REASONS, outcomes=imagery.OUTCOMES,
                held=[d for d in state["devices"] if not d["handed"]])
