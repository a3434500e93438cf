""""Get an adult" on the staff side: "I'm going", and who has a dashboard open."""
from flask import abort, jsonify, redirect, request, url_for

from .. import help_requests, notify
from ..db import get_db, writing
from ..services import services
from ..users import READER_ROLES
from . import bp, events
from .auditing import log, now
from .auth import reader_required


@bp.post("/help/<int:help_id>/acknowledge")
@reader_required
def acknowledge_help(user, help_id):
    """"I'm going": this adult goes to the kiosk; every open dashboard hears who."""
    db = get_db()
    try:
        with writing(db):
            notification = help_requests.acknowledge(db, help_id, user, now())
            if notification is not None:
                log("help.acknowledged", f"help:{help_id}")
    except LookupError:
        abort(404, f"There is no help request {help_id}.")
    notify.push(services().broker, notification)
    if request.accept_mimetypes.best == "application/json":
        shown = help_requests.payload(help_requests.get(db, help_id))
        return jsonify(status="acknowledged", by_name=shown["by_name"])
    return redirect(url_for("staff.dashboard"))


def readers_watching(db):
    """Active DSL-team accounts with a dashboard connected to this process now."""
    session_ids = sorted(set(getattr(events, "_live", {}).copy().values()))
    if not session_ids:
        return []
    marks, roles = ", ".join("?" * len(session_ids)), ", ".join("?" * len(READER_ROLES))
    return list(db.query(
        "SELECT DISTINCT u.id, u.email, u.name, u.role FROM staff_sessions s JOIN users u "
        f"ON u.id = s.user_id WHERE s.id IN ({marks}) AND u.active = 1 AND u.role IN ({roles}) "
        "ORDER BY u.id", [*session_ids, *READER_ROLES]))
