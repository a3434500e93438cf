"""Records out of the system: chronologies (page and PDF), pupils, counts, the audit log.

Every export is audited: what, for which case or pupil, by whom.
"""
from flask import abort, current_app, make_response, render_template, request, url_for

from .. import audit
from ..safeguarding import case_pupils, exports as export, pupil_roles, pupils
from ..safeguarding.chronology import chronology
from ..db import get_db, writing
from ..safeguarding.reports import get_report
from . import bp
from .auditing import log, now
from .auth import reader_required, roles_required

AUDIT_READERS = ("dsl", "head")


def _school():
    cfg = current_app.config
    return cfg.get("SCHOOL_NAME") or "", cfg["SCHOOL_DAY"]["timezone"]


def _case(user, report_id):
    db = get_db()
    report = get_report(db, report_id)
    if report is None:
        abort(404, f"There is no case {report_id}.")
    school, tz = _school()
    return chronology(db, f"Case {report_id} chronology", [report], user, now(), school, tz)


def _pupil(user, pupil_id):
    db = get_db()
    pupil = pupils.find(db, pupil_id)
    if pupil is None:
        abort(404, f"There is no pupil {pupil_id} on record.")
    school, tz = _school()
    found = case_pupils.cases_for(db, pupil_id)
    record = export.present(chronology(db, f"Chronology for {pupil['name']}", found, user,
                                       now(), school, tz, pupil=pupil))
    return pupil_roles.add_to(db, record, pupil, found)


def _page(record, action, target, pdf_url, user):
    with writing(get_db()):
        log(action, target)
    return render_template("staff/chronology.html", user=user,
                           chronology=export.present(record), pdf_url=pdf_url)


def _pdf(record, action, target, file_name):
    body = export.chronology_pdf(record)
    with writing(get_db()):
        log(action, target, {"bytes": len(body)})
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{file_name}"'
    response.headers["Cache-Control"] = "no-store"  # no copy left in a shared browser's cache
    return response


@bp.get("/reports/<int:report_id>/chronology")
@reader_required
def case_chronology(user, report_id):
    return _page(_case(user, report_id), "export.printable", f"report:{report_id}",
                 url_for("staff.case_chronology_pdf", report_id=report_id), user)


@bp.get("/reports/<int:report_id>/chronology.pdf")
@reader_required
def case_chronology_pdf(user, report_id):
    return _pdf(_case(user, report_id), "export.pdf", f"report:{report_id}",
                f"case-{report_id}-chronology.pdf")


@bp.get("/pupils")
@reader_required
def pupil_search(user):
    query = request.args.get("q", "").strip()[:80]
    found = pupils.search(get_db(), query) if query else []
    if query:
        with writing(get_db()):  # who looked for pupils, and how many matched; not the name
            log("pupils.searched", "pupils", {"matches": len(found)})
    return render_template("staff/pupils.html", user=user, query=query, found=found)


@bp.get("/pupils/<int:pupil_id>")
@reader_required
def pupil_chronology(user, pupil_id):
    return _page(_pupil(user, pupil_id), "pupil.chronology_viewed", f"pupil:{pupil_id}",
                 url_for("staff.pupil_chronology_pdf", pupil_id=pupil_id), user)


@bp.get("/pupils/<int:pupil_id>/chronology.pdf")
@reader_required
def pupil_chronology_pdf(user, pupil_id):
    return _pdf(_pupil(user, pupil_id), "export.pdf", f"pupil:{pupil_id}",
                f"pupil-{pupil_id}-chronology.pdf")


@bp.get("/exports")
@reader_required
def exports(user):
    """The exports page, with a chart of the last year's counts as governors see them."""
    rows = export.counts(get_db(), tz=_school()[1])
    return render_template("staff/exports.html", user=user, chart=export.chart(rows))


@bp.get("/exports/counts.csv")
@reader_required
def counts_csv(user):
    """Anonymous counts by month, category and urgency, for governors."""
    start, end = request.args.get("from") or None, request.args.get("to") or None
    try:
        rows = export.counts(get_db(), start, end, _school()[1])
    except ValueError as exc:
        abort(400, str(exc))
    with writing(get_db()):
        log("export.counts", "reports", {"from": start, "to": end, "rows": len(rows)})
    response = make_response(export.counts_csv(rows))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="worry-counts.csv"'
    return response


@bp.get("/audit")
@roles_required(*AUDIT_READERS)
def audit_log(user):
    """The newest audit entries and whether the chain is intact."""
    db = get_db()
    before = request.args.get("before", "")
    entries = audit.entries(db, before=int(before) if before.isdigit() else None)
    verdict = audit.verify(db, full=False)  # from the last checkpoint (a full check)
    with writing(db):
        log("audit.viewed")
    return render_template("staff/audit.html", user=user, entries=entries, verdict=verdict)
