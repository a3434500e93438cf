"""A worry about another child ("a friend or parent may inform someone in school", policy
004): the first page offers it, the journey speaks of "them", the report keeps that it
is about someone else, and the DSL reads it plainly on the case, the dashboard and the
chronology."""
import io
import json
import re

import pytest
from pypdf import PdfReader

from helpers import a_report, dashboard_page, kiosk_device, rows, tamper
from kiosk.services import services

FRIEND = {"safe": ["yes"], "what": ["unkind"], "when": ["today"]}


def journey(app):
    page = kiosk_device(app).get("/kiosk").get_data(as_text=True)
    return json.loads(page.split('<script id="journey" type="application/json">')[1]
                      .split("</script>")[0])


def test_the_first_page_offers_a_worry_about_someone_else(app):
    data = journey(app)
    first = data["pages"][data["flow"][0]]
    tile = next(t for t in first["tiles"] if t["id"] == "someone_else")
    assert tile["label"] == "I'm worried about someone else"
    assert tile["about"] == "someone_else" and tile["audio"] and tile["symbol"]


def test_the_journey_has_its_own_words_for_a_friend(app):
    pages = journey(app)["pages"]
    assert pages["safe"]["someone_else"]["prompt"]["text"] == "Are they safe right now?"
    what = pages["what"]["someone_else"]
    assert what["prompt"]["text"] == "What happened to them?"
    assert what["tiles"]["hurt"]["label"] == "Someone hurt them or touched them"
    assert all(t["audio"] for t in what["tiles"].values())
    # Pages without their own wording (where, name) keep the pupil's: they still fit.
    assert pages["where"]["someone_else"] is None


@pytest.mark.parametrize("code", ["cy", "pl", "ur", "ar"])
def test_every_shipped_language_words_a_friend_s_worry(app, code):
    with app.app_context():
        language = services().content.languages[code]
    english = services_english(app)
    for key in english:
        if ".someone_else." in key or key.endswith("tiles.someone_else"):
            assert key in language.strings, f"{code} lacks {key}"
            assert language.strings[key][0] != english[key][0], f"{code} {key} is English"


def services_english(app):
    with app.app_context():
        return services().content.languages["en"].strings


def test_a_report_about_someone_else_is_kept_as_such(client, db):
    response = client.post("/api/reports", json=a_report(**FRIEND) | {"about": "someone_else"})
    assert response.status_code == 201
    assert next(db.query("SELECT about FROM reports"))["about"] == "someone_else"
    client.post("/api/reports", json=a_report(**FRIEND))
    assert [r["about"] for r in db.query("SELECT about FROM reports ORDER BY id")] == [
        "someone_else", ""]


@pytest.mark.parametrize("about", ["me", "SOMEONE_ELSE", 3, ["someone_else"]])
def test_anything_else_in_about_is_refused_and_nothing_stored(client, db, about):
    response = client.post("/api/reports", json=a_report(**FRIEND) | {"about": about})
    assert response.status_code == 400
    assert "'about' must be 'someone_else'" in response.get_data(as_text=True)
    assert db["reports"].count == 0


def test_who_a_report_is_about_cannot_be_changed_and_a_change_is_named(app, client, runner):
    client.post("/api/reports", json=a_report(**FRIEND) | {"about": "someone_else"})
    with pytest.raises(Exception, match="cannot be changed"):
        tamper(app, ("UPDATE reports SET about = '' WHERE id = 1",))
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    tamper(app, ("DROP TRIGGER reports_about_fixed",),
           ("UPDATE reports SET about = '' WHERE id = 1",))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "sealed report #1, which has been changed since it was stored" in result.output


def test_the_dsl_sees_plainly_that_it_is_about_another_child(client, staff_client):
    client.post("/api/reports", json=a_report(**FRIEND) | {"about": "someone_else"})
    client.post("/api/reports", json=a_report(**FRIEND))
    case = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "About another child." in case
    assert "About another child." not in staff_client.get("/staff/reports/2").get_data(
        as_text=True)
    listed = {r["id"]: r["about"] for r in dashboard_page(staff_client.get("/staff/"))["rows"]}
    assert listed == {1: "someone_else", 2: ""}
    pdf = staff_client.get("/staff/reports/1/chronology.pdf")
    text = re.sub(r"\s+", " ", "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages))
    assert "Another child: the pupil who sent it was worried about someone else" in text


def test_old_reports_keep_their_seals_now_that_about_is_sealed(app, client, runner):
    """Reports sealed before `about` existed hash as they did: only a value other than
    the empty one is added to a seal."""
    client.post("/api/reports", json=a_report(**FRIEND))
    seal = rows(app, "SELECT sha256 FROM audit_seals WHERE table_name = 'reports'")[0]
    from kiosk.audit.chain import SEALED, content_hash
    row = rows(app, f"SELECT {', '.join(SEALED['reports'])} FROM reports")[0]
    assert content_hash("reports", row) == seal["sha256"]  # as before the column
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0
