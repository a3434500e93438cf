""""Get an adult" on the staff side: "I'm going", and who has a dashboard open now."""
from flask import abort, jsonify, redirect, request, url_for

from ..safeguarding import help_requests
from .. import notify
from ..db import get_db, writing
from ..services import services
from ..accounts.users import TEAM_ROLES
from . import bp, rooms
from .auditing import log, now
from .auth import reader_required


@bp.post("/help/<int:help_id>/acknowledge")
@reader_required
def acknowledge_help(user, help_id):
    """"I'm going": this adult goes to the kiosk; every open dashboard hears who."""
    db, wants_json = get_db(), request.accept_mimetypes.best == "application/json"
    try:
        with writing(db):
            notification = help_requests.acknowledge(db, help_id, user, now())
            if notification is not None:
                log("help.acknowledged", f"help:{help_id}")
    except LookupError:
        if wants_json:  # the dashboard's button says why in its own words
            return jsonify(error=f"There is no help request {help_id}."), 404
        abort(404, f"There is no help request {help_id}.")
    notify.push(services().broker, notification)
    if wants_json:
        shown = help_requests.payload(help_requests.get(db, help_id))
        return jsonify(status="acknowledged", by_name=shown["by_name"])
    return redirect(url_for("staff.dashboard"))


def readers_watching(db):
    """Active DSL-team accounts with a dashboard, or an alert screen left sounding after
    their login ended, connected to this process now: told live by the escalation."""
    return readers(db, *rooms.held_here())


def readers(db, session_ids, screen_ids):
    """Active DSL-team accounts owning one of these login sessions or alert screens."""
    if not session_ids and not screen_ids:
        return []
    roles = ", ".join("?" * len(TEAM_ROLES))  # the chair is not told of a call for help
    return list(db.query(
        "SELECT id, email, name, role FROM users WHERE active = 1 AND role IN "
        f"({roles}) AND (id IN (SELECT user_id FROM staff_sessions WHERE id IN "
        f"({_marks(session_ids)})) OR id IN (SELECT user_id FROM alert_screens WHERE id IN "
        f"({_marks(screen_ids)}))) ORDER BY id",
        [*TEAM_ROLES, *session_ids, *screen_ids]))


def _marks(values):
    return ", ".join("?" * len(values)) or "NULL"
