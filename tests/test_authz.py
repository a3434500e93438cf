"""The authorisation matrix: every route and every Socket.IO event against every principal.

EXPECTED says what each principal gets from each (endpoint, method) in app.url_map, and
SOCKET_EXPECTED the same for each Socket.IO handler; a route or handler without a row
fails test_every_route_has_a_row / test_every_socket_handler_has_a_row. Outcomes:

  ok             the route's normal success, as CALLS defines it for that route
  login          302 to /staff/login (401 JSON under /staff/api/); nothing changed
  forbidden      403 with a plain message; nothing changed; one "refused" audit entry
  not_kiosk      how a pupil route answers a device that is not an enrolled kiosk: the
                 calm "not set up" page (200) for the journey, 403 JSON for the API,
                 back to /kiosk for the staff pause pages; nothing changed
  redirect_home  GET /staff/ for a role without a dashboard: 302 to its own start page

Principals: "anon" (a browser with nothing), "kiosk" (an enrolled kiosk device, no staff
login) and a logged-in staff, it, dsl, deputy, head and chair (of governors), each in its
own test client. The chair reads only the cases about the head (an allegation about the
head teacher) and their own dashboard: anywhere else, and on every case the matrix makes
unless it says otherwise, they get the "not open to you" refusal.
A cell in KNOWN_BUGS or SOCKET_BUGS is a strict xfail: a known bug, visible until fixed.
Id guessing (a staff member's concerns, a reader's guessed ids) and forged posts have
tests of their own at the end; a known bug there is a strict xfail on that case.

One app serves the module, seeded once. A cell makes what it needs fresh (a case waiting
for sign-off, a kiosk to revoke), and a principal that a cell logged out is logged in
again before its next cell, so cells do not depend on each other's order.
"""
import html
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from helpers import (DSL_EMAIL, DSL_PASSWORD, a_report, authenticator_code, concern_fields,
                     csrf_from, enrol_device, log_in)
from kiosk.safeguarding import (allegations, case_links, case_pupils, cases, imagery, referral,
                                tasks)
from kiosk import create_app, tls
from kiosk.devices import kiosks
from kiosk.db import get_db
from kiosk.extensions import socketio
from kiosk.notify.screens import COOKIE as ALERT_COOKIE
from kiosk.pupil.enrol import COOKIE as DEVICE_COOKIE, NOT_A_KIOSK
from kiosk.safeguarding.reports import acknowledge
from kiosk.services import services
from kiosk.accounts.users import CHAIR_ROLE, READER_ROLES, TEAM_ROLES, create_user
from kiosk.staff.auth import CLOSED_TO_YOU
from kiosk.staff.identity import KIOSK_REFUSED

# Wednesday 18 November 2026, 10:30 in London: a school day (as in conftest).
SCHOOL_MORNING = datetime(2026, 11, 18, 10, 30, tzinfo=timezone.utc)
PASSWORD = DSL_PASSWORD
PIN = "246810"

PRINCIPALS = ("anon", "kiosk", "staff", "it", "dsl", "deputy", "head", CHAIR_ROLE)
STAFF_ROLES = ("staff", "it", "dsl", "deputy", "head", CHAIR_ROLE)
NOT_LOGGED_IN = ("anon", "kiosk")
ACCOUNTS = {  # name -> (email, role): the six principals, then targets and stand-ins
    "staff": ("staff@school.example", "staff"),
    "it": ("it@school.example", "it"),
    "dsl": (DSL_EMAIL, "dsl"),
    "deputy": ("deputy@school.example", "deputy"),
    "head": ("head@school.example", "head"),
    CHAIR_ROLE: ("chair@school.example", CHAIR_ROLE),
    "it2": ("it2@school.example", "it"),             # target of admin actions
    "reader": ("reader@school.example", "deputy"),    # a reader account as a target
    "staff2": ("staff2@school.example", "staff"),     # logs concern B (id guessing)
    "visitor": ("visitor@school.example", "staff"),   # logs in where the principal has no account
    "visitor_reader": ("visitor-reader@school.example", "dsl"),
    "named": ("named@school.example", "staff"),       # a case is marked as about them
}
HOME = {"staff": "/staff/concerns", "it": "/staff/admin/users"}
WATCHED = ("reports", "report_events", "users", "kiosks", "pupils", "notifications", "settings",
           "help_requests", "help_events", "outbox", "allegations", "case_pupils",
           "pupil_details", "pupil_changes", "case_due", "case_tasks", "case_links",
           "case_categories", "attachments", "hearing_codes")
ROLE_REFUSAL = "Your role does not allow this page."
CHAIR_REFUSAL = CLOSED_TO_YOU  # the chair, anywhere but their dashboard and head's cases
SEALING = "audit.sealed_up_to."  # settings keys: how far each table is sealed into the chain


# -- expected access ------------------------------------------------------------------

def staff_only(*allowed, **special):
    """A staff route: these roles get it, other roles 403, no login goes to the login page.

    The chair is a reader but is refused unless named: on the matrix's cases (none is
    about the head) and on every page outside their dashboard."""
    row = dict.fromkeys(NOT_LOGGED_IN, "login")
    row.update({role: "ok" if role in allowed else "forbidden" for role in STAFF_ROLES})
    row.update(special)
    return row


ANYONE = dict.fromkeys(PRINCIPALS, "ok")
KIOSK_ONLY = {p: "ok" if p == "kiosk" else "not_kiosk" for p in PRINCIPALS}
LOGGED_IN = staff_only(*STAFF_ROLES)                 # their own account
NOT_CHAIR = tuple(r for r in STAFF_ROLES if r != CHAIR_ROLE)
STAFF_PAGES = staff_only(*NOT_CHAIR)                 # the chair's account opens no more
READERS = staff_only(*TEAM_ROLES)                    # a case the chair may not read
BOARD = staff_only(*READER_ROLES)                    # the dashboard's data: the chair's too
ACCOUNT_ADMINS = staff_only("it", "dsl", "head")
KIOSK_ADMINS = staff_only("it")

