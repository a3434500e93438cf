"""Case page routes and panels for immediate referral (safeguarding/referral.py)."""
from flask import request

from ..safeguarding import referral
from . import bp
from .auditing import now
from .auth import reader_required
from .case_panels import register
from .case_views import _act, _number
from ..db import get_db


@bp.post("/reports/<int:report_id>/referral/reason")
@reader_required
def not_referring(user, report_id):
    """The DSL's reason for not referring a case that met the criteria."""
    return _act(report_id, referral.NOT_REFERRING, lambda: referral.record_not_referring(
        get_db(), report_id, user, now(), request.form.get("reason")))


@bp.post("/reports/<int:report_id>/referral/sign-off")
@reader_required
def sign_off_not_referring(user, report_id):
    """The head signs off one reason for not referring, by its entry number."""
    return _act(report_id, referral.SIGNED_OFF, lambda: referral.sign_off_not_referring(
        get_db(), report_id, user, now(), _number("entry"), request.form.get("comment", "")))


@register("referral", "staff/_case_referral.html", order=1, where="facts")
def _warning(db, row, user):
    """A plain warning on every case that met the criteria, with where it stands."""
    return referral.state(db, row)


@register("referral_work", "staff/_case_referral_work.html", order=10, where="work")
def _forms(db, row, user):
    """The DSL's "not referring" form and the head's sign-off, while the case is open."""
    state = referral.state(db, row)
    if state is None or state["referred"] or row["status"] in ("closed", "merged", "new"):
        return None
    return dict(state, writes_reason=user["role"] in referral.DSL_TEAM,
                signs=referral.may_sign(db, row, user))
