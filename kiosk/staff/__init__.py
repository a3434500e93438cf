"""The staff side: login, the live DSL dashboard, cases, staff concerns, IT pages."""
from flask import Blueprint
from werkzeug.exceptions import BadRequest

from ..csrf import check_csrf, csrf_token

bp = Blueprint("staff", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")
bp.add_app_template_global(csrf_token)


@bp.before_request
def refuse_forged_posts():
    """A post without this session's token is refused, and the refusal is logged."""
    try:
        check_csrf()
    except BadRequest:
        from .auditing import refused
        from .auth import current_user
        current_user()  # so the log names who it was, when anyone
        refused("form token missing or wrong")
        raise


from . import (account, admin, admin_kiosks, alert_screen, auth, board,  # noqa: E402,F401
               case_views, concerns, help, live, records, views)  # (routes, handlers)
from . import checkpoint_views  # noqa: E402,F401  (the audit checkpoints pages)
from . import (allegation_views, attachment_views, hearing_views,  # noqa: E402,F401
               imagery_views, link_views, pupil_body_views, pupil_views,
               task_views)  # (each workflow's routes)
