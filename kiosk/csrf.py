"""CSRF protection for staff forms and fetch calls: a per-session token, checked on POST."""
import hmac
import secrets

from flask import abort, request, session


def csrf_token():
    """The session's token, made on first use; templates put it in every form."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf():
    """Refuse a state-changing request that does not carry this session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, "This form has expired or did not come from this site. Reload and try again.")