EXPECTED = {
    # The pupil kiosk: only an enrolled device.
    ("pupil.kiosk", "GET"): KIOSK_ONLY,            # "/" and "/kiosk"
    ("pupil.send_report", "POST"): KIOSK_ONLY,
    ("pupil.ask_for_help", "POST"): KIOSK_ONLY,
    ("pupil.help_status", "GET"): KIOSK_ONLY,      # and only for the kiosk that asked
    ("pupil.unlock", "POST"): KIOSK_ONLY,
    ("pupil.paused", "GET"): KIOSK_ONLY,
    ("pupil.leave", "POST"): KIOSK_ONLY,
    ("pupil.journey", "GET"): KIOSK_ONLY,
    ("pupil.settings_form", "GET"): KIOSK_ONLY,
    ("pupil.save_settings", "POST"): KIOSK_ONLY,
    ("pupil.more_time", "POST"): KIOSK_ONLY,
    ("pupil.hearing_back_check", "POST"): KIOSK_ONLY,  # "Did an adult read my worry?"
    ("pupil.read_back", "POST"): KIOSK_ONLY,           # the typed words, spoken back
    # Open to anyone. Symbols and phrase audio hold no pupil data, and the pages shown to a
    # device that is not a kiosk (its "not set up" page, the problem page) and the DSL's
    # case page use them, so they cannot be kiosk-only.
    ("pupil.symbol", "GET"): ANYONE,
    ("pupil.audio", "GET"): ANYONE,
    ("pupil.about_symbols", "GET"): ANYONE,
    ("pupil.static", "GET"): ANYONE,
    ("static", "GET"): ANYONE,
    ("staff.static", "GET"): ANYONE,
    ("tls.ca_certificate", "GET"): ANYONE,
    ("pupil.enrol_form", "GET"): ANYONE,
    ("pupil.enrol", "POST"): ANYONE,
    # No staff login on a device pupils use (issue 16): a kiosk is refused, plainly.
    ("staff.login", "GET"): dict(ANYONE, kiosk="not_here"),
    ("staff.login", "POST"): dict(ANYONE, kiosk="not_here"),
    ("staff.login_code", "GET"): dict(ANYONE, kiosk="not_here"),
    ("staff.login_code", "POST"): dict(ANYONE, kiosk="not_here"),
    ("staff.logout", "POST"): ANYONE,
    # Any logged-in role.
    ("staff.account", "GET"): LOGGED_IN,
    ("staff.change_password", "POST"): LOGGED_IN,
    ("staff.logout_everywhere", "POST"): LOGGED_IN,
    ("staff.my_concerns", "GET"): STAFF_PAGES,
    ("staff.new_concern", "GET"): STAFF_PAGES,
    ("staff.new_concern", "POST"): STAFF_PAGES,
    ("staff.dashboard", "GET"): staff_only(*READER_ROLES, staff="redirect_home",
                                           it="redirect_home"),
    # Cases, pupils and exports: the DSL team and the head.
    ("staff.report", "GET"): READERS,
    ("staff.acknowledge_report", "POST"): READERS,
    ("staff.acknowledge_help", "POST"): READERS,   # "I'm going" for a "Get an adult"
    ("staff.assign_case", "POST"): READERS,
    ("staff.add_note", "POST"): READERS,
    ("staff.record_decision", "POST"): READERS,
    ("staff.sign_off", "POST"): staff_only("head"),  # dsl, deputy: refused by the case rule
    ("staff.close_case", "POST"): READERS,
    ("staff.link_pupil", "POST"): READERS,
    ("staff.merge_case", "POST"): READERS,
    ("staff.case_chronology", "GET"): READERS,
    ("staff.case_chronology_pdf", "GET"): READERS,
    ("staff.pupil_search", "GET"): READERS,
    ("staff.pupil_chronology", "GET"): READERS,
    ("staff.pupil_chronology_pdf", "GET"): READERS,
    ("staff.exports", "GET"): READERS,
    ("staff.counts_csv", "GET"): READERS,
    ("staff.notifications_since", "GET"): BOARD,
    ("staff.board_panels", "GET"): BOARD,
    ("staff.closed_cases", "GET"): BOARD,
    # The alert screen: a browser with only an alert-screen cookie gets it (tested at the
    # end); a logged-in reader is sent to the dashboard, anyone else to the login page.
    ("staff.alert_screen", "GET"): staff_only(*READER_ROLES, staff="login", it="login"),
    ("staff.stop_alerts", "POST"): ANYONE,
    ("staff.audit_log", "GET"): staff_only("dsl", "head"),
    ("staff.audit_checkpoints", "GET"): staff_only("dsl", "head"),
    ("staff.audit_checkpoints_text", "GET"): staff_only("dsl", "head"),
    # Accounts: IT, the DSL and the head; IT only for staff and IT accounts.
    ("staff.admin_users", "GET"): ACCOUNT_ADMINS,
    ("staff.admin_create_user", "POST"): ACCOUNT_ADMINS,      # a staff account
    ("staff.admin_set_role", "POST"): ACCOUNT_ADMINS,        # it2 stays IT
    ("staff.admin_set_password", "POST"): ACCOUNT_ADMINS,    # it2
    ("staff.admin_unlock", "POST"): ACCOUNT_ADMINS,          # it2
    ("staff.admin_set_active", "POST"): ACCOUNT_ADMINS,      # it2
    ("staff.admin_reset_authenticator", "POST"): staff_only("dsl", "head"),  # on a reader
    # Kiosks and the staff PIN: IT only.
    ("staff.admin_kiosks", "GET"): KIOSK_ADMINS,
    ("staff.admin_create_kiosk", "POST"): KIOSK_ADMINS,
    ("staff.admin_kiosk_code", "POST"): KIOSK_ADMINS,
    ("staff.admin_revoke_kiosk", "POST"): KIOSK_ADMINS,
    ("staff.admin_staff_pin", "POST"): KIOSK_ADMINS,
    # Casework on a case. The DSL team and the head, unless the case rule says otherwise.
    ("staff.choose_hearing_back", "POST"): READERS,
    ("staff.change_pupil_role", "POST"): READERS,
    ("staff.remove_pupil", "POST"): READERS,
    ("staff.add_attachment", "POST"): READERS,
    ("staff.attachment", "GET"): READERS,
    ("staff.mark_about_staff", "POST"): READERS,
    # A case about the head: the chair signs off; the head may not even read it.
    ("staff.chair_sign_off", "POST"): staff_only(chair="ok"),
    # Immediate referral: the DSL or a deputy gives the reason, the head signs it off.
    ("staff.not_referring", "POST"): staff_only("dsl", "deputy"),
    ("staff.sign_off_not_referring", "POST"): staff_only("head"),
    ("staff.imagery_review", "POST"): READERS,
    ("staff.imagery_viewing", "POST"): READERS,
    ("staff.imagery_staff_support", "POST"): READERS,
    ("staff.imagery_device", "POST"): READERS,
    ("staff.imagery_device_handed", "POST"): READERS,
    ("staff.imagery_deletion_deadline", "POST"): READERS,
    ("staff.imagery_decision_review", "POST"): READERS,
    ("staff.add_task", "POST"): READERS,
    ("staff.complete_task", "POST"): READERS,
    ("staff.cancel_task", "POST"): READERS,
    ("staff.reassign_task", "POST"): READERS,
    ("staff.change_due_date", "POST"): READERS,
    ("staff.reopen_case", "POST"): READERS,
    ("staff.link_case", "POST"): READERS,
    ("staff.unlink_case", "POST"): READERS,
    ("staff.set_case_categories", "POST"): READERS,
    ("staff.case_categories", "GET"): READERS,
    # The school's MIS pupil list: the DSL and the head.
    ("staff.import_pupils", "POST"): staff_only("dsl", "head"),
}
KNOWN_BUGS = {}  # ((endpoint, method), principal) -> reason: those cells are strict xfails


# -- how each route is called, and what its normal success is ---------------------------

def page(text="", status=200):
    """A page with this status and this text in it."""
    return lambda r, ids: r.status_code == status and text.format(**ids) in html.unescape(
        r.get_data(as_text=True))


def served(status, mimetype):
    return lambda r, ids: r.status_code == status and r.mimetype == mimetype


def goes_to(*targets, codes=(302, 303)):
    """A redirect to one of these paths (formatted with the cell's ids)."""
    return lambda r, ids: r.status_code in codes and urlsplit(r.location).path in [
        t.format(**ids) for t in targets]


def json_reply(status, key):
    return lambda r, ids: r.status_code == status and r.is_json and key in r.json


def json_status(*statuses):
    return lambda r, ids: r.status_code in statuses and r.is_json


def refused_device(r, ids):
    return r.status_code == 403 and r.is_json and r.json == {"error": NOT_A_KIOSK}


@dataclass(frozen=True)
class Call:
    path: str                     # formatted with the world's ids and the cell's own
    ok: object                    # (response, ids) -> bool: the route's normal success
    form: object = field(default_factory=dict)  # a POST's fields (a CSRF token is added)
    json: object = None           # () -> JSON body, for the pupil API (no CSRF there)
    prepare: object = None        # (world, principal) -> more ids, made before the request
    refusal: object = ROLE_REFUSAL  # what a 403 must say, or {principal: message}
    not_kiosk: object = None      # (response, ids) -> bool for a device that is not a kiosk
    resets_login: bool = False    # ends the principal's login, or logs in as someone else


def kiosk_settings_form(world, ids):
    from kiosk.devices.settings import DEFAULTS
    return {**{k: v for k, v in DEFAULTS.items() if not isinstance(v, bool)},
            "symbol_pack": "default", "wait_for_speech": "on", "input": "switch-auto"}


def unlock_kiosk(world, principal):
    """Type the staff PIN on this device (only an enrolled kiosk can)."""
    world.clients[principal].post("/api/kiosk/unlock", json={"pin": PIN})
    return {}


def enrol_code(world, principal):
    return {"code": world.new_kiosk()[1]}


def own_or_visitor(world, principal):
    """Log in as oneself; a principal with no account uses the visitor's."""
    return {"email": ACCOUNTS[principal if principal in STAFF_ROLES else "visitor"][0]}


