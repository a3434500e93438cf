"""The case page's hearing-back panel and its one action: what the pupil hears when they
press their pictures at a kiosk (safeguarding/hearing_back.py)."""
from flask import request

from ..content import hearing_back as content
from ..db import get_db
from ..safeguarding import hearing_back
from . import bp
from .auditing import now
from .auth import reader_required
from .case_panels import register
from .case_views import _act

WORKING = ("closed", "merged", "new")  # nothing can be chosen on these


@bp.post("/reports/<int:report_id>/hearing-back")
@reader_required
def choose_hearing_back(user, report_id):
    return _act(report_id, hearing_back.KIND, lambda: hearing_back.choose(
        get_db(), report_id, user, now(), request.form.get("choice")))


@register("hearing_back", "staff/_case_hearing_back.html", order=40, where="work")
def _hearing_back(db, row, user):
    """Whether the pupil was given pictures, until when, and what they hear; never the code."""
    shown = hearing_back.state(db, row["id"], now())
    if shown is None:
        return None
    words = content.catalogue().words
    return dict(shown, choices=[(c, words[c].text) for c in hearing_back.CHOICES],
                heard_text=words[shown["heard"]].text,
                can_change=row["status"] not in WORKING and not shown["expired"])
