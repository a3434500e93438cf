"""The DSL dashboard and report pages."""
import json

from flask import abort, current_app, jsonify, redirect, render_template, request, url_for

from .. import notify
from ..db import get_db
from ..reports import acknowledge, events_for, get_report, open_reports, summary
from ..services import services
from . import bp
from .auth import reader_required


def _symbol_url(concept):
    found = services().symbols.locate(concept)
    return url_for("pupil.symbol", pack=found[0], file_name=found[1]) if found else ""


def _grouped_choices(report):
    """The pupil's choices grouped by question, each with the symbol they saw."""
    groups = {}
    for choice in json.loads(report["choices"]):
        groups.setdefault(choice["question"], []).append(
            dict(choice, symbol=_symbol_url(choice["concept"])))
    return groups


@bp.get("/")
@reader_required
def dashboard(user):
    db = get_db()
    return render_template(
        "staff/dashboard.html", user=user,
        reports=[summary(r) for r in open_reports(db)],
        cursor=notify.latest_id(db),
        timezone=current_app.config["SCHOOL_DAY"]["timezone"])


@bp.get("/reports/<int:report_id>")
@reader_required
def report(user, report_id):
    row = get_report(get_db(), report_id)
    if row is None:
        abort(404)
    return render_template(
        "staff/report.html", user=user, report=summary(row), words=row["words"],
        words_source=row["words_source"],
        name=row["name"], groups=_grouped_choices(row), events=events_for(get_db(), report_id),
        timezone=current_app.config["SCHOOL_DAY"]["timezone"])


@bp.post("/reports/<int:report_id>/acknowledge")
@reader_required
def acknowledge_report(user, report_id):
    """Acknowledge; every open dashboard hears of it. A form post or a fetch call."""
    try:
        notification = acknowledge(get_db(), report_id, user["id"],
                                   current_app.config["CLOCK"]())
    except LookupError:
        abort(404)
    notify.push(services().broker, notification)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(status="acknowledged")
    return redirect(url_for("staff.report", report_id=report_id))


@bp.get("/api/notifications")
@reader_required
def notifications_since(user):
    """What a dashboard missed: notifications after ?since=<id>, oldest first."""
    try:
        cursor = int(request.args.get("since", "0"))
    except ValueError:
        abort(400, "since must be a notification number")
    return jsonify(notifications=notify.since(get_db(), cursor))
