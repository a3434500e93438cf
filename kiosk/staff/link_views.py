"""Case page routes and panels: reopening, related cases, and the DSL's categories
(safeguarding/case_links.py and safeguarding/categories.py)."""
from flask import jsonify, request

from ..db import get_db
from ..safeguarding import allegations, case_links, categories
from . import bp
from .auditing import now
from .auth import reader_required
from .case_panels import register
from .case_views import _act, _number

WORKING = ("closed", "merged", "new")  # no new work on these


@bp.post("/reports/<int:report_id>/reopen")
@reader_required
def reopen_case(user, report_id):
    return _act(report_id, case_links.REOPENED, lambda: case_links.reopen(
        get_db(), report_id, user, now(), request.form.get("reason")))


@bp.post("/reports/<int:report_id>/links")
@reader_required
def link_case(user, report_id):
    """Link this case to a related one, named by its number."""
    return _act(report_id, case_links.LINKED, lambda: case_links.link(
        get_db(), report_id, _number("other"), user, now(), request.form.get("reason")))


@bp.post("/reports/<int:report_id>/links/remove")
@reader_required
def unlink_case(user, report_id):
    return _act(report_id, case_links.UNLINKED, lambda: case_links.unlink(
        get_db(), report_id, _number("other"), user, now(), request.form.get("reason")))


@bp.post("/reports/<int:report_id>/categories")
@reader_required
def set_case_categories(user, report_id):
    """The case's categories become exactly the boxes ticked."""
    return _act(report_id, categories.KIND, lambda: categories.set_categories(
        get_db(), report_id, user, now(), request.form.getlist("category"),
        request.form.get("reason", "")))


@bp.get("/api/reports/<int:report_id>/categories")
@reader_required
def case_categories(user, report_id):
    """The codes set on one case now, for a dashboard row told its categories changed."""
    return jsonify(categories=[c["code"] for c in categories.current(get_db(), report_id)])


@register("case_links", "staff/_case_links.html", order=30, where="facts")
def _links(db, row, user):
    """The related cases open to this person, and the forms to link and unlink."""
    shown = allegations.visible(db, user, case_links.links(db, row["id"]))
    return {"links": shown, "can_change": row["status"] not in WORKING}


@register("case_reopen", "staff/_case_links_reopen.html", order=90, where="work")
def _reopen(db, row, user):
    return {} if row["status"] == "closed" else None


@register("case_categories", "staff/_case_categories.html", order=20, where="facts")
def _categories(db, row, user):
    on_case = categories.current(db, row["id"])
    codes = {c["code"] for c in on_case}
    return {"on_case": on_case, "codes": codes, "choices": categories.catalogue(),
            "can_change": row["status"] not in WORKING}


@register("categories_filter", "staff/_case_categories_dashboard.html", order=90,
          where="dashboard")
def _filter(db, row, user):
    return {"choices": categories.catalogue()}
