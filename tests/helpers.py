"""Helpers the tests share: a report as the kiosk sends it, logging staff in."""
import sqlite3
import uuid
from datetime import datetime, timezone

DSL_EMAIL, DSL_PASSWORD = "dsl@school.example", "a long test password"
# Wednesday 18 November 2026, 10:30 in London (GMT): a school day before the cut-off.
SCHOOL_MORNING = datetime(2026, 11, 18, 10, 30, tzinfo=timezone.utc)


class Clock:
    """A clock tests can set; the app reads the time only through it."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


def csrf_from(response):
    """The CSRF token a page put in its form."""
    html = response.get_data(as_text=True)
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def log_in(client, email=DSL_EMAIL, password=DSL_PASSWORD, code=None):
    """Log in as a person would: the password, then for readers the authenticator code.

    The code is worked out from the account's secret, as the phone app would, unless a
    test gives one; the answer to the last step is returned."""
    token = csrf_from(client.get("/staff/login"))
    response = client.post("/staff/login", data={"email": email, "password": password,
                                                 "csrf_token": token})
    if response.status_code != 302 or "/staff/login/code" not in response.location:
        return response
    form = client.get("/staff/login/code")
    return client.post("/staff/login/code", data={
        "code": code or authenticator_code(client.application, email),
        "csrf_token": csrf_from(form)})


def authenticator_code(app, email):
    """The code an authenticator app would show now that has not been used yet."""
    from kiosk.accounts import totp
    from kiosk.db import get_db
    from kiosk.accounts.users import find_user
    with app.app_context():
        user = find_user(get_db(), email)
    now = totp.step_at(app.config["CLOCK"]())
    # The app clock may stand still in a test; a phone's code for the next period is
    # accepted too (clock drift), so a second login at the same instant still works.
    step = max(now - totp.WINDOW, user["totp_last_step"] + 1)
    return totp.code_for(user["totp_secret"], step)


def a_report(**answers):
    """A submission as the kiosk sends it."""
    return {"client_id": str(uuid.uuid4()),
            "answers": answers or {"safe": ["yes"], "what": ["unkind"], "when": ["today"]}}


def concern_fields(**fields):
    """The fewest fields a valid staff concern needs (the form in staff words), then these.

    A disclosure, told this morning, about no one in danger; `danger="yes"` makes it urgent.
    Journey answers go as q1, q2, q3 (content/concern_form.toml), e.g. q1=["what:hurt"]."""
    data = {"client_id": str(uuid.uuid4()), "pupil": "Sam Jones", "how": "disclosure",
            "words": "Someone keeps taking my things.", "told_at": "2026-11-18T09:15",
            "happened_roughly": "at lunch", "actions": "Listened; Sam is back in class.",
            "informed": "nobody", "danger": "no"}
    data.update(fields)
    return data


def post_concern(client, **fields):
    """Log a staff concern through the real form: its token and client id, then the fields."""
    page = client.get("/staff/concerns/new")
    client_id = page.get_data(as_text=True).split('name="client_id" value="', 1)[1][:36]
    data = concern_fields(client_id=client_id, csrf_token=csrf_from(page))
    data.update(fields)
    return client.post("/staff/concerns/new", data=data)


def enrol_device(client, code):
    """Make a test client a kiosk device: open the enrolment link, then confirm."""
    page = client.get(f"/enrol?code={code}")
    assert page.status_code == 200, page.get_data(as_text=True)
    response = client.post("/enrol", data={"code": code, "csrf_token": csrf_from(page)})
    assert response.status_code == 303 and response.location.endswith("/kiosk")
    return response


def kiosk_device(app, name=None, place="Test room"):
    """A new test client enrolled as a kiosk (a fresh kiosk name unless given)."""
    from kiosk.devices import kiosks
    from kiosk.db import get_db
    client = app.test_client()
    with app.app_context():
        _, code = kiosks.create_kiosk(get_db(), name or f"Kiosk {uuid.uuid4().hex[:8]}", place,
                                      app.config["CLOCK"](), "tests")
    enrol_device(client, code)
    return client


def rows(app, sql, args=()):
    """Read the app's database directly, outside any request (as an inspector would)."""
    conn = sqlite3.connect(app.config["DATABASE"])
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, args)]
    finally:
        conn.close()


def dashboard_page(response):
    """The data a dashboard page was served with (dashboard.js draws its rows from it)."""
    import json
    html = response.get_data(as_text=True)
    start = html.index('<script id="dashboard-config" type="application/json">')
    body = html[html.index(">", start) + 1:html.index("</script>", start)]
    return json.loads(body)


def tamper(app, *statements):
    """Change the database file directly, as someone with a copy of it could."""
    conn = sqlite3.connect(app.config["DATABASE"])
    try:
        for sql, *args in statements:
            conn.execute(sql, *args)
        conn.commit()
    finally:
        conn.close()
