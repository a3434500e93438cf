"""Staff concerns: any member of staff logs what they were told or saw, in staff words.

The form (content/concern_form.toml) asks how they know, the child's words as said, when
it happened and when they were told, what they did, whether the pupil is in immediate
danger (which sets the urgency through the same rules as a kiosk report), the pupil, and
a body map. Staff see only the concerns they logged, and only whether they have been
picked up: never the DSL's record.
"""
import uuid
from zoneinfo import ZoneInfo

from flask import current_app, flash, redirect, render_template, request, url_for

from .. import notify
from ..db import get_db, writing
from ..safeguarding import body_map, categories, concern_form, outbox, pupils, staff_concerns
from ..safeguarding.cases import CaseError
from ..safeguarding.reports import BadReport
from ..services import services
from . import bp
from .auditing import log, now
from .auth import login_required
from .case_panels import register

STATUS_WORDS = {"new": "Sent: waiting for the DSL", "acknowledged": "Seen by the DSL team",
                "closed": "Seen by the DSL team", "merged": "Seen by the DSL team"}
MIN_SEARCH = 2  # letters before a pupil search runs: no browsing the whole list


def _zone():
    return current_app.config["SCHOOL_DAY"]["timezone"]


def _form_and_map():
    content_dir = current_app.config.get("CONTENT_DIR")
    return (concern_form.load(content_dir, services().content), body_map.load(content_dir))


def _catalogue():
    """The school's categories, where that workflow offers its list."""
    listing = getattr(categories, "catalogue", None)
    return tuple(listing()) if listing else ()


def _render(user, form, status=200, found=None):
    questions, regions = _form_and_map()
    told_default = now().astimezone(ZoneInfo(_zone())).strftime("%Y-%m-%dT%H:%M")
    return render_template(
        "staff/concern_form.html", user=user, form=form, questions=questions,
        body_map=regions, marked=set(form.getlist("body_map")) if form else set(),
        found=found, told_default=told_default, categories=_catalogue(),
        client_id=(form.get("client_id") if form else "") or str(uuid.uuid4())), status


def _find_pupils(user, form):
    """Pupils on record matching the name typed, for the form to offer (audited)."""
    text = (form.get("pupil") or "").strip()
    if len(text) < MIN_SEARCH:
        flash(f"Type at least {MIN_SEARCH} letters of the pupil's name to find them.")
        return []
    found = pupils.search(get_db(), text)
    with writing(get_db()):
        log("pupils.searched", "", {"found": len(found), "from": "concern form"})
    if not found:
        flash("No pupil on record matches that name: the name you typed will be sent.")
    return found


@bp.route("/concerns/new", methods=("GET", "POST"))
@login_required
def new_concern(user):
    if request.method == "GET":
        return _render(user, None)
    if request.form.get("find"):
        return _render(user, request.form, found=_find_pupils(user, request.form))
    questions, regions = _form_and_map()
    db = get_db()
    try:
        concern = staff_concerns.check(request.form, questions, regions, _zone(), now(),
                                       _catalogue())
        with writing(db):
            report, notifications = staff_concerns.store(
                db, services().reporting, questions, concern, user, now(), _zone())
            if notifications:
                log("concern.logged", f"report:{report['id']}")
    except (BadReport, CaseError) as exc:
        flash(str(exc)[0].upper() + str(exc)[1:])
        return _render(user, request.form, 400)
    for notification in notifications:
        notify.push(services().broker, notification)
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
                           timezone=_zone())


@register("body_map", "staff/_case_body_map.html", order=20, where="facts")
def _body_map_panel(db, row, user):
    """The marked picture, drawn from the map, named from the entry (None: no body map)."""
    marks = body_map.latest_marks(db, row["id"])
    if marks is None:
        return None
    keys = {f"{m['side']}.{m['region']}" for m in marks["marks"]}
    return {"map": body_map.load(current_app.config.get("CONTENT_DIR")), "marked": keys,
            "named": body_map.named(marks), "note": marks.get("note", "")}
