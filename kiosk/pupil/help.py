""""Get an adult" from a kiosk: ask, and ask whether an adult has said they are going."""
from flask import current_app, jsonify

from ..safeguarding import help_requests, outbox
from .. import notify
from ..db import get_db
from ..services import services
from . import bp
from .enrol import enrolled_kiosk


@bp.post("/api/help")
def ask_for_help():
    """A pupil pressed "Get an adult": stored, on every dashboard, emailed to the DSL team."""
    kiosk = enrolled_kiosk()
    request, notification = help_requests.ask(get_db(), kiosk, current_app.config["CLOCK"](),
                                              current_app.config)
    if notification is None:  # pressed again moments later: staff already know
        return jsonify(status="already sent", help_id=request["id"]), 200
    notify.push(services().broker, notification)
    outbox.wake()
    return jsonify(status="sent", help_id=request["id"]), 201


@bp.get("/api/help/<int:help_id>")
def help_status(help_id):
    """Whether an adult has said "I'm going", for the kiosk that asked and no other."""
    kiosk = enrolled_kiosk()
    status = help_requests.status_for_kiosk(get_db(), help_id, kiosk["id"])
    if status is None:
        return jsonify(error=f"this kiosk has no help request {help_id}"), 404
    response = jsonify(status=status)
    response.headers["Cache-Control"] = "no-store"
    return response
