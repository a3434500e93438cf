"""Staff concerns: any member of staff logs what a pupil told them; it goes the pupil's way.

The form asks the kiosk's own questions (from content/), so the same urgency rules decide
how soon the DSL must see it, and the same live alert goes out. Staff see only the
concerns they logged, and only whether they have been picked up: never the DSL's record.
"""
import uuid

from flask import current_app, flash, redirect, render_template, request, url_for

from .. import notify
from ..safeguarding import outbox
from ..content.loading import ANSWER_KINDS
from ..db import get_db, writing
from ..safeguarding.reports import BadReport, Sender, parse_submission, store_report
from ..services import services
from . import bp
from .auditing import log, now
from .auth import login_required

MAX_HAPPENED = 200
STATUS_WORDS = {"new": "Sent: waiting for the DSL", "acknowledged": "Seen by the DSL team",
                "closed": "Seen by the DSL team", "merged": "Seen by the DSL team"}


def _questions(content):
    return [page for page in content.pages.values() if page.kind in ANSWER_KINDS]


def _payload(form, content):
    """The form as the kiosk would send it, so one parser checks both."""
    answers = {page.id: form.getlist(page.id) for page in _questions(content)
               if form.getlist(page.id)}
    return {"client_id": form.get("client_id", ""), "answers": answers,
            "words": form.get("words", ""), "name": form.get("pupil", ""), "language": "en"}


def _check_staff_fields(form):
    if not form.get("pupil", "").strip():
        raise BadReport("Give the pupil's name: the DSL needs to know who to talk to.")
    if not form.get("words", "").strip():
        raise BadReport("Write down what the pupil said, in their own words.")
    happened = form.get("happened", "").strip()
    if not happened:
        raise BadReport("Say when it happened, even roughly (\"last night\", \"Monday\").")
    if len(happened) > MAX_HAPPENED:
        raise BadReport(f"'When' is too long: at most {MAX_HAPPENED} characters.")
    return happened


@bp.route("/concerns/new", methods=("GET", "POST"))
@login_required
def new_concern(user):
    svc = services()
    if request.method == "GET":
        return render_template("staff/concern_form.html", user=user, form={}, chosen={},
                               questions=_questions(svc.content), client_id=str(uuid.uuid4()))
    try:
        happened = _check_staff_fields(request.form)
        submission = parse_submission(_payload(request.form, svc.content), svc.content)
    except BadReport as exc:
        flash(str(exc)[0].upper() + str(exc)[1:])
        questions = _questions(svc.content)
        return render_template("staff/concern_form.html", user=user, form=request.form,
                               chosen={p.id: request.form.getlist(p.id) for p in questions},
                               questions=questions,
                               client_id=request.form.get("client_id") or str(uuid.uuid4())), 400
    db = get_db()
    with writing(db):
        report, notification = store_report(
            db, svc.reporting, submission, now(),
            Sender(source="staff", reported_by=user["id"], happened=happened))
        if notification is not None:
            log("concern.logged", f"report:{report['id']}")
    notify.push(svc.broker, notification)
    outbox.wake()  # an urgent concern's email leaves now, not at the next look
    flash(f"Thank you. Your concern is with the DSL team (reference {report['id']}).")
    return redirect(url_for("staff.my_concerns"))


@bp.get("/concerns")
@login_required
def my_concerns(user):
    """The concerns this member of staff logged: when, and whether the DSL has picked it up."""
    rows = get_db().query(
        "SELECT id, created_at, status FROM reports WHERE reported_by = ? "
        "ORDER BY created_at DESC", [user["id"]])
    concerns = [dict(r, status_words=STATUS_WORDS.get(r["status"], "")) for r in rows]
    return render_template("staff/concerns.html", user=user, concerns=concerns,
                           timezone=current_app.config["SCHOOL_DAY"]["timezone"])
