"""Attachments on a case: readers add PDF, PNG, JPEG or plain text; every view is audited.

Only the roles that read cases reach these routes (a kiosk carries no staff login at
all), and a file is sent only as the type its bytes were found to be, with headers that
stop a browser from reading it as anything else.
"""
from flask import (abort, current_app, flash, redirect, request,
                   send_file, url_for)

from .. import notify
from ..db import get_db, writing
from ..safeguarding import attachments
from ..safeguarding.cases import CaseError
from ..services import services
from . import bp
from .auditing import log, now, refused
from .auth import reader_required
from .case_panels import register
from .identity import on_a_kiosk
from .views import render_case

FORM_ROOM = 64 * 1024  # the upload's form fields and multipart framing, beside the file
# A downloaded attachment is never a page: nothing in it may run or load anything.
ATTACHMENT_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def max_bytes():
    return current_app.config.get("ATTACHMENT_MAX_BYTES", attachments.DEFAULT_MAX_BYTES)


@bp.url_value_preprocessor
def _room_for_an_upload(endpoint, values):
    """The app's body limit is sized for reports; an upload may be as large as the
    attachment limit. This runs before the form token check reads the body."""
    if endpoint == "staff.add_attachment":
        request.max_content_length = max_bytes() + FORM_ROOM


@bp.post("/reports/<int:report_id>/attachments")
@reader_required
def add_attachment(user, report_id):
    upload = request.files.get("file")
    data = upload.read(max_bytes() + 1) if upload else b""
    confirmed = request.form.get("not_indecent") == "yes"
    db = get_db()
    try:
        name, kind = attachments.check(upload.filename if upload else "", data, max_bytes(),
                                       confirmed)
        with attachments.kept_file(current_app.instance_path, data) as digest:
            with writing(db):
                entry_id, notification = attachments.add(
                    db, report_id, user, now(), name, kind, len(data), digest, confirmed)
                log("case.attachment_added", f"report:{report_id}",
                    {"entry": entry_id, "sha256": digest})
    except CaseError as exc:
        refused(str(exc), f"report:{report_id}")
        if exc.status == 404:
            abort(404, str(exc))
        flash(str(exc))
        return render_case(user, report_id, status=exc.status)
    notify.push(services().broker, notification)
    return redirect(url_for("staff.report", report_id=report_id) + f"#entry-{entry_id}")


@bp.get("/reports/<int:report_id>/attachments/<int:attachment_id>")
@reader_required
def attachment(user, report_id, attachment_id):
    """One attachment, inline when it is a picture or PDF, else as a download."""
    if on_a_kiosk():  # belt and braces: a kiosk never holds a reader's login anyway
        abort(403, "Attachments are never shown on a kiosk.")
    db = get_db()
    found = attachments.find(db, report_id, attachment_id)
    path = attachments.path_for(current_app.instance_path, found["sha256"]) if found else None
    if found is None or not path.exists():
        abort(404, "There is no such attachment on this case.")
    with writing(db):
        log("attachment.viewed", f"report:{report_id}",
            {"attachment": attachment_id, "sha256": found["sha256"]})
    response = send_file(path, mimetype=found["type"], download_name=found["name"],
                         as_attachment=found["type"] not in attachments.INLINE,
                         conditional=False, etag=False, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = ATTACHMENT_CSP
    response.headers["Cache-Control"] = "no-store, private"
    return response


@register("attachments", "staff/_case_attachments.html", order=30, where="work")
def _attachments_panel(db, row, user):
    return {"files": attachments.for_case(db, row["id"]), "types": attachments.TYPES,
            "law": attachments.LAW, "confirmation": attachments.CONFIRMATION,
            "max_kb": max_bytes() // 1024, "open": row["status"] not in ("closed", "merged"),
            "size_words": attachments.size_words}
