"""Audit entries for staff requests: who (from the session), when (the app clock), from where."""
from flask import request

from .. import audit
from ..db import get_db
from .identity import current_user, now


def log(action, target="", detail=None, user=None, db=None):
    """Append an audit entry for the current request, inside any open transaction."""
    if user is None:
        user = current_user()
    return audit.record(db or get_db(), action, at=now(),
                        actor=user["email"] if user else "not logged in",
                        user_id=user["id"] if user else None,
                        role=user["role"] if user else "",
                        target=target, detail=detail, ip=request.remote_addr or "")


def refused(why, target=""):
    """Record a refused request: the path and why, never the data sent."""
    log("refused", target or request.path,
        {"why": why, "method": request.method, "path": request.path})
