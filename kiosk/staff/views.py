"""The DSL dashboard and case pages."""
import json

from flask import (abort, current_app, jsonify, make_response, redirect, render_template,
                   request, url_for)

from ..safeguarding import allegations, cases, pupils
from .. import doctor, notify
from ..safeguarding.chronology import present_entries
from ..db import get_db, writing
from ..safeguarding.reports import acknowledge, get_report, summary
from ..services import services
from ..accounts.users import READER_ROLES, ROLE_NAMES, TEAM_ROLES, get_user, list_users
from . import board, bp
from .alert_screen import keep_alerting
from .case_panels import panels_for
from .auditing import log, now
from .auth import login_required, login_state, reader_required

CHAIN_ROLES = ("dsl", "head")  # see the doctor's banner: they can get the gaps fixed


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


def _timezone():
    return current_app.config["SCHOOL_DAY"]["timezone"]


@bp.get("/")
@login_required
def dashboard(user):
    """The live dashboard for the DSL team and the head; other roles start where their work is.

    The browser also keeps an alert-screen cookie, so the page goes on sounding
    content-free alerts after this login ends (alert_screen.py)."""
    if user["role"] == "it":
        return redirect(url_for("staff.admin_users"))
    if user["role"] not in READER_ROLES:
        return redirect(url_for("staff.my_concerns"))
    db = get_db()
    with writing(db):
        log("dashboard.viewed")
    page = dict(board.first_page(db), timezone=_timezone(), role=user["role"],
                sign_off_title=board.sign_off_title(user))
    chain_gaps = doctor.dashboard_gaps(current_app, db) if user["role"] in CHAIN_ROLES else []
    response = make_response(render_template("staff/dashboard.html", user=user, mode="staff",
                                             page=page, chain_gaps=chain_gaps,
                                             dashboard_panels=panels_for(
                                                 db, None, user, "dashboard")))
    if user["role"] not in TEAM_ROLES:  # the chair hears of cases about the head only
        return response
    return keep_alerting(response, db, user, login_state().session_id)


def render_case(user, report_id, status=200):
    """The case page: what the pupil said, the record, and the actions the case allows now."""
    db = get_db()
    row = get_report(db, report_id)
    if row is None:
        abort(404, f"There is no report {report_id}.")
    owner = get_user(db, row["owner_id"]) if row["owner_id"] else None
    reporter = get_user(db, row["reported_by"]) if row["reported_by"] else None
    named = set(allegations.named_in(db, report_id))  # never offered their own case
    readers = [u for u in list_users(db)
               if u["role"] in TEAM_ROLES and u["active"] and u["id"] not in named]
    return render_template(
        "staff/report.html", user=user, report=summary(row), row=row, words=row["words"],
        words_source=row["words_source"], name=row["name"], groups=_grouped_choices(row),
        entries=present_entries(db, report_id), owner=owner, reporter=reporter,
        pupil=pupils.find(db, row["pupil_id"]) if row["pupil_id"] else None,
        readers=readers, decisions=cases.DECISIONS.values(), role_names=ROLE_NAMES,
        sign_off=cases.sign_off_state(db, report_id),
        language=services().content.languages.get(row["language"] or "en"),
        timezone=_timezone(), facts_panels=panels_for(db, row, user, "facts"),
        work_panels=panels_for(db, row, user, "work")), status


@bp.get("/reports/<int:report_id>")
@reader_required
def report(user, report_id):
    db = get_db()
    if get_report(db, report_id) is not None:
        with writing(db):
            log("report.viewed", f"report:{report_id}")
    return render_case(user, report_id)


@bp.post("/reports/<int:report_id>/acknowledge")
@reader_required
def acknowledge_report(user, report_id):
    """Acknowledge; every open dashboard hears of it. A form post or a fetch call."""
    db = get_db()
    try:
        with writing(db):
            notification = acknowledge(db, report_id, user["id"], now())
            if notification is not None:
                log("case.acknowledged", f"report:{report_id}")
    except LookupError:
        abort(404, f"There is no report {report_id}.")
    notify.push(services().broker, notification)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(status="acknowledged")
    return redirect(url_for("staff.report", report_id=report_id))


@bp.get("/api/notifications")
@reader_required
def notifications_since(user):
    """What a dashboard missed: notifications after ?since=<id>, oldest first, 500 at a
    time; while "more" is true, ask again from the last id."""
    try:
        cursor = int(request.args.get("since", "0"))
    except ValueError:
        abort(400, "since must be a notification number")
    return jsonify(notify.page(get_db(), cursor))
