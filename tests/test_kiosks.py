"""Kiosks: enrolment by a one-time code, reports and help naming the kiosk, revocation,
and the staff PIN that pauses a kiosk."""
import hashlib
import json
import re
from datetime import timedelta

import pytest

from kiosk import audit
from kiosk.devices import kiosks
from kiosk.devices.kiosks import KioskError

from helpers import a_report, csrf_from, enrol_device

PIN = "246810"


def counts(db):
    """How many rows each table a kiosk action may write holds."""
    return {table: db[table].count for table in ("kiosks", "settings", "audit", "reports",
                                                 "notifications", "help_requests", "outbox")}


def actions(db):
    return [row["action"] for row in db.query("SELECT action FROM audit ORDER BY id")]


def new_kiosk(app, name="Class 4 iPad", place="Class 4"):
    """A kiosk waiting to be enrolled: (kiosk, code)."""
    from kiosk.db import get_db
    with app.app_context():
        return kiosks.create_kiosk(get_db(), name, place, app.config["CLOCK"](), "tests")


@pytest.fixture
def device(app):
    """A device that is not a kiosk yet."""
    return app.test_client()


def kiosk_row(db, name="Test kiosk"):
    return kiosks.find_kiosk(db, name)


# ------------------------------------------------------------------ domain


def test_code_is_short_typeable_and_stored_only_as_a_hash(db, clock):
    kiosk, code = kiosks.create_kiosk(db, "Class 4 iPad", "Class 4", clock.now, "tests")
    assert re.fullmatch(r"[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}", code)
    stored = json.dumps(dict(kiosk))
    assert code not in stored and code.replace("-", "") not in stored
    assert kiosk["enrol_code_hash"] == hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    assert kiosk["enrol_expires"] == (clock.now + timedelta(hours=24)).isoformat()


def test_code_works_once_and_the_token_is_stored_only_as_a_hash(db, clock):
    _, code = kiosks.create_kiosk(db, "Class 4 iPad", "", clock.now, "tests")
    kiosk, token = kiosks.enrol(db, code.lower().replace("-", " "), clock.now)
    assert len(token) >= 43 and token not in json.dumps(dict(kiosk))
    assert kiosks.kiosk_for_token(db, token)["name"] == "Class 4 iPad"
    with pytest.raises(KioskError, match="already been used"):
        kiosks.enrol(db, code, clock.now)


def test_code_expires(db, clock):
    _, code = kiosks.create_kiosk(db, "Class 4 iPad", "", clock.now, "tests", hours=24)
    clock.now += timedelta(hours=24)
    before = counts(db)
    with pytest.raises(KioskError, match="expired.*enrol-code \"Class 4 iPad\""):
        kiosks.enrol(db, code, clock.now)
    assert counts(db) == before


@pytest.mark.parametrize("code, message", [
    ("", "Type the enrolment code"), ("2345-6789", "not right"), ("x" * 40, "not right")])
def test_wrong_code_is_refused(db, clock, code, message):
    kiosks.create_kiosk(db, "Class 4 iPad", "", clock.now, "tests")
    before = counts(db)
    with pytest.raises(KioskError, match=message):
        kiosks.enrol(db, code, clock.now)
    assert counts(db) == before


@pytest.mark.parametrize("name, place, message", [
    ("", "", "name is empty"), ("   ", "", "name is empty"),
    ("x" * 61, "", "name is too long: at most 60"), ("Class 5", "y" * 81, "place is too long"),
    ("Test kiosk", "", "already exists"), ("  test KIOSK ", "", "already exists")])
def test_bad_kiosk_names_are_refused_and_nothing_written(db, clock, name, place, message):
    kiosks.create_kiosk(db, "Test kiosk", "", clock.now, "tests")
    before = counts(db)
    with pytest.raises(KioskError, match=message):
        kiosks.create_kiosk(db, name, place, clock.now, "tests")
    assert counts(db) == before


def test_names_are_tidied_and_shown_as_text(app, device, db):
    _, code = new_kiosk(app, " <b>Hall</b>\x00  kiosk\n", "Main\thall")
    assert kiosk_row(db, "<b>Hall</b> kiosk")["place"] == "Main hall"
    html = device.get(f"/enrol?code={code}").get_data(as_text=True)
    assert "&lt;b&gt;Hall&lt;/b&gt; kiosk" in html and "<b>Hall" not in html


