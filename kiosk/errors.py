"""Plain-words errors: JSON for the API, a symbol, words and speech for pupils; and JSON
bodies bounded before they are parsed, so bad input gets a plain 400, never a traceback."""
from flask import abort, current_app, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from . import jsonlimits
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


MAX_JSON_DEPTH = jsonlimits.MAX_DEPTH
TOO_DEEP = "That request is nested too deeply to be read."
json_depth = jsonlimits.depth


def bound_json():
    """Refuse a JSON body nested deeper than any real request before anything parses it.

    Its size is bounded already: MAX_CONTENT_LENGTH answers 413 for a longer body."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
        return None
    if json_depth(request.get_data(cache=True), MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        abort(400, TOO_DEEP)
    return None


def handle_unexpected(exc):
    if isinstance(exc, RecursionError):  # input nested past the guard's reach
        return _respond(400, TOO_DEEP)
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
    app.before_request(bound_json)
