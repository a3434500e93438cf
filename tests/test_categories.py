"""The DSL's categories: the school's list, setting them on a case, the Prevent rule,
the dashboard and closed-case filters, and the governors' counts."""
import pytest

from helpers import DSL_PASSWORD, a_report, csrf_from, dashboard_page, log_in
from kiosk.accounts.users import create_user
from kiosk.db import get_db
from kiosk.safeguarding import categories
from kiosk.safeguarding.exports.counts import FEWER, WITHHELD, counts, published

HEAD = "head@school.example"


def post(client, path, **form):
    token = csrf_from(client.get("/staff/account"))
    return client.post(path, data=dict(form, csrf_token=token))


def current(db, report_id=1):
    return [r["code"] for r in categories.current(db, report_id)]


def entry_count(db):
    return db.execute("SELECT count(*) FROM report_events").fetchone()[0]


@pytest.fixture
def case(client, staff_client):
    assert client.post("/api/reports", json=a_report()).status_code == 201
    assert post(staff_client, "/staff/reports/1/acknowledge").status_code == 302
    return 1


@pytest.fixture
def head_client(app):
    with app.app_context():
        create_user(get_db(), HEAD, DSL_PASSWORD, "head")
    client = app.test_client()
    assert log_in(client, HEAD).status_code == 302
    return client


def test_the_school_list_names_what_the_policies_name():
    shipped = {c.code: c for c in categories.load()}
    for code in ("cyberbullying", "online_safety", "youth_produced_sexual_imagery",
                 "child_sexual_exploitation", "child_criminal_exploitation",
                 "peer_on_peer_abuse", "radicalisation"):
        assert code in shipped
    assert shipped["radicalisation"].close_needs == ("prevent_channel", "prevent_support")


@pytest.mark.parametrize("text, message", [
    ('[[category]]\ncode = "a"\nlabel = "A"\n', "schema = 1 is needed"),
    ("schema = 1\n", "at least one [[category]]"),
    ('schema = 1\n[[category]]\ncode = "Bad Code"\nlabel = "A"\n', "needs a code"),
    ('schema = 1\n[[category]]\ncode = "a"\nlabel = ""\n', "category 'a' needs a label"),
    ('schema = 1\n[[category]]\ncode = "a"\nlabel = "A"\n[[category]]\ncode = "a"\n'
     'label = "B"\n', "category 'a' is there twice"),
    ('schema = 1\n[[category]]\ncode = "a"\nlabel = "A"\nclose_needs = ["lado"]\n',
     "needs decision 'lado', which is not a decision"),
    ("schema = 1\n[[category\n", "categories.toml:"),
])
def test_a_broken_categories_file_is_refused_by_name(tmp_path, text, message):
    (tmp_path / "categories.toml").write_text(text)
    with pytest.raises(categories.CategoryError, match="categories.toml") as error:
        categories.load(tmp_path)
    assert message in str(error.value)


def test_a_school_adds_its_own_category(app, content_dir, case, staff_client):
    path = content_dir / "categories.toml"
    path.write_text(path.read_text() + '\n[[category]]\ncode = "county_lines"\n'
                    'label = "County lines"\n')
    app.config["CONTENT_DIR"] = str(content_dir)
    assert 'value="county_lines"' in staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert post(staff_client, "/staff/reports/1/categories",
                category="county_lines").status_code == 302


