"""The audit log's signed checkpoints, for the DSL and the head to print and file."""
from flask import make_response, render_template

from ..audit import checkpoints
from ..db import get_db, writing
from ..safeguarding import checkpoint_mail
from . import bp
from .auditing import log
from .auth import roles_required
from .records import AUDIT_READERS

SHOWN = 60  # about two months of daily checkpoints


def _listed(db):
    return [{"id": cid, "checkpoint": c, "email": checkpoint_mail.email_state(db, cid)}
            for cid, c in checkpoints.stored(db, limit=SHOWN)]


@bp.get("/audit/checkpoints")
@roles_required(*AUDIT_READERS)
def audit_checkpoints(user):
    """The newest checkpoints, printable: each line is what `audit verify` takes back."""
    db = get_db()
    listed = _listed(db)
    with writing(db):
        log("audit.checkpoints_viewed")
    return render_template("staff/checkpoints.html", user=user, listed=listed)


@bp.get("/audit/checkpoints.txt")
@roles_required(*AUDIT_READERS)
def audit_checkpoints_text(user):
    """The same as plain text, one line each, to print or keep in a file."""
    db = get_db()
    lines = [item["checkpoint"].line for item in _listed(db)]
    with writing(db):
        log("audit.checkpoints_exported", detail={"lines": len(lines)})
    response = make_response("\n".join(lines) + "\n")
    response.headers["Content-Type"] = "text/plain; charset=utf-8"
    return response
