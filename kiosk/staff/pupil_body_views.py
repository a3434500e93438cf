"""The pupil's "Show me where" on the case page: the places they marked on the body
picture, drawn with the staff body map's own template, and named in words."""
import json

from ..safeguarding import body_pictures
from ..services import services
from .case_panels import register


@register("pupil_body", "staff/_case_pupil_body.html", order=19, where="facts")
def _pupil_body_panel(db, row, user):
    """None when the pupil marked no places (or the case is a staff concern)."""
    return body_pictures.pupil_picture(json.loads(row["choices"] or "[]"), services().content)
