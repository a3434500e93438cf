"""Plain-words errors: JSON for the API, a symbol, words and speech for pupils."""
from flask import current_app, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from .services import services

PLAIN = {
    400: "That request could not be understood.",
    403: "You are not allowed to do that.",
    404: "There is nothing here.",
    405: "That is not allowed here.",
    413: "That is too much to send at once.",
    500: "Something went wrong on the server.",
    503: "The kiosk is not ready.",
}


def _problem_audio():
    """The spoken 'please tell an adult' message, when content is loaded."""
    svc = services()
    if svc.content is None:
        return ""
    text = svc.content.screens["problem"].say
    key = svc.speech.register([text])[text]
    return url_for("pupil.audio", key=key)


def _respond(status, message):
    if request.path.startswith(("/api/", "/staff/api/")) or request.is_json:
        return jsonify(error=message), status
    if request.path.startswith("/staff/"):
        return render_template("staff/error.html", status=status, message=message,
                               user=None), status
    return render_template("problem.html", status=status, message=message,
                           audio=_problem_audio()), status


def handle_http_error(exc):
    """Our own abort() messages are already plain; werkzeug's defaults are replaced."""
    custom = exc.description != type(exc).description
    return _respond(exc.code, exc.description if custom else PLAIN.get(exc.code, exc.name))


def handle_unexpected(exc):
    current_app.logger.exception("unhandled error")
    return _respond(500, PLAIN[500])


def refuse_without_content():
    """Invalid content: serve nothing but the reason, so no pupil gets a broken journey."""
    svc = services()
    if svc.error and request.endpoint not in ("static", "pupil.static"):
        return _respond(503, f"{PLAIN[503]} {svc.error}")
    return None


def init_app(app):
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
    app.before_request(refuse_without_content)
