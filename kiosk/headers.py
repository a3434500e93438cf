"""Security headers on every answer, no-store for anything that may hold report content,
and a session cookie marked Secure whenever the request came over HTTPS.

The pages need nothing from outside the server, so the policy allows only this origin
and no inline script at all; the microphone is allowed only on the kiosk page.
"""
import re

from flask import request
from flask.sessions import SecureCookieSessionInterface

# blob: for media: the kiosk plays back the pupil's recognised answer from memory.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
NO_FEATURES = "camera=(), geolocation=(), payment=(), usb=(), microphone=()"
MICROPHONE_PAGES = ("pupil.kiosk",)  # the journey's Speak button
# What may be kept by a browser or proxy: code, styles, symbols, speech, the CA
# certificate. Everything else may carry report content or a login, so it is no-store.
CACHEABLE = ("static", "pupil.static", "staff.static", "pupil.symbol", "pupil.audio",
             "tls.ca_certificate")

SAFE_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def permissions_policy(endpoint):
    """The features this page may use: the microphone on the kiosk page only."""
    if endpoint in MICROPHONE_PAGES:
        return NO_FEATURES.replace("microphone=()", "microphone=(self)")
    return NO_FEATURES


def content_security_policy(host):
    """The policy, with this server's own WebSocket address added to connect-src: not
    every browser counts ws:// to the page's own host as 'self' (the kiosk's speech
    input uses a WebSocket only)."""
    if not SAFE_HOST.match(host or ""):
        return CSP
    return CSP.replace("connect-src 'self'", f"connect-src 'self' ws://{host} wss://{host}")


def add_headers(response):
    """Set the security headers, and no-store on anything not plainly cacheable."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    # A view may set a stricter policy of its own (an attachment is sandboxed): kept.
    response.headers.setdefault("Content-Security-Policy", content_security_policy(request.host))
    response.headers["Permissions-Policy"] = permissions_policy(request.endpoint)
    if request.endpoint not in CACHEABLE:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    return response


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the request came over HTTPS."""

    def get_cookie_secure(self, app):
        """Secure when configured, or when this request was made over HTTPS."""
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def init_app(app):
    app.session_interface = SessionInterface()
    app.after_request(add_headers)