def code_pending(world, principal):
    """A correct reader password given: the code page is waiting for the code."""
    email = ACCOUNTS[principal if principal in READER_ROLES else "visitor_reader"][0]
    world.tick()  # a code not used yet
    client = world.clients[principal]
    if principal == "kiosk":  # a kiosk cannot give the password; say it had, elsewhere
        with client.session_transaction() as session:
            session["pending"] = {"uid": world.users["visitor_reader"]["id"],
                                  "until": world.app.config["CLOCK"]().timestamp() + 300}
        return {"email": email}
    token = csrf_from(client.get("/staff/login"))
    reply = client.post("/staff/login", data={"email": email, "password": PASSWORD,
                                              "csrf_token": token})
    assert goes_to("/staff/login/code")(reply, {}), reply.location
    return {"email": email}


def fresh_case(decision=None, acknowledged=True):
    return lambda world, principal: {"fresh": world.new_case(decision, acknowledged)}


def fresh_help(world, principal):
    """A new "Get an adult" from the kiosk (a press half a minute after the last one)."""
    world.clock.now += timedelta(seconds=31)
    reply = world.clients["kiosk"].post("/api/help")
    assert reply.status_code == 201, reply.get_data(as_text=True)
    return {"help": reply.json["help_id"]}


def numbered(world, principal):
    return {"n": world.fresh_number()}


def kiosk_to_revoke(world, principal):
    return {"kiosk_id": world.new_kiosk()[0]["id"]}


def concern_form(world, ids):
    return concern_fields(pupil="Jo Bloggs", q1=["what:unkind"])


def pupil_on_fresh_case(world, principal):
    """A new case with a new pupil on it as the child at risk."""
    fresh, n = world.new_case(), world.fresh_number()

    def work(db):
        case_pupils.link(db, fresh, world.users["dsl"], world.clock(), name=f"Robin Pupil {n}")
        return next(db.query("SELECT pupil_id FROM case_pupils WHERE report_id = ?",
                             [fresh]))["pupil_id"]
    return {"fresh": fresh, "fresh_pupil": world.run(work)}


def about_the_head(world, principal):
    """A case about the head teacher, decided not to refer: waiting for the chair."""
    fresh = world.new_case("not_referred")
    world.run(lambda db: allegations.mark_about_staff(
        db, fresh, world.users["dsl"], world.clock(), world.users["head"]["id"],
        "A parent says the head teacher grabbed a pupil."))
    return {"fresh": fresh}


def met_the_criteria(world, principal):
    """An acknowledged case the pupil said they are not safe in: an immediate referral."""
    return {"fresh": world.new_case(answers={"safe": ["no"], "when": ["today"]})}


def reason_not_referring(world, principal):
    ids = met_the_criteria(world, principal)
    entry, _ = world.run(lambda db: referral.record_not_referring(
        db, ids["fresh"], world.users["dsl"], world.clock(),
        "Parents and the police are already involved."))
    return dict(ids, entry=entry)


def device_locked_away(world, principal):
    """A case with a phone locked away, a few minutes ago."""
    fresh = world.new_case()
    entry, _ = world.run(lambda db: imagery.secure_device(
        db, fresh, world.users["dsl"], world.clock(), {
            "device": "Phone", "switched_off": "on", "locked": "on",
            "held_by": "The DSL", "where": "The DSL's safe"}))
    handed = world.clock() + timedelta(minutes=1)
    world.clock.now += timedelta(minutes=2)
    return {"fresh": fresh, "device": entry, "handed_at": handed.isoformat()}


def decided(world, principal):
    fresh = world.new_case("mash")
    decision = world.run(lambda db: cases.decisions_in_force(db, fresh)[0]["id"])
    return {"fresh": fresh, "decision": decision}


def a_task(world, principal):
    """An open task on the case, owned by the DSL, due on Friday."""
    world.run(lambda db: tasks.add_task(db, world.ids["case"], world.users["dsl"],
                                        world.clock(), "Call home", world.users["dsl"]["id"],
                                        "2026-11-20"))
    return {"task": world.run(lambda db: db.execute("SELECT MAX(id) FROM case_tasks")
                              .fetchone()[0])}


def closed_case(world, principal):
    fresh = world.new_case("mash")
    world.run(lambda db: cases.close(db, fresh, world.users["dsl"], world.clock(),
                                     "Referred to MASH."))
    return {"fresh": fresh}


def linked_case(world, principal):
    fresh = world.new_case()
    world.run(lambda db: case_links.link(db, fresh, world.ids["case"], world.users["dsl"],
                                         world.clock(), "The same pupils."))
    return {"fresh": fresh}


def imagery_review_form(world, ids):
    answers = {f"q.{key}": "no" for key, _ in imagery.QUESTIONS + imagery.CRITERIA}
    return dict(answers, attended="The DSL and the head teacher")


def a_text_file(world, ids):
    return {"file": (io.BytesIO(b"Notes from the meeting with the class teacher.\n"),
                     "notes.txt")}


def mis_export(world, ids):
    csv = f"UPN,Surname,Forename,Year\nA{ids['n']:012d},Pupil,Amy,Year 5\n".encode()
    return {"file": (io.BytesIO(csv), "pupils.csv")}


BACK_TO_CASE = goes_to("/staff/reports/{case}")
BACK_TO_FRESH = goes_to("/staff/reports/{fresh}")
BACK_TO_USERS = goes_to("/staff/admin/users")
BACK_TO_KIOSKS = goes_to("/staff/admin/kiosks")
TO_LOGIN = goes_to("/staff/login")
PDF = served(200, "application/pdf")