def test_a_new_device_replaces_the_old_one(db, clock):
    _, code = kiosks.create_kiosk(db, "Class 4 iPad", "", clock.now, "tests")
    _, old_token = kiosks.enrol(db, code, clock.now)
    _, code = kiosks.new_enrol_code(db, "class 4 ipad", clock.now)
    _, new_token = kiosks.enrol(db, code, clock.now)
    assert kiosks.kiosk_for_token(db, old_token) is None
    assert kiosks.kiosk_for_token(db, new_token)["name"] == "Class 4 iPad"


def test_revoked_kiosk_is_marked_and_cannot_come_back(db, clock):
    _, code = kiosks.create_kiosk(db, "Class 4 iPad", "", clock.now, "tests")
    _, token = kiosks.enrol(db, code, clock.now)
    kiosks.revoke_kiosk(db, "Class 4 iPad", clock.now)
    assert kiosks.kiosk_for_token(db, token)["revoked_at"] == clock.now.isoformat()
    before = counts(db)
    for attempt in (lambda: kiosks.revoke_kiosk(db, "Class 4 iPad", clock.now),
                    lambda: kiosks.new_enrol_code(db, "Class 4 iPad", clock.now)):
        with pytest.raises(KioskError, match="revoked"):
            attempt()
    assert counts(db) == before


@pytest.mark.parametrize("call", [kiosks.revoke_kiosk, kiosks.new_enrol_code])
def test_unknown_kiosk_is_named(db, clock, call):
    with pytest.raises(KioskError, match="no kiosk called 'Nowhere'.*list-kiosks"):
        call(db, "Nowhere", clock.now)


@pytest.mark.parametrize("pin", ["", "12345", "1234567890123", "12ab56", " 123456",
                                 "\uff11\uff12\uff13\uff14\uff15\uff16"])  # full-width digits
def test_staff_pin_must_be_6_to_12_digits(db, pin):
    before = counts(db)
    with pytest.raises(KioskError, match="6 to 12 digits"):
        kiosks.set_staff_pin(db, pin)
    assert counts(db) == before


def test_staff_pin_is_stored_as_a_scrypt_hash(db):
    kiosks.set_staff_pin(db, PIN)
    stored = db["settings"].get("staff_pin_hash")["value"]
    assert stored.startswith("scrypt:") and PIN not in stored
    assert PIN not in json.dumps([dict(r) for r in db.query("SELECT * FROM audit")])


def test_pin_checks_wrong_then_locked_then_right_after_the_pause(db, clock):
    kiosk, _ = kiosks.create_kiosk(db, "Class 4 iPad", "", clock.now, "tests")

    def check(pin):
        return kiosks.check_staff_pin(db, kiosk["id"], pin, clock.now, 3, 5)

    assert check(PIN).outcome == "unset"
    kiosks.set_staff_pin(db, PIN)
    assert check("000000") == kiosks.PinResult("wrong", attempts_left=2)
    assert check("000000") == kiosks.PinResult("wrong", attempts_left=1)
    assert check("000000") == kiosks.PinResult("locked", minutes_left=5)
    clock.now += timedelta(minutes=3, seconds=30)
    assert check(PIN) == kiosks.PinResult("locked", minutes_left=2)  # even the right one
    clock.now += timedelta(minutes=2)
    assert check(PIN).ok
    assert check("000000").attempts_left == 2  # a right PIN starts the count again
    assert [a for a in actions(db) if a.startswith("kiosk.pin")] == [
        "kiosk.pin_set", "kiosk.pin_failed", "kiosk.pin_failed", "kiosk.pin_locked",
        "kiosk.pin_ok", "kiosk.pin_failed"]
    assert audit.verify(db).ok


def test_every_kiosk_action_is_in_the_audit_log_without_secrets(db, clock):
    kiosk, code = kiosks.create_kiosk(db, "Class 4 iPad", "Class 4", clock.now, "someone")
    _, token = kiosks.enrol(db, code, clock.now, ip="10.0.0.7")
    _, code2 = kiosks.new_enrol_code(db, "Class 4 iPad", clock.now)
    kiosks.revoke_kiosk(db, "Class 4 iPad", clock.now)
    rows = list(db.query("SELECT * FROM audit ORDER BY id"))
    assert [(r["action"], r["actor"], r["target"]) for r in rows] == [
        ("kiosk.created", "someone", f"kiosk:{kiosk['id']}"),
        ("kiosk.enrolled", "kiosk: Class 4 iPad", f"kiosk:{kiosk['id']}"),
        ("kiosk.code", "server command line", f"kiosk:{kiosk['id']}"),
        ("kiosk.revoked", "server command line", f"kiosk:{kiosk['id']}")]
    assert rows[1]["ip"] == "10.0.0.7"
    logged = json.dumps([dict(r) for r in rows])
    for secret in (code, code.replace("-", ""), code2, token, kiosk["enrol_code_hash"]):
        assert secret not in logged
    assert audit.verify(db).ok