def test_the_dsl_sets_several_categories_each_change_an_entry(case, staff_client, db):
    response = staff_client.post("/staff/reports/1/categories", data={
        "category": ["bullying", "cyberbullying"], "reason": "Messages in a class group chat.",
        "csrf_token": csrf_from(staff_client.get("/staff/account"))})
    assert response.status_code == 302
    assert current(db) == ["bullying", "cyberbullying"]
    assert post(staff_client, "/staff/reports/1/categories",
                category="cyberbullying").status_code == 302
    assert current(db) == ["cyberbullying"]
    html = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert ("Categories set by the DSL</strong>: <span class=\"entry-text\">Added: Bullying, "
            "Cyberbullying. Now: Bullying, Cyberbullying. Reason: Messages in a class group "
            "chat.") in html
    assert "Removed: Bullying. Now: Cyberbullying" in html
    assert '<p id="categories-now">Cyberbullying</p>' in html
    kinds = [e["kind"] for e in db.query("SELECT kind FROM report_events ORDER BY id")]
    assert kinds == ["acknowledged", "categories_set", "categories_set"]
    pdf = staff_client.get("/staff/reports/1/chronology.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    printable = staff_client.get("/staff/reports/1/chronology").get_data(as_text=True)
    assert "Removed: Bullying" in printable


def test_taking_every_category_off_is_a_change_too(case, staff_client, db):
    post(staff_client, "/staff/reports/1/categories", category="neglect")
    assert post(staff_client, "/staff/reports/1/categories").status_code == 302
    assert current(db) == []
    assert "Removed: Neglect. Now: none" in staff_client.get(
        "/staff/reports/1").get_data(as_text=True)


@pytest.mark.parametrize("codes, status, message", [
    (["bullying", "made_up"], 400, "made_up&#39; is not one of the school&#39;s categories"),
    ([], 409, "Nothing changed"),
])
def test_bad_categories_are_refused_and_nothing_is_written(case, staff_client, db, codes,
                                                           status, message):
    before = entry_count(db)
    response = staff_client.post("/staff/reports/1/categories", data={
        "category": codes, "csrf_token": csrf_from(staff_client.get("/staff/account"))})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert entry_count(db) == before and current(db) == []


def test_categories_wait_for_acknowledgement_and_stop_at_closing(client, staff_client, db):
    client.post("/api/reports", json=a_report())
    refused = post(staff_client, "/staff/reports/1/categories", category="bullying")
    assert refused.status_code == 409 and "Acknowledge the report first" in refused.get_data(
        as_text=True)
    post(staff_client, "/staff/reports/1/acknowledge")
    post(staff_client, "/staff/reports/1/decisions", decision="mash", reason="Referred.")
    post(staff_client, "/staff/reports/1/close", summary="Referred.")
    closed = post(staff_client, "/staff/reports/1/categories", category="bullying")
    assert closed.status_code == 409 and "is closed" in closed.get_data(as_text=True)
    assert current(db) == []


def test_a_prevent_case_closes_only_with_a_prevent_decision(case, staff_client, db):
    post(staff_client, "/staff/reports/1/categories", category="radicalisation")
    post(staff_client, "/staff/reports/1/decisions", decision="parents_informed",
         reason="Mother told by phone.")
    post(staff_client, "/staff/reports/1/decisions", decision="mash", reason="Known to MASH.")
    refused = post(staff_client, "/staff/reports/1/close", summary="Done.")
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "in the category Radicalisation (Prevent)" in text
    assert "Referred to Prevent (Channel panel)" in text
    assert post(staff_client, "/staff/reports/1/decisions", decision="prevent_channel",
                reason="Referred to the local authority Prevent lead.",
                **{"prevent_channel.prevent_reference": "PV-2026-118"}).status_code == 302
    assert post(staff_client, "/staff/reports/1/close", summary="Referred.").status_code == 302
    html = staff_client.get("/staff/reports/1").get_data(as_text=True)
    assert "Decision: Referred to Prevent (Channel panel)" in html
    assert "Prevent referral reference: PV-2026-118" in html


def test_prevent_support_in_school_needs_the_heads_sign_off(case, staff_client, head_client, db):
    post(staff_client, "/staff/reports/1/categories", category="radicalisation")
    post(staff_client, "/staff/reports/1/decisions", decision="prevent_support",
         reason="Views discussed with the pupil and parents; mentoring in school.")
    refused = post(staff_client, "/staff/reports/1/close", summary="Support in school.")
    assert refused.status_code == 409 and "must sign off" in refused.get_data(as_text=True)
    post(head_client, "/staff/reports/1/sign-off", comment="Agreed.")
    assert post(staff_client, "/staff/reports/1/close",
                summary="Support in school.").status_code == 302


def test_dashboard_rows_carry_categories_and_the_api_gives_them(client, case, staff_client):
    client.post("/api/reports", json=a_report())
    post(staff_client, "/staff/reports/1/categories", category="self_harm")
    config = dashboard_page(staff_client.get("/staff/"))
    by_id = {r["id"]: r["categories"] for r in config["rows"]}
    assert by_id == {1: ["self_harm"], 2: []}
    assert '<option value="self_harm">Self-harm</option>' in staff_client.get(
        "/staff/").get_data(as_text=True)
    assert staff_client.get("/staff/api/reports/1/categories").get_json() == {
        "categories": ["self_harm"]}


def close(client, report_id, *codes):
    post(client, f"/staff/reports/{report_id}/acknowledge")
    if codes:
        client.post(f"/staff/reports/{report_id}/categories", data={
            "category": list(codes), "csrf_token": csrf_from(client.get("/staff/account"))})
    post(client, f"/staff/reports/{report_id}/decisions", decision="mash", reason="Referred.")
    assert post(client, f"/staff/reports/{report_id}/close",
                summary="Referred.").status_code == 302


def test_the_closed_search_filters_by_category(client, staff_client):
    for number, codes in ((1, ["bullying"]), (2, ["bullying", "neglect"]), (3, [])):
        client.post("/api/reports", json=a_report())
        close(staff_client, number, *codes)
    ids = lambda url: [r["id"] for r in staff_client.get(url).get_json()["rows"]]  # noqa: E731
    assert ids("/staff/api/reports?category=bullying") == [2, 1]
    assert ids("/staff/api/reports?category=neglect") == [2]
    assert ids("/staff/api/reports?category=neglect&q=1") == []
    assert ids("/staff/api/reports?category=bullying&q=2") == [2]
    assert ids("/staff/api/reports") == [3, 2, 1]
    assert staff_client.get("/staff/api/reports?category=bullying").get_json()["total"] == 2
    bad = staff_client.get("/staff/api/reports?category=nonsense")
    assert bad.status_code == 400


def test_governors_counts_count_the_dsl_categories_beside_the_pupils(client, staff_client, db):
    for number in range(1, 7):
        client.post("/api/reports", json=a_report())
        close(staff_client, number, *(["bullying"] if number <= 5 else ["neglect"]))
    rows = {(r.category, r.urgency): r.reports for r in counts(db)}
    assert rows[("DSL category: Bullying", "same-day")] == 5
    assert rows[("DSL category: Neglect", "same-day")] == 1
    assert rows[("All reports", "same-day")] == 6
    shown = {r.category: r.reports for r in published(counts(db))}
    assert shown["DSL category: Neglect"] == FEWER
    assert shown["All reports"] == WITHHELD  # else 6 - 5 gives Neglect away
    order = [r.category for r in counts(db)]
    assert order[0] == "All reports" and order[-1].startswith("DSL category: ")


def test_a_merged_duplicate_is_not_counted_twice(client, staff_client, db):
    for _ in range(2):
        client.post("/api/reports", json=a_report())
    for number in (1, 2):
        post(staff_client, f"/staff/reports/{number}/acknowledge")
        post(staff_client, f"/staff/reports/{number}/categories", category="bullying")
    post(staff_client, "/staff/reports/2/merge", into="1", reason="Sent twice.")
    rows = {r.category: r.reports for r in counts(db)}
    assert rows["DSL category: Bullying"] == 1
