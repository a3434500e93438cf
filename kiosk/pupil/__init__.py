"""The pupil kiosk: the journey page, its symbols and speech, and sending a report."""
from flask import Blueprint

bp = Blueprint("pupil", __name__, template_folder="templates", static_folder="static",
               static_url_path="/kiosk-static")

from . import enrol, help, settings_page as settings, unlock, views  # noqa: E402,F401  (registers the routes)
from . import hearing_back_views, readback  # noqa: E402,F401  (hearing back; words read back)