# ------------------------------------------------------------------ command line


def test_create_kiosk_prints_code_expiry_and_link(app, runner, db):
    app.config["BASE_URL"] = "https://kiosk.school.example/"
    result = runner.invoke(args=["create-kiosk", "Library kiosk", "--place", "Library"])
    assert result.exit_code == 0, result.output
    code = re.search(r"Enrolment code: (\S+)", result.output).group(1)
    assert "Kiosk: Library kiosk (Library)" in result.output
    assert "works once, until Thu 19 Nov 2026 10:30" in result.output  # London time
    assert f"Link: https://kiosk.school.example/enrol?code={code}" in result.output
    assert "open the link" in result.output
    entry = next(db.query("SELECT * FROM audit WHERE action = 'kiosk.created'"))
    assert entry["actor"] == "server command line"


def test_without_base_url_the_link_names_this_server_on_port_5000(runner):
    result = runner.invoke(args=["create-kiosk", "Library kiosk"])
    assert re.search(r"Link: http://[^/\s]+:5000/enrol\?code=[0-9A-Z]{4}-[0-9A-Z]{4}\n",
                     result.output), result.output


@pytest.mark.parametrize("args, message", [
    (["create-kiosk", "Test kiosk"], "already exists: choose another name, or use enrol-code"),
    (["create-kiosk", ""], "name is empty"),
    (["enrol-code", "Nowhere"], "no kiosk called 'Nowhere': list-kiosks shows them all"),
    (["revoke-kiosk", "Nowhere"], "no kiosk called 'Nowhere'")])
def test_cli_errors_say_how_to_fix_them(runner, db, clock, args, message):
    kiosks.create_kiosk(db, "Test kiosk", "", clock.now, "tests")
    before = counts(db)
    result = runner.invoke(args=args)
    assert result.exit_code == 1 and "Error: " in result.output
    assert message in result.output
    assert counts(db) == before


def test_enrol_code_list_and_revoke(runner, db, clock):
    kiosks.create_kiosk(db, "Class 4 iPad", "Class 4", clock.now, "tests")
    _, code = kiosks.create_kiosk(db, "Library kiosk", "", clock.now, "tests")
    kiosks.enrol(db, code, clock.now)
    kiosks.create_kiosk(db, "Old iPad", "", clock.now - timedelta(days=3), "tests")
    listing = runner.invoke(args=["list-kiosks"]).output
    assert listing.splitlines() == [
        "Class 4 iPad (Class 4): waiting, code valid until Thu 19 Nov 2026 10:30",
        "Library kiosk: enrolled on Wed 18 Nov 2026 10:30",
        "Old iPad: waiting, code expired on Mon 16 Nov 2026 10:30"]
    again = runner.invoke(args=["enrol-code", "old ipad"])
    assert again.exit_code == 0 and "Kiosk: Old iPad" in again.output
    assert runner.invoke(args=["revoke-kiosk", "Library kiosk"]).exit_code == 0
    assert "Library kiosk: revoked on Wed 18 Nov 2026" in runner.invoke(args=["list-kiosks"]).output


def test_list_kiosks_when_there_are_none(runner):
    assert "No kiosks yet" in runner.invoke(args=["list-kiosks"]).output


def test_set_staff_pin_prompts_twice_hidden(runner, db):
    result = runner.invoke(args=["set-staff-pin"], input=f"{PIN}\n{PIN}\n")
    assert result.exit_code == 0, result.output
    assert "Repeat for confirmation" in result.output and PIN not in result.output
    assert db["settings"].get("staff_pin_hash")["value"].startswith("scrypt:")


def test_set_staff_pin_from_stdin_and_a_bad_pin(runner, db):
    assert runner.invoke(args=["set-staff-pin", "--pin-stdin"], input=PIN + "\n").exit_code == 0
    bad = runner.invoke(args=["set-staff-pin", "--pin-stdin"], input="1234\n")
    assert bad.exit_code == 1 and "6 to 12 digits" in bad.output
    assert actions(db) == ["kiosk.pin_set"]


# ------------------------------------------------------------------ the device


def test_a_device_that_is_not_a_kiosk_is_told_calmly(device, db):
    for path in ("/", "/kiosk"):
        page = device.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "This device is not set up as a kiosk yet. Please ask an adult." in html
        assert 'name="code"' in html and 'id="journey"' not in html