CALLS = {
    ("pupil.kiosk", "GET"): Call("/kiosk", page('<script id="journey"'),
                                 not_kiosk=page("This device is not set up as a kiosk yet")),
    ("pupil.send_report", "POST"): Call("/api/reports", json_status(201), json=a_report,
                                        not_kiosk=refused_device),
    ("pupil.ask_for_help", "POST"): Call("/api/help", json_status(200, 201), json=dict,
                                         not_kiosk=refused_device),
    ("pupil.help_status", "GET"): Call("/api/help/{help}", json_reply(200, "status"),
                                       prepare=fresh_help, not_kiosk=refused_device),
    ("pupil.unlock", "POST"): Call("/api/kiosk/unlock", json_reply(200, "next"),
                                   json=lambda: {"pin": PIN}, not_kiosk=refused_device),
    ("pupil.paused", "GET"): Call("/kiosk/staff", page("Kiosk paused: Test kiosk"),
                                  prepare=unlock_kiosk, not_kiosk=goes_to("/kiosk")),
    ("pupil.leave", "POST"): Call("/kiosk/leave", goes_to("/staff/login", codes=(303,)),
                                  prepare=unlock_kiosk,
                                  not_kiosk=goes_to("/kiosk", codes=(303,))),
    ("pupil.more_time", "POST"): Call("/api/kiosk/more-time", json_reply(200, "seconds"),
                                      prepare=unlock_kiosk, not_kiosk=json_status(409)),
    ("pupil.journey", "GET"): Call("/api/kiosk/journey?slower=1", json_reply(200, "pages"),
                                   not_kiosk=refused_device),
    ("pupil.settings_form", "GET"): Call("/kiosk/settings", page("Settings: Test kiosk"),
                                         prepare=unlock_kiosk, not_kiosk=goes_to("/kiosk")),
    ("pupil.save_settings", "POST"): Call(
        "/kiosk/settings", goes_to("/kiosk/settings", codes=(303,)), form=kiosk_settings_form,
        prepare=unlock_kiosk, not_kiosk=goes_to("/kiosk", codes=(303,))),
    ("pupil.symbol", "GET"): Call("/symbols/default/online.svg", served(200, "image/svg+xml")),
    ("pupil.audio", "GET"): Call("/audio/{audio}.wav", served(200, "audio/wav")),
    ("pupil.about_symbols", "GET"): Call("/about/symbols", page()),
    ("pupil.static", "GET"): Call("/kiosk-static/kiosk.js", served(200, "text/javascript")),
    ("static", "GET"): Call("/static/vendor/socket.io.min.js", served(200, "text/javascript")),
    ("staff.static", "GET"): Call("/staff/static/staff.css", served(200, "text/css")),
    ("tls.ca_certificate", "GET"): Call("/ca.pem", page("BEGIN CERTIFICATE")),
    ("pupil.enrol_form", "GET"): Call("/enrol?code={code}", page("{kiosk_name}"),
                                      prepare=lambda w, p: dict(zip(
                                          ("kiosk_name", "code"), w.new_kiosk_named()))),
    ("pupil.enrol", "POST"): Call("/enrol", goes_to("/kiosk", codes=(303,)),
                                  form={"code": "{code}"}, prepare=enrol_code),
    ("staff.login", "GET"): Call("/staff/login", page()),
    ("staff.login", "POST"): Call("/staff/login", goes_to("/staff/login/code", "/staff/"),
                                  form={"email": "{email}", "password": PASSWORD},
                                  prepare=own_or_visitor, resets_login=True),
    ("staff.login_code", "GET"): Call("/staff/login/code", page("Authenticator code"),
                                      prepare=code_pending, resets_login=True),
    ("staff.login_code", "POST"): Call(
        "/staff/login/code", goes_to("/staff/"), prepare=code_pending, resets_login=True,
        form=lambda world, ids: {"code": authenticator_code(world.app, ids["email"])}),
    ("staff.logout", "POST"): Call("/staff/logout", TO_LOGIN, resets_login=True),
    ("staff.account", "GET"): Call("/staff/account", page()),
    ("staff.change_password", "POST"): Call(
        "/staff/account/password", TO_LOGIN, resets_login=True,
        form={"password": PASSWORD, "new_password": PASSWORD, "confirm": PASSWORD}),
    ("staff.logout_everywhere", "POST"): Call("/staff/account/logout-everywhere", TO_LOGIN,
                                              resets_login=True),
    ("staff.my_concerns", "GET"): Call("/staff/concerns", page("Concerns you logged")),
    ("staff.new_concern", "GET"): Call("/staff/concerns/new", page()),
    ("staff.new_concern", "POST"): Call("/staff/concerns/new", goes_to("/staff/concerns"),
                                        form=concern_form),
    ("staff.dashboard", "GET"): Call("/staff/", page()),
    ("staff.report", "GET"): Call("/staff/reports/{case}", page()),
    ("staff.acknowledge_report", "POST"): Call("/staff/reports/{case}/acknowledge",
                                               BACK_TO_CASE),
    ("staff.acknowledge_help", "POST"): Call("/staff/help/{help}/acknowledge",
                                             goes_to("/staff/"), prepare=fresh_help),
    ("staff.assign_case", "POST"): Call("/staff/reports/{case}/assign", BACK_TO_CASE,
                                        form={"owner_id": "{dsl_id}"}),
    ("staff.add_note", "POST"): Call("/staff/reports/{case}/notes", BACK_TO_CASE,
                                     form={"text": "Spoke to the class teacher."}),
    ("staff.record_decision", "POST"): Call(
        "/staff/reports/{case}/decisions", BACK_TO_CASE,
        form={"decision": "internal_support", "reason": "Support from the form tutor."}),
    ("staff.sign_off", "POST"): Call(
        "/staff/reports/{fresh}/sign-off", BACK_TO_FRESH, form={"comment": "Agreed."},
        prepare=fresh_case("not_referred"),
        refusal={"dsl": "Only the head teacher can sign off a decision not to refer.",
                 "deputy": "Only the head teacher can sign off a decision not to refer."}),
    ("staff.close_case", "POST"): Call("/staff/reports/{fresh}/close", BACK_TO_FRESH,
                                       form={"summary": "Referred to MASH."},
                                       prepare=fresh_case("mash")),
    ("staff.link_pupil", "POST"): Call("/staff/reports/{case}/pupil", BACK_TO_CASE,
                                       form={"name": "Alex Smith {n}", "year_group": "Year 6"},
                                       prepare=numbered),
    ("staff.merge_case", "POST"): Call(
        "/staff/reports/{fresh}/merge", BACK_TO_FRESH, prepare=fresh_case(acknowledged=False),
        form={"into": "{case}", "reason": "The same worry, sent twice."}),
    ("staff.case_chronology", "GET"): Call("/staff/reports/{case}/chronology", page()),
    ("staff.case_chronology_pdf", "GET"): Call("/staff/reports/{case}/chronology.pdf", PDF),
    ("staff.pupil_search", "GET"): Call("/staff/pupils?q=Sam", page("Sam Jones")),
    ("staff.pupil_chronology", "GET"): Call("/staff/pupils/{pupil}", page("Sam Jones")),
    ("staff.pupil_chronology_pdf", "GET"): Call("/staff/pupils/{pupil}/chronology.pdf", PDF),
    ("staff.exports", "GET"): Call("/staff/exports", page()),
    ("staff.counts_csv", "GET"): Call("/staff/exports/counts.csv", served(200, "text/csv")),
    ("staff.notifications_since", "GET"): Call("/staff/api/notifications?since=0",
                                               json_reply(200, "notifications")),
    ("staff.board_panels", "GET"): Call("/staff/api/board", json_reply(200, "sign_off")),
    ("staff.closed_cases", "GET"): Call("/staff/api/reports?q=&page=1", json_reply(200, "rows")),
    ("staff.alert_screen", "GET"): Call("/staff/alerts", goes_to("/staff/")),
    ("staff.stop_alerts", "POST"): Call("/staff/alerts/stop",
                                        goes_to("/staff/login", codes=(303,))),
    ("staff.audit_log", "GET"): Call("/staff/audit", page()),
    ("staff.audit_checkpoints", "GET"): Call("/staff/audit/checkpoints", page()),
    ("staff.audit_checkpoints_text", "GET"): Call("/staff/audit/checkpoints.txt",
                                                  served(200, "text/plain")),
    ("staff.admin_users", "GET"): Call("/staff/admin/users", page()),
    ("staff.admin_create_user", "POST"): Call(
        "/staff/admin/users", BACK_TO_USERS, prepare=numbered,
        form={"email": "new{n}@school.example", "password": PASSWORD, "role": "staff"}),
    ("staff.admin_set_role", "POST"): Call("/staff/admin/users/{it2}/role", BACK_TO_USERS,
                                           form={"role": "it"}),
    ("staff.admin_set_password", "POST"): Call("/staff/admin/users/{it2}/password",
                                               BACK_TO_USERS, form={"password": PASSWORD}),
    ("staff.admin_unlock", "POST"): Call("/staff/admin/users/{it2}/unlock", BACK_TO_USERS),
    ("staff.admin_set_active", "POST"): Call("/staff/admin/users/{it2}/active", BACK_TO_USERS,
                                             form={"active": "1"}),
    ("staff.admin_reset_authenticator", "POST"): Call(
        "/staff/admin/users/{reader}/authenticator", page("Authenticator app for {reader_email}"),
        refusal={"it": "Your role cannot change a Deputy DSL account."}),
    ("staff.admin_kiosks", "GET"): Call("/staff/admin/kiosks", page()),
    ("staff.admin_create_kiosk", "POST"): Call("/staff/admin/kiosks", page("Enrol Hall {n}", 201),
                                               form={"name": "Hall {n}", "place": "Hall"},
                                               prepare=numbered),
    ("staff.admin_kiosk_code", "POST"): Call("/staff/admin/kiosks/{spare_kiosk}/code",
                                             page("Enrol Spare kiosk")),
    ("staff.admin_revoke_kiosk", "POST"): Call("/staff/admin/kiosks/{kiosk_id}/revoke",
                                               BACK_TO_KIOSKS, prepare=kiosk_to_revoke),
    ("staff.admin_staff_pin", "POST"): Call("/staff/admin/staff-pin", BACK_TO_KIOSKS,
                                            form={"pin": PIN, "confirm": PIN}),
    ("pupil.hearing_back_check", "POST"): Call(
        "/api/hearing-back", json_reply(200, "status"),
        json=lambda: {"code": ["star", "star", "star"]}, not_kiosk=refused_device),
    ("pupil.read_back", "POST"): Call("/api/read-back", served(200, "audio/wav"),
                                      json=lambda: {"text": "Someone keeps taking my things."},
                                      not_kiosk=refused_device),
    ("staff.choose_hearing_back", "POST"): Call("/staff/reports/{fresh}/hearing-back",
                                                BACK_TO_FRESH, form={"choice": "read"},
                                                prepare=fresh_case()),
    ("staff.change_pupil_role", "POST"): Call(
        "/staff/reports/{fresh}/pupils/{fresh_pupil}/role", BACK_TO_FRESH,
        form={"role": "witness"}, prepare=pupil_on_fresh_case),
    ("staff.remove_pupil", "POST"): Call(
        "/staff/reports/{fresh}/pupils/{fresh_pupil}/remove", BACK_TO_FRESH,
        form={"reason": "Added to the wrong case."}, prepare=pupil_on_fresh_case),
    ("staff.add_attachment", "POST"): Call("/staff/reports/{case}/attachments", BACK_TO_CASE,
                                           form=a_text_file),
    ("staff.attachment", "GET"): Call("/staff/reports/{case}/attachments/{attachment}",
                                      served(200, "text/plain")),
    ("staff.mark_about_staff", "POST"): Call(
        "/staff/reports/{fresh}/about-staff", BACK_TO_FRESH, prepare=fresh_case(),
        form={"staff_user_id": "{named}", "reason": "The pupil names their form tutor."}),
    ("staff.chair_sign_off", "POST"): Call(
        "/staff/reports/{fresh}/chair-sign-off", BACK_TO_FRESH, form={"comment": "Agreed."},
        prepare=about_the_head, refusal={
            "dsl": "Only the chair of governors signs off here",
            "deputy": "Only the chair of governors signs off here",
            "head": CHAIR_REFUSAL}),  # the case names the head: closed to them
    ("staff.not_referring", "POST"): Call(
        "/staff/reports/{fresh}/referral/reason", BACK_TO_FRESH, prepare=met_the_criteria,
        form={"reason": "Parents and the police are already involved."},
        refusal={"head": "Only the DSL or a deputy DSL records why"}),
    ("staff.sign_off_not_referring", "POST"): Call(
        "/staff/reports/{fresh}/referral/sign-off", BACK_TO_FRESH,
        prepare=reason_not_referring, form={"entry": "{entry}", "comment": "Agreed."},
        refusal={"dsl": "Only the head teacher (the chair of governors, for a case about "
                        "the head) can sign off a reason for not referring.",
                 "deputy": "Only the head teacher (the chair of governors, for a case about "
                           "the head) can sign off a reason for not referring."}),
    ("staff.imagery_review", "POST"): Call("/staff/reports/{fresh}/imagery/review",
                                           BACK_TO_FRESH, form=imagery_review_form,
                                           prepare=fresh_case()),
    ("staff.imagery_viewing", "POST"): Call(
        "/staff/reports/{fresh}/imagery/viewing", BACK_TO_FRESH, prepare=fresh_case(),
        form={"confirm": "yes", "same_sex": "yes", "present": "The head teacher",
              "reason": "unavoidable", "why": "The pupil showed it to their teacher.",
              "next": "Reported for removal.", "discussed_with_head": "yes"}),
    ("staff.imagery_staff_support", "POST"): Call(
        "/staff/reports/{fresh}/imagery/staff-support", BACK_TO_FRESH, prepare=fresh_case(),
        form={"staff": "The class teacher", "support": "Time out and a talk with the DSL."}),
    ("staff.imagery_device", "POST"): Call(
        "/staff/reports/{fresh}/imagery/device", BACK_TO_FRESH, prepare=fresh_case(),
        form={"device": "Phone", "switched_off": "on", "locked": "on", "held_by": "The DSL",
              "where": "The DSL's safe"}),
    ("staff.imagery_device_handed", "POST"): Call(
        "/staff/reports/{fresh}/imagery/device/handed", BACK_TO_FRESH,
        prepare=device_locked_away,
        form={"device_entry": "{device}", "officer": "PC Jones", "officer_number": "1234",
              "handed_at": "{handed_at}"}),
    ("staff.imagery_deletion_deadline", "POST"): Call(
        "/staff/reports/{fresh}/imagery/deletion-deadline", BACK_TO_FRESH,
        prepare=fresh_case(), form={"deadline": "2026-11-25", "told": "Both pupils",
                                    "reminded": "on"}),
    ("staff.imagery_decision_review", "POST"): Call(
        "/staff/reports/{fresh}/imagery/decision-review", BACK_TO_FRESH, prepare=decided,
        form={"decision_entry": "{decision}", "reviewers": "The DSL and the head teacher",
              "outcome": "keeps", "text": "Nothing new has come to light.",
              "next_review": "2026-11-27"}),
    ("staff.add_task", "POST"): Call(
        "/staff/reports/{case}/tasks", BACK_TO_CASE,
        form={"title": "Call home", "owner_id": "{dsl_id}", "due_date": "2026-11-20"}),
    ("staff.complete_task", "POST"): Call("/staff/reports/{case}/tasks/{task}/done",
                                          BACK_TO_CASE, prepare=a_task,
                                          form={"outcome": "Spoke to mum."}),
    ("staff.cancel_task", "POST"): Call("/staff/reports/{case}/tasks/{task}/cancel",
                                        BACK_TO_CASE, prepare=a_task,
                                        form={"reason": "Done at the meeting instead."}),
    ("staff.reassign_task", "POST"): Call("/staff/reports/{case}/tasks/{task}/owner",
                                          BACK_TO_CASE, prepare=a_task,
                                          form={"owner_id": "{deputy_id}", "reason": "Away."}),
    ("staff.change_due_date", "POST"): Call("/staff/reports/{case}/tasks/{task}/due",
                                            BACK_TO_CASE, prepare=a_task,
                                            form={"due_date": "2026-11-23", "reason": "INSET."}),
    ("staff.reopen_case", "POST"): Call("/staff/reports/{fresh}/reopen", BACK_TO_FRESH,
                                        prepare=closed_case,
                                        form={"reason": "The pupil has told us more."}),
    ("staff.link_case", "POST"): Call("/staff/reports/{fresh}/links", BACK_TO_FRESH,
                                      prepare=fresh_case(),
                                      form={"other": "{case}", "reason": "The same pupils."}),
    ("staff.unlink_case", "POST"): Call("/staff/reports/{fresh}/links/remove", BACK_TO_FRESH,
                                        prepare=linked_case,
                                        form={"other": "{case}", "reason": "Linked by mistake."}),
    ("staff.set_case_categories", "POST"): Call("/staff/reports/{fresh}/categories",
                                                BACK_TO_FRESH, prepare=fresh_case(),
                                                form={"category": ["bullying"]}),
    ("staff.case_categories", "GET"): Call("/staff/api/reports/{case}/categories",
                                           json_reply(200, "categories")),
    ("staff.import_pupils", "POST"): Call("/staff/pupils/import",
                                          page("Brought in pupils.csv: 1 new"),
                                          prepare=numbered, form=mis_export),
}
# Every kiosk-only route says what a device that is not a kiosk gets.
assert all(CALLS[key].not_kiosk for key, row in EXPECTED.items() if "not_kiosk" in row.values())


