"""The alert screen: a dashboard whose login ended keeps sounding content-free alerts.

Opening the dashboard gives a reader's browser an alert-screen cookie (notify/screens.py).
When the login ends, the page turns into the alert screen by itself; /staff/alerts opens
it again after a reload. It shows where and when ("URGENT report from Class 4 iPad at
10:45: log in to read"), never what: reading needs a fresh login.
"""
import json

from flask import current_app, make_response, redirect, render_template, request, url_for

from ..safeguarding import help_requests
from .. import notify
from ..db import get_db, writing
from ..notify import screens
from ..notify.alerts import alert_for
from ..accounts.users import READER_ROLES, TEAM_ROLES
from . import bp
from .auditing import log, now
from .auth import current_user
from .board import email_warnings, snapshot, timezone_name


def _days():
    return current_app.config["ALERT_SCREEN_DAYS"]


def screen_for_request(db):
    """(screen, its owner) for this browser's alert-screen cookie, or None."""
    # The DSL team's screens only: an alert screen says a report arrived, which the chair
    # of governors may know only of the cases about the head.
    return screens.live(db, request.cookies.get(screens.COOKIE), now(), _days(), TEAM_ROLES)


def keep_alerting(response, db, user, session_id):
    """Give a reader's browser its alert-screen cookie, or a fresh one when it is a day
    old or belongs to someone else (two people sharing one PC)."""
    held = screen_for_request(db)
    if held and held[1]["id"] == user["id"] and not screens.needs_renewal(held[0], now()):
        return response
    if held:
        screens.end(db, held[0]["id"], now(), "replaced")
    token = screens.issue(db, user["id"], session_id, now())
    response.set_cookie(screens.COOKIE, token, max_age=_days() * 86400, path="/",
                        httponly=True, samesite="Strict",
                        secure=current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure)
    return response


def _report_alerts(db):
    """The latest alert of each report nobody has acknowledged yet."""
    return [alert_for(dict(row, payload=json.loads(row["payload"]))) for row in db.query(
        "SELECT * FROM notifications WHERE id IN (SELECT max(n.id) FROM notifications n "
        "JOIN reports r ON r.id = n.report_id WHERE r.status = 'new' AND n.kind IN "
        "('report.new', 'report.escalated') GROUP BY n.report_id) ORDER BY id")]


def _help_alerts(db):
    """Each "Get an adult" still waiting, or answered within the hour."""
    found = []
    for asked in reversed(help_requests.open_requests(db)):
        step = asked.get("escalation")
        kind = ("help.acknowledged" if asked["status"] == "acknowledged"
                else "help.escalated" if step else "help.new")
        payload = dict(asked, **(step or {}))
        found.append(alert_for({"id": None, "at": (step or asked)["at"], "kind": kind,
                                "payload": payload}))
    return found


def outstanding(db):
    """What an alert screen shows when it (re)connects: every alert still calling."""
    with snapshot(db):
        alerts = (_report_alerts(db) + _help_alerts(db)
                  + [alert_for(n) for n in email_warnings(db, now())])
        return {"alerts": [a for a in alerts if a], "cursor": notify.latest_id(db)}


@bp.get("/alerts")
def alert_screen():
    """The alert screen again (after a reload); a logged-in reader gets the dashboard."""
    user = current_user()
    if user is not None and user["role"] in READER_ROLES:
        return redirect(url_for("staff.dashboard"))
    db = get_db()
    held = screen_for_request(db)
    if held is None:
        response = redirect(url_for("staff.login", next=url_for("staff.dashboard")))
        response.delete_cookie(screens.COOKIE, path="/")
        return response
    with writing(db):
        log("alert_screen.opened", f"alert_screen:{held[0]['id']}", user=held[1])
    return render_template("staff/dashboard.html", user=None, mode="alerts",
                           page=dict(outstanding(db), timezone=timezone_name()))


@bp.post("/alerts/stop")
def stop_alerts():
    """This browser stops being an alert screen (a shared PC, a screen being moved)."""
    db = get_db()
    held = screen_for_request(db)
    if held is not None:
        screens.end(db, held[0]["id"], now(), "stopped on the screen")
        with writing(db):
            log("alert_screen.stopped", f"alert_screen:{held[0]['id']}", user=held[1])
    response = make_response(redirect(url_for("staff.login"), 303))
    response.delete_cookie(screens.COOKIE, path="/")
    return response
