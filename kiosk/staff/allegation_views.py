"""Case page routes and panels for allegations about staff (safeguarding/allegations.py)."""
from flask import request

from ..accounts.users import CHAIR_ROLE, ROLE_NAMES, display_name, list_users
from ..safeguarding import allegations, cases
from . import bp
from .auditing import now
from .auth import reader_required
from .case_panels import register
from .case_views import _act, _number
from ..db import get_db


@bp.post("/reports/<int:report_id>/about-staff")
@reader_required
def mark_about_staff(user, report_id):
    """Mark the case as about a member of staff (chosen by account)."""
    return _act(report_id, allegations.KIND, lambda: allegations.mark_about_staff(
        get_db(), report_id, user, now(), _number("staff_user_id"), request.form.get("reason")))


@bp.post("/reports/<int:report_id>/chair-sign-off")
@reader_required
def chair_sign_off(user, report_id):
    """The chair of governors signs off a decision not to refer on a case about the head."""
    return _act(report_id, "sign_off", lambda: allegations.chair_sign_off(
        get_db(), report_id, user, now(), request.form.get("comment", "")))


@register("about_staff", "staff/_case_allegation.html", order=5, where="facts")
def _about_staff(db, row, user):
    """Who the case names and who it goes to, for those who may read it."""
    marks = [e for e in cases.entries(db, row["id"]) if e["kind"] == allegations.KIND]
    if not marks:
        return None
    return {"marks": [dict(e["detail"], role_name=ROLE_NAMES.get(e["detail"]["staff_role"], ""),
                           entry=e["id"]) for e in marks]}


@register("about_staff_work", "staff/_case_allegation_work.html", order=30, where="work")
def _about_staff_work(db, row, user):
    """The form to name a member of staff; the chair's sign-off on a case about the head."""
    if row["status"] in ("closed", "merged", "new"):
        return None
    named = allegations.named_in(db, row["id"])
    staff = [{"id": u["id"], "name": display_name(u), "role": ROLE_NAMES.get(u["role"], "")}
             for u in list_users(db) if u["active"] and u["role"] != CHAIR_ROLE
             and u["id"] != user["id"] and u["id"] not in named]
    chair_signs = (user["role"] == CHAIR_ROLE and allegations.about_head(db, row["id"])
                   and cases.sign_off_state(db, row["id"]) == "needed")
    return {"staff": staff if user["role"] in allegations.MARKERS else [],
            "chair_signs": chair_signs}


@register("about_staff_dashboard", "staff/_case_allegation_dashboard.html", order=5,
          where="dashboard")
def _dashboard(db, row, user):
    """Open cases about staff this person may read (the head's and the chair's to act on)."""
    found = allegations.open_cases_for(db, user)
    return {"cases": found} if found else None


from . import referral_views  # noqa: E402,F401  (immediate referral: routes and panels)