# -- the world: one app, seeded once --------------------------------------------------------

class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


class World:
    def __init__(self, app, clock):
        self.app, self.clock = app, clock
        self.clients, self.users, self.ids = {}, {}, {}
        self._number = 0

    def run(self, work):
        with self.app.app_context():
            return work(get_db())

    def tick(self):
        """Move the clock on a period, so each login has an authenticator code not used yet."""
        self.clock.now += timedelta(seconds=31)

    def fresh_number(self):
        self._number += 1
        return self._number

    def ready(self, principal):
        """The principal's client, logged in again if an earlier cell ended its login."""
        client = self.clients[principal]
        if principal in STAFF_ROLES and client.get("/staff/account").status_code != 200:
            self.tick()
            assert log_in(client, ACCOUNTS[principal][0], PASSWORD).status_code == 302
        return client

    def token(self, client):
        """This session's CSRF token, from a page the principal can load."""
        account = client.get("/staff/account")
        return csrf_from(account if account.status_code == 200 else client.get("/staff/login"))

    def snapshot(self):
        """The watched tables, less the audit's own bookmarks: an audited refusal seals
        the records stored before it into the chain, which changes no record."""
        return self.run(lambda db: {t: [r for r in db.query(f"SELECT * FROM {t} ORDER BY rowid")
                                        if not str(r.get("key", "")).startswith(SEALING)]
                                    for t in WATCHED})

    def audit_mark(self):
        return self.run(lambda db: db.execute("SELECT COALESCE(MAX(id), 0) FROM audit")
                        .fetchone()[0])

    def audit_since(self, mark):
        return self.run(lambda db: list(db.query("SELECT * FROM audit WHERE id > ? ORDER BY id",
                                                 [mark])))

    def new_kiosk_named(self):
        name = f"Spare {self.fresh_number()}"
        return name, self.new_kiosk(name)[1]

    def new_kiosk(self, name=None):
        name = name or f"Spare {self.fresh_number()}"
        return self.run(lambda db: kiosks.create_kiosk(db, name, "Store room", self.clock(),
                                                       "tests"))

    def new_case(self, decision=None, acknowledged=True, answers=None):
        """A new report from the kiosk: acknowledged, with a decision, as asked."""
        reply = self.clients["kiosk"].post("/api/reports", json=a_report(**(answers or {})))
        assert reply.status_code == 201, reply.get_data(as_text=True)
        dsl = self.users["dsl"]

        def work(db):
            report_id = next(db.query("SELECT id FROM reports WHERE client_id = ?",
                                      [reply.json["reference"]]))["id"]
            if acknowledged:
                acknowledge(db, report_id, dsl["id"], self.clock())
            if decision:
                cases.record_decision(db, report_id, dsl, self.clock(), decision,
                                      "Decided at the team meeting.")
            return report_id
        return self.run(work)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    patch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path_factory.mktemp("authz") / "instance"))
    clock = Clock(SCHOOL_MORNING)
    app = create_app({"TESTING": True, "CLOCK": clock, "VOSK_MODEL": ""})
    world = World(app, clock)

    def seed_accounts(db):
        for name, (email, role) in ACCOUNTS.items():
            world.users[name] = create_user(db, email, PASSWORD, role)
        kiosks.set_staff_pin(db, PIN, clock())
        problem = services().content.screens["problem"].say
        return (kiosks.create_kiosk(db, "Test kiosk", "Test room", clock(), "tests")[1],
                kiosks.create_kiosk(db, "Spare kiosk", "Store room", clock(), "tests")[0],
                services().speech.register([problem])[problem])
    code, spare, audio = world.run(seed_accounts)
    tls.ensure_ca(app.config["TLS_DIR"])

    world.clients["anon"] = app.test_client()
    world.clients["kiosk"] = app.test_client()
    enrol_device(world.clients["kiosk"], code)
    for role in STAFF_ROLES:
        world.clients[role] = app.test_client()
        assert log_in(world.clients[role], ACCOUNTS[role][0], PASSWORD).status_code == 302

    # One kiosk report (the case), one staff concern, one pupil linked to the case.
    case = world.new_case()
    staff = world.clients["staff"]
    assert staff.post("/staff/concerns/new", data=dict(
        concern_form(world, {}), csrf_token=world.token(staff))).status_code == 302

    def seed_records(db):
        concern = next(db.query("SELECT id FROM reports WHERE reported_by = ?",
                                [world.users["staff"]["id"]]))["id"]
        case_pupils.link(db, case, world.users["dsl"], clock(), name="Sam Jones",
                         year_group="Year 5")
        return concern, next(db.query("SELECT id FROM pupils"))["id"]
    concern, pupil = world.run(seed_records)
    # One attachment on the case, added through the case page's form.
    dsl = world.clients["dsl"]
    assert dsl.post(f"/staff/reports/{case}/attachments", data=dict(
        a_text_file(world, {}), csrf_token=world.token(dsl))).status_code == 302
    attachment = world.run(lambda db: next(db.query("SELECT id FROM attachments"))["id"])
    world.ids = {"case": case, "concern": concern, "pupil": pupil, "audio": audio,
                 "spare_kiosk": spare["id"], "dsl_id": world.users["dsl"]["id"],
                 "deputy_id": world.users["deputy"]["id"], "named": world.users["named"]["id"],
                 "it2": world.users["it2"]["id"], "reader": world.users["reader"]["id"],
                 "reader_email": ACCOUNTS["reader"][0], "attachment": attachment}
    yield world
    patch.undo()


