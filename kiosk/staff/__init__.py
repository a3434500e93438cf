"""The staff side: login, the live DSL dashboard and report pages."""
from flask import Blueprint

from ..csrf import check_csrf, csrf_token

bp = Blueprint("staff", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")
bp.before_request(check_csrf)
bp.add_app_template_global(csrf_token)

from . import auth, events, views  # noqa: E402,F401  (registers routes and handlers)