def test_enrolment_link_names_the_kiosk_and_does_not_enrol(app, device, db):
    _, code = new_kiosk(app)
    for _ in range(2):  # a link preview and then the person: the code still works
        page = device.get(f"/enrol?code={code}")
        html = page.get_data(as_text=True)
        assert "Make this device the kiosk 'Class 4 iPad' (Class 4)?" in html
        assert f'value="{code}"' in html
    assert kiosk_row(db, "Class 4 iPad")["token_hash"] == ""
    assert not any("kiosk_device" in c for c in page.headers.getlist("Set-Cookie"))


def test_enrolling_sets_a_long_lived_httponly_cookie_and_opens_the_kiosk(app, device, db):
    _, code = new_kiosk(app)
    response = enrol_device(device, code)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("kiosk_device=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
    assert max_age >= 5 * 365 * 24 * 3600 - 10
    assert 'id="journey"' in device.get("/kiosk").get_data(as_text=True)
    assert actions(db)[-1] == "kiosk.enrolled"


def test_enrolment_needs_the_form_token(app, device, db):
    _, code = new_kiosk(app)
    device.get(f"/enrol?code={code}")
    before = counts(db)
    response = device.post("/enrol", data={"code": code})
    assert response.status_code == 400 and "expired or did not come" in response.get_data(True)
    assert counts(db) == before and kiosk_row(db, "Class 4 iPad")["token_hash"] == ""


@pytest.mark.parametrize("code, message", [
    ("2345-6789", "That code is not right."), ("", "Type the enrolment code")])
def test_bad_code_on_the_device_is_explained(app, device, db, code, message):
    new_kiosk(app)
    page = device.get(f"/enrol?code={code}")
    before = counts(db)
    response = device.post("/enrol", data={"code": code, "csrf_token": csrf_from(page)})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert counts(db) == before


def test_used_and_expired_codes_on_the_device(app, device, clock, db):
    _, code = new_kiosk(app)
    enrol_device(app.test_client(), code)
    assert "already been used" in device.get(f"/enrol?code={code}").get_data(as_text=True)
    _, code = new_kiosk(app, "Library kiosk")
    clock.now += timedelta(hours=25)
    page = device.get(f"/enrol?code={code}")
    assert page.status_code == 400 and "That code has expired" in page.get_data(as_text=True)


def revoke(app, name="Test kiosk"):
    from kiosk.db import get_db
    with app.app_context():
        kiosks.revoke_kiosk(get_db(), name, app.config["CLOCK"]())


def test_revoked_device_is_refused_everywhere_and_nothing_is_stored(app, client, db):
    revoke(app)
    before = counts(db)
    page = client.get("/kiosk")
    assert page.status_code == 403
    assert "This device is no longer a kiosk. Please tell an adult." in page.get_data(True)
    for path, body in (("/api/reports", a_report()), ("/api/help", None)):
        response = client.post(path, json=body)
        assert response.status_code == 403
        assert response.json == {"error": "this device is not an enrolled kiosk"}
    assert counts(db) == before


def test_a_device_that_is_not_a_kiosk_cannot_send(device, db):
    before = counts(db)
    assert device.post("/api/reports", json=a_report()).status_code == 403
    assert device.post("/api/help").json == {"error": "this device is not an enrolled kiosk"}
    assert counts(db) == before


def test_report_carries_the_kiosk_name(client, db):
    assert client.post("/api/reports", json=a_report()).status_code == 201
    report = next(db.query("SELECT * FROM reports"))
    assert report["kiosk"] == "Test kiosk" and report["kiosk_id"] == kiosk_row(db)["id"]
    notification = next(db.query("SELECT payload FROM notifications"))
    assert json.loads(notification["payload"])["kiosk"] == "Test kiosk"


def test_get_an_adult_names_the_kiosk_once_per_half_minute(client, clock, db):
    first = client.post("/api/help")
    assert first.status_code == 201
    again = client.post("/api/help")
    assert again.status_code == 200
    assert again.json == {"status": "already sent", "help_id": first.json["help_id"]}
    clock.now += timedelta(seconds=30)
    assert client.post("/api/help").status_code == 201
    payloads = [json.loads(r["payload"]) for r in db.query(
        "SELECT payload FROM notifications WHERE kind = 'help.new' ORDER BY id")]
    assert [(p["at"], p["kiosk"], p["place"]) for p in payloads] == [
        ("2026-11-18T10:30:00+00:00", "Test kiosk", "Test room"),
        ("2026-11-18T10:30:30+00:00", "Test kiosk", "Test room")]


def test_help_from_another_kiosk_is_not_held_back(app, client, db):
    other = app.test_client()
    enrol_device(other, new_kiosk(app)[1])
    assert client.post("/api/help").status_code == 201
    assert other.post("/api/help").status_code == 201


def test_pupil_page_has_no_staff_details(client, staff_client):
    html = client.get("/kiosk").get_data(as_text=True)
    assert "@" not in html.replace("@media", "")
    assert "Test room" not in html and "Test kiosk" not in html


# ------------------------------------------------------------------ staff PIN


def unlock(client, pin):
    return client.post("/api/kiosk/unlock", json={"pin": pin})


@pytest.fixture
def staff_pin(app):
    from kiosk.db import get_db
    with app.app_context():
        kiosks.set_staff_pin(get_db(), PIN)


def test_unlock_without_a_pin_set_says_how_to_set_one(client):
    response = unlock(client, PIN)
    assert response.status_code == 409
    assert response.json == {"error": "No staff PIN is set yet. School IT can set one with "
                                      "set-staff-pin."}


def test_unlock_wrong_then_locked(app, client, staff_pin, db):
    app.config.update(KIOSK_PIN_ATTEMPTS=3, KIOSK_PIN_LOCK_MINUTES=5)
    assert unlock(client, "111111").json == {"error": "That PIN is not right. 2 tries left."}
    wrong = unlock(client, "222222")
    assert wrong.status_code == 403 and wrong.json["error"].endswith("1 try left.")
    locked = unlock(client, "333333")
    assert locked.status_code == 429
    assert locked.json == {"error": "Too many wrong PINs. Try again in 5 minutes."}
    assert unlock(client, PIN).status_code == 429
    assert client.get("/kiosk/staff").status_code == 302
    assert audit.verify(db).ok


def test_a_lock_on_one_kiosk_leaves_the_others_alone(app, client, staff_pin):
    app.config.update(KIOSK_PIN_ATTEMPTS=1)
    other = app.test_client()
    enrol_device(other, new_kiosk(app)[1])
    assert unlock(client, "111111").status_code == 429
    assert unlock(other, PIN).status_code == 200


@pytest.mark.parametrize("body", [{"pin": 246810}, {"code": PIN}, ["246810"], None])
def test_unlock_needs_a_pin_as_text(client, staff_pin, db, body):
    before = counts(db)
    assert client.post("/api/kiosk/unlock", json=body).status_code == 400
    assert counts(db) == before


def test_unlock_needs_an_enrolled_kiosk(app, device, client, staff_pin):
    assert unlock(device, PIN).status_code == 403
    revoke(app)
    assert unlock(client, PIN).json == {"error": "this device is not an enrolled kiosk"}


def test_right_pin_pauses_the_kiosk_for_two_minutes(client, clock, staff_pin):
    assert client.get("/kiosk/staff").location == "/kiosk"
    response = unlock(client, PIN)
    assert response.status_code == 200 and response.json == {"next": "/kiosk/staff"}
    page = client.get("/kiosk/staff").get_data(as_text=True)
    assert "Kiosk paused: Test kiosk (Test room)" in page
    assert 'href="/kiosk"' in page and "Leave kiosk mode" in page
    clock.now += timedelta(minutes=2)
    assert client.get("/kiosk/staff").status_code == 302


def test_back_to_the_kiosk_ends_the_unlock(client, staff_pin):
    unlock(client, PIN)
    assert client.get("/kiosk").status_code == 200
    assert client.get("/kiosk/staff").status_code == 302


def test_leave_kiosk_mode_goes_to_staff_login_and_the_device_stays_a_kiosk(client, staff_pin):
    unlock(client, PIN)
    page = client.get("/kiosk/staff")
    assert client.post("/kiosk/leave").status_code == 400  # the form token is required
    left = client.post("/kiosk/leave", data={"csrf_token": csrf_from(page)})
    assert left.status_code == 303 and left.location == "/staff/login"
    assert client.get("/kiosk/staff").status_code == 302  # the unlock is over
    assert 'id="journey"' in client.get("/kiosk").get_data(as_text=True)


def test_leave_without_an_unlock_goes_back_to_the_kiosk(client):
    page = client.get("/enrol")  # any page with this session's form token
    response = client.post("/kiosk/leave", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303 and response.location == "/kiosk"


def test_unlock_belongs_to_the_kiosk_it_was_typed_on(app, client, staff_pin):
    unlock(client, PIN)
    revoke(app)
    assert client.get("/kiosk/staff").status_code == 302