def send(world, client, method, call, ids):
    path = call.path.format(**ids)
    if method == "GET":
        return client.get(path)
    if call.json is not None:
        return client.post(path, json=call.json())
    form = call.form(world, ids) if callable(call.form) else {
        name: value.format(**ids) if isinstance(value, str) else value
        for name, value in call.form.items()}
    return client.post(path, data=dict(form, csrf_token=world.token(client)))


def refusals(entries):
    return [e for e in entries if e["action"] == "refused"]


# -- the matrix -------------------------------------------------------------------------

def cells(table, bugs):
    for key, row in table.items():
        for principal in PRINCIPALS:
            marks = ([pytest.mark.xfail(strict=True, reason=bugs[key, principal])]
                     if (key, principal) in bugs else [])
            yield pytest.param(key, principal, marks=marks, id=f"{':'.join(key)}:{principal}")


def test_every_route_has_a_row(world):
    routes = {(rule.endpoint, method) for rule in world.app.url_map.iter_rules()
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    missing, extra = sorted(routes - set(EXPECTED)), sorted(set(EXPECTED) - routes)
    assert not missing, f"routes with no row in EXPECTED: {missing}"
    assert not extra, f"rows in EXPECTED for routes that do not exist: {extra}"
    assert set(CALLS) == set(EXPECTED), "every row in EXPECTED needs a way to call it in CALLS"
    for key, row in EXPECTED.items():
        assert set(row) == set(PRINCIPALS), f"{key} does not say what every principal gets"


@pytest.mark.parametrize("key, principal", list(cells(EXPECTED, KNOWN_BUGS)))
def test_route_access(world, key, principal):
    expected, call = EXPECTED[key][principal], CALLS[key]
    client = world.ready(principal)
    device = client.get_cookie(DEVICE_COOKIE)
    try:
        ids = dict(world.ids, **(call.prepare(world, principal) if call.prepare else {}))
        before, mark = world.snapshot(), world.audit_mark()
        response = send(world, client, key[1], call, ids)
        check(world, key, principal, expected, call, response, ids, before, mark)
    finally:
        if call.resets_login:  # the next cell logs this principal in again as itself
            with client.session_transaction() as session:
                session.clear()
        if device is None:  # enrolling makes a device a kiosk: put it back as it was
            client.delete_cookie(DEVICE_COOKIE)
        else:
            client.set_cookie(DEVICE_COOKIE, device.value)


def refusal_for(call, principal):
    """What a 403 must say: the route's own words, else the role's (the chair is refused
    by the case rule before any route's own check)."""
    default = CHAIR_REFUSAL if principal == CHAIR_ROLE else ROLE_REFUSAL
    if isinstance(call.refusal, dict):
        return call.refusal.get(principal, default)
    return default if principal == CHAIR_ROLE else call.refusal


def check(world, key, principal, expected, call, response, ids, before, mark):
    body = html.unescape(response.get_data().decode(errors="replace"))
    got = (f"{key} as {principal}: got {response.status_code} {response.location or ''} "
           f"{body[:300]!r}")
    refused = refusals(world.audit_since(mark))
    if expected == "ok":
        assert call.ok(response, ids), f"expected the route's success; {got}"
        assert not refused, got
        return
    if expected == "redirect_home":
        assert goes_to(HOME[principal], codes=(302,))(response, ids), got
        return
    assert world.snapshot() == before, f"a refused request changed the database; {got}"
    if expected == "login":
        if response.request.path.startswith("/staff/api/"):
            assert response.status_code == 401 and response.json == {
                "error": "Please log in again."}, got
        else:
            assert goes_to("/staff/login", codes=(302,))(response, ids), got
    elif expected == "not_here":
        assert response.status_code == 403 and KIOSK_REFUSED in body, got
        assert "Traceback" not in body
        assert len(refused) == (1 if key[1] == "POST" else 0), got
    elif expected == "not_kiosk":
        assert call.not_kiosk(response, ids), f"expected the not-a-kiosk answer; {got}"
    elif expected == "forbidden":
        message = refusal_for(call, principal)
        assert response.status_code == 403 and message in body, got
        assert "Traceback" not in body
        assert len(refused) == 1, f"expected one 'refused' audit entry, got {refused}; {got}"
        assert refused[0]["user_id"] == world.users[principal]["id"]
        assert response.request.path in refused[0]["detail"] + refused[0]["target"]
    else:
        raise AssertionError(f"unknown outcome {expected!r}")


# -- IT runs accounts, but never the DSL team's ------------------------------------------

IT_MAY_NOT = {
    "create a DSL account": ("/staff/admin/users", {"role": "dsl"},
                             "cannot create a Designated Safeguarding Lead account"),
    "create a deputy account": ("/staff/admin/users", {"role": "deputy"},
                                "cannot create a Deputy DSL account"),
    "create a head account": ("/staff/admin/users", {"role": "head"},
                              "cannot create a Head teacher account"),
    "make another IT account a DSL": ("/staff/admin/users/{it2}/role", {"role": "dsl"},
                                      "cannot give the role Designated Safeguarding Lead"),
    "make itself head": ("/staff/admin/users/{me}/role", {"role": "head"},
                         "cannot give the role Head teacher"),
    "change a reader's role": ("/staff/admin/users/{reader}/role", {"role": "staff"},
                               "cannot change a Deputy DSL account"),
    "set a reader's password": ("/staff/admin/users/{reader}/password",
                                {"password": "an IT chosen password"},
                                "cannot change a Deputy DSL account"),
    "reset a reader's authenticator": ("/staff/admin/users/{reader}/authenticator", {},
                                       "cannot change a Deputy DSL account"),
    "switch a reader off": ("/staff/admin/users/{reader}/active", {"active": "0"},
                            "cannot change a Deputy DSL account"),
}


@pytest.mark.parametrize("what", IT_MAY_NOT)
def test_it_may_not_manage_reader_accounts(world, what):
    path, form, message = IT_MAY_NOT[what]
    client = world.ready("it")
    ids = dict(world.ids, me=world.users["it"]["id"])
    form = dict(form, email=f"made-by-it-{world.fresh_number()}@school.example",
                password=form.get("password", PASSWORD), csrf_token=world.token(client))
    before, mark = world.snapshot(), world.audit_mark()
    response = client.post(path.format(**ids), data=form)
    assert response.status_code == 403
    assert f"Your role {message}." in html.unescape(
        response.get_data(as_text=True))
    assert world.snapshot() == before
    refused = refusals(world.audit_since(mark))
    assert len(refused) == 1 and refused[0]["user_id"] == world.users["it"]["id"]


def test_it_may_not_unlock_a_reader_account(world):
    """The Roles table: IT never runs an account with a reader role, unlocking included."""
    client = world.ready("it")
    response = client.post(f"/staff/admin/users/{world.ids['reader']}/unlock",
                           data={"csrf_token": world.token(client)})
    assert response.status_code == 403
    assert "cannot change a Deputy DSL account" in response.get_data(as_text=True)


def test_the_dsl_may_not_unlock_the_head(world):
    """The Roles table: the DSL runs the DSL team's, staff and IT accounts, not the head's."""
    client = world.ready("dsl")
    response = client.post(f"/staff/admin/users/{world.users['head']['id']}/unlock",
                           data={"csrf_token": world.token(client)})
    assert response.status_code == 403
    assert "cannot change a Head teacher account" in response.get_data(as_text=True)


# -- forged posts ---------------------------------------------------------------------------

FORGEABLE = [("dsl", "/staff/reports/{case}/acknowledge", {}),
             ("dsl", "/staff/reports/{case}/notes", {"text": "A forged note."}),
             ("it", "/staff/admin/users", {"email": "forged@school.example",
                                           "password": PASSWORD, "role": "it"}),
             ("it", "/staff/admin/kiosks", {"name": "Forged kiosk"}),
             ("staff", "/staff/concerns/new", concern_fields(pupil="X", words="Y",
                                                             q1=["what:unkind"])),
             ("deputy", "/staff/account/logout-everywhere", {})]


@pytest.mark.parametrize("token", ["none", "another session's"])
@pytest.mark.parametrize("principal, path, form", FORGEABLE,
                         ids=[f"{p}:{path}" for p, path, _ in FORGEABLE])
def test_a_post_without_this_sessions_token_is_refused(world, principal, path, form, token):
    client = world.ready(principal)
    world.token(client)  # this session has a token; the post does not carry it
    if token != "none":
        form = dict(form, csrf_token=world.token(world.clients["anon"]))
    before, mark = world.snapshot(), world.audit_mark()
    response = client.post(path.format(**world.ids), data=form)
    assert response.status_code == 400
    assert "did not come from this site" in html.unescape(response.get_data(as_text=True))
    assert world.snapshot() == before
    refused = refusals(world.audit_since(mark))
    assert len(refused) == 1 and refused[0]["user_id"] == world.users[principal]["id"]
    assert "form token missing or wrong" in refused[0]["detail"]
    assert client.get("/staff/account").status_code == 200  # still logged in


# -- id guessing ----------------------------------------------------------------------------

def test_staff_see_only_the_concerns_they_logged(world):
    staff2 = world.app.test_client()
    assert log_in(staff2, ACCOUNTS["staff2"][0], PASSWORD).status_code == 302
    assert staff2.post("/staff/concerns/new", data=dict(
        concern_form(world, {}), csrf_token=world.token(staff2))).status_code == 302
    concern_b = world.run(lambda db: next(db.query(
        "SELECT id FROM reports WHERE reported_by = ?", [world.users["staff2"]["id"]]))["id"])
    concern_a = world.ids["concern"]

    def references(client):
        page = client.get("/staff/concerns").get_data(as_text=True)
        return {int(cell.split("</td>")[0]) for cell in page.split("<tr><td>")[1:]}
    mine, theirs = references(world.ready("staff")), references(staff2)
    assert concern_a in mine and concern_b not in mine
    assert concern_b in theirs and concern_a not in theirs

    # There is no page for one concern: the list is all staff get, and a guessed case
    # page is refused for a concern of their own just as for anyone else's.
    staff = world.ready("staff")
    assert not [r.rule for r in world.app.url_map.iter_rules()
                if r.rule.startswith("/staff/concerns") and r.arguments]
    assert staff.get(f"/staff/concerns/{concern_b}").status_code == 404
    for report_id in (concern_a, concern_b, 9999):
        response = staff.get(f"/staff/reports/{report_id}")
        assert response.status_code == 403, report_id  # the same answer: no existence oracle
        assert ROLE_REFUSAL in response.get_data(as_text=True)


GUESSES = [("GET", "/staff/reports/9999", "There is no report 9999."),
           ("GET", "/staff/reports/9999/chronology", "There is no case 9999."),
           ("GET", "/staff/reports/9999/chronology.pdf", "There is no case 9999."),
           ("POST", "/staff/reports/9999/acknowledge", "There is no report 9999."),
           ("GET", "/staff/pupils/9999", "There is no pupil 9999 on record."),
           ("GET", "/staff/pupils/9999/chronology.pdf", "There is no pupil 9999 on record."),
           ("POST", "/staff/admin/users/9999/password", "There is no user 9999."),
           ("POST", "/staff/admin/users/9999/unlock", "There is no user 9999."),
           *[pytest.param("POST", f"/staff/reports/9999/{action}", "There is no case 9999.",
                          id=f"POST /staff/reports/9999/{action}")
             for action in ("assign", "notes", "decisions", "sign-off", "close", "pupil",
                            "merge", "about-staff", "chair-sign-off", "referral/reason",
                            "referral/sign-off", "imagery/review", "imagery/device",
                            "hearing-back", "tasks", "tasks/1/done", "reopen", "links",
                            "links/remove", "categories", "pupils/1/role", "pupils/1/remove")],
           ("GET", "/staff/reports/9999/attachments/1",
            "There is no such attachment on this case."),
           pytest.param("POST", "/staff/reports/{case}/merge?into=9999", "There is no case 9999.",
                        id="POST merge into a case that does not exist")]


@pytest.mark.parametrize("method, path, message", GUESSES)
def test_a_reader_guessing_an_id_gets_a_plain_404(world, method, path, message):
    client = world.ready("head")
    before = world.snapshot()
    path, _, query = path.format(**world.ids).partition("?")
    if method == "GET":
        response = client.get(path)
    else:  # every field any of these forms needs, so only the id is wrong
        response = client.post(path, data={
            "csrf_token": world.token(client), "text": "x", "decision": "nfa", "reason": "x",
            "summary": "x", "name": "x", "password": PASSWORD, "owner_id": world.ids["dsl_id"],
            "into": query.partition("=")[2] or world.ids["case"]})
    body = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 404 and message in body, body[:300]
    assert world.snapshot() == before


# -- Socket.IO ------------------------------------------------------------------------------

VOICE_EVENTS = ("connect", "start", "audio", "stop", "cancel", "disconnect")
SOCKET_READERS = {p: "ok" if p in READER_ROLES else "refused" for p in PRINCIPALS}
SOCKET_KIOSK = {p: "ok" if p == "kiosk" else "refused" for p in PRINCIPALS}
SOCKET_EXPECTED = {
    ("/staff", "connect"): SOCKET_READERS,
    ("/staff", "catch_up"): SOCKET_READERS,
    ("/staff", "disconnect"): SOCKET_READERS,
    **{("/voice", event): SOCKET_KIOSK for event in VOICE_EVENTS},
}
# ((namespace, event), principal) -> reason: strict xfails. (/voice checks the kiosk since
# commit 1e9ae9f; before it, every non-kiosk cell of /voice was one.)
SOCKET_BUGS = {}


def voice_start(sock):
    return sock.emit("start", {"page": "safe", "rate": 16000, "channels": 1,
                               "encoding": "s16le"}, namespace="/voice", callback=True) or {}


def heard(sock):
    return [e for e in sock.get_received("/voice") if e["name"] == "heard"]


def voice_audio(sock):
    """A chunk that is not 16-bit audio ends the utterance at once: it was listened to."""
    voice_start(sock)
    sock.emit("audio", b"\x00", namespace="/voice")
    return bool(heard(sock))


def voice_stop(sock):
    voice_start(sock)
    sock.emit("stop", namespace="/voice")
    return bool(heard(sock))


def voice_cancel(sock):
    started = voice_start(sock).get("ok")
    sock.emit("cancel", namespace="/voice")
    sock.emit("stop", namespace="/voice")
    return bool(started) and not heard(sock)


def staff_disconnect(sock):
    sock.disconnect(namespace="/staff")
    return not sock.is_connected("/staff")


def voice_disconnect(sock):
    sock.disconnect(namespace="/voice")
    return not sock.is_connected("/voice")


SOCKET_PROBES = {  # (namespace, event) -> did the server serve this connection?
    ("/staff", "connect"): lambda sock: True,
    ("/staff", "catch_up"): lambda sock: "notifications" in (sock.emit(
        "catch_up", {"since": 0}, namespace="/staff", callback=True) or {}),
    ("/staff", "disconnect"): staff_disconnect,
    ("/voice", "connect"): lambda sock: True,
    ("/voice", "start"): lambda sock: voice_start(sock).get("ok") is True,
    ("/voice", "audio"): voice_audio,
    ("/voice", "stop"): voice_stop,
    ("/voice", "cancel"): voice_cancel,
    ("/voice", "disconnect"): voice_disconnect,
}


def test_every_socket_handler_has_a_row(world):
    handlers = {(namespace, event) for namespace, events in socketio.server.handlers.items()
                for event in events}
    assert not handlers - set(SOCKET_EXPECTED), \
        f"Socket.IO handlers with no row: {sorted(handlers - set(SOCKET_EXPECTED))}"
    assert not set(SOCKET_EXPECTED) - handlers, \
        f"rows for handlers that do not exist: {sorted(set(SOCKET_EXPECTED) - handlers)}"
    assert set(SOCKET_PROBES) == set(SOCKET_EXPECTED)


@pytest.mark.parametrize("key, principal", list(cells(SOCKET_EXPECTED, SOCKET_BUGS)))
def test_socket_access(world, key, principal):
    namespace, _ = key
    client = world.ready(principal)
    mark = world.audit_mark()
    sock = socketio.test_client(world.app, namespace=namespace, flask_test_client=client)
    try:
        connected = sock.is_connected(namespace)
        used = connected and SOCKET_PROBES[key](sock)
    finally:
        if sock.is_connected(namespace):
            sock.disconnect(namespace=namespace)
    expected = SOCKET_EXPECTED[key][principal]
    assert used == (expected == "ok"), \
        f"{key} as {principal}: expected {expected}, connected={connected}, served={used}"
    refused = refusals(world.audit_since(mark))
    if expected == "refused" and namespace == "/staff" and principal in STAFF_ROLES:
        assert len(refused) == 1 and refused[0]["user_id"] == world.users[principal]["id"]
    elif expected == "ok":
        assert not refused


# -- the alert screen -----------------------------------------------------------------------

def test_only_readers_opening_the_dashboard_get_an_alert_screen_cookie(world):
    """The DSL team and the head. Not the chair: an alert screen sounds for every report,
    and the chair hears only of the cases about the head."""
    for principal in PRINCIPALS:
        client = world.ready(principal)
        client.delete_cookie(ALERT_COOKIE)
        client.get("/staff/")
        assert (client.get_cookie(ALERT_COOKIE) is not None) == (principal in TEAM_ROLES), \
            principal


def test_the_chairs_browser_never_alerts_of_every_report(world):
    """The chair opened their dashboard on this browser and logged out: no alert screen."""
    browser = world.app.test_client()
    world.tick()
    assert log_in(browser, ACCOUNTS[CHAIR_ROLE][0], PASSWORD).status_code == 302
    browser.get("/staff/")
    browser.post("/staff/logout", data={"csrf_token": world.token(browser)})
    world.new_case()
    assert goes_to("/staff/login")(browser.get("/staff/alerts"), {})


def test_the_chair_reads_a_case_about_the_head_and_the_head_does_not(world):
    case = about_the_head(world, CHAIR_ROLE)["fresh"]
    page = world.ready(CHAIR_ROLE).get(f"/staff/reports/{case}")
    assert page.status_code == 200 and f"Case {case}" in html.unescape(page.get_data(as_text=True))
    refused = world.ready("head").get(f"/staff/reports/{case}")
    assert refused.status_code == 403 and CHAIR_REFUSAL in html.unescape(
        refused.get_data(as_text=True))
    for principal in ("dsl", "deputy"):  # the DSL team still reads it
        assert world.ready(principal).get(f"/staff/reports/{case}").status_code == 200


def test_an_alert_screen_hears_where_and_when_and_can_read_nothing(world):
    """A DSL opened the dashboard on this browser and logged out: the alert cookie alone."""
    browser = world.app.test_client()
    world.tick()
    assert log_in(browser, DSL_EMAIL, PASSWORD).status_code == 302
    browser.get("/staff/")
    browser.post("/staff/logout", data={"csrf_token": world.token(browser)})
    sock = socketio.test_client(world.app, namespace="/staff", flask_test_client=browser)
    try:
        assert sock.is_connected("/staff")
        reply = sock.emit("catch_up", {"since": 0}, namespace="/staff", callback=True)
        assert set(reply) == {"alerts", "cursor"}  # never the notifications themselves
        sock.get_received("/staff")
        world.new_case()
        assert [e["name"] for e in sock.get_received("/staff")] == ["alert"]
    finally:
        sock.disconnect(namespace="/staff")
    case = world.ids["case"]
    assert goes_to("/staff/login")(browser.get(f"/staff/reports/{case}"), {})
    assert browser.get("/staff/api/notifications?since=0").status_code == 401
    assert browser.get("/staff/api/reports").status_code == 401
    assert browser.get("/staff/alerts").status_code == 200


def test_a_made_up_alert_screen_cookie_gets_nothing(world):
    browser = world.app.test_client()
    browser.set_cookie(ALERT_COOKIE, "guessed")
    sock = socketio.test_client(world.app, namespace="/staff", flask_test_client=browser)
    assert not sock.is_connected("/staff")
    assert goes_to("/staff/login")(browser.get("/staff/alerts"), {})
