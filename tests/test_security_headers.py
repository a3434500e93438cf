"""Security headers on every route, for every kind of visitor, error answers included;
no inline script anywhere the policy would have to allow it; PDFs with no active content.

Before issue 16 no answer carried a Content-Security-Policy or any other of these headers.
"""
import io
import re

import pytest
from pypdf import PdfReader

from helpers import a_report
from kiosk import PROJECT_ROOT
from kiosk.db import get_db
from kiosk.headers import CSP, content_security_policy
from kiosk.safeguarding import case_pupils
from kiosk.accounts.users import get_user

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def every_route(app):
    """(endpoint, method, url) for every rule in the URL map, ids filled in."""
    for rule in app.url_map.iter_rules():
        values = {name: 1 for name in rule.arguments}
        values.update({"filename": "staff.css", "pack": "default", "file_name": "online.svg",
                       "key": "0" * 32} if rule.arguments else {})
        if rule.endpoint == "pupil.static":
            values["filename"] = "kiosk.js"
        elif rule.endpoint == "static":
            values["filename"] = "problem.css"
        url = rule.build(values, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, url


def check_headers(endpoint, response):
    where = (endpoint, response.status_code)
    policy = content_security_policy("localhost")  # the test client's host
    assert response.headers["Content-Security-Policy"] == policy, where
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, (where, name)
    policy = response.headers["Permissions-Policy"]
    microphone = "microphone=(self)" if endpoint == "pupil.kiosk" else "microphone=()"
    assert microphone in policy, (where, policy)


@pytest.fixture
def a_case(app, client, staff_client):
    client.post("/api/reports", json=a_report())
    with app.app_context():
        db = get_db()
        case_pupils.link(db, 1, get_user(db, 1), app.config["CLOCK"](), name="Sam Jones")


@pytest.mark.parametrize("who", ["anyone", "kiosk", "staff"])
def test_every_route_answers_with_the_security_headers(app, client, staff_client, a_case, who):
    browser = {"anyone": app.test_client(), "kiosk": client, "staff": staff_client}[who]
    seen = 0
    for endpoint, method, url in every_route(app):
        if endpoint == "staff.logout":
            continue  # would end the login the next routes need; its answer is a redirect
        response = browser.open(url, method=method)
        check_headers(endpoint, response)
        seen += 1
    assert seen >= 60


def test_the_policy_is_strict():
    policy = content_security_policy("school-server:5000")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    # Only this server's own WebSocket, for the kiosk's speech input.
    assert directives["connect-src"] == "'self' ws://school-server:5000 wss://school-server:5000"
    assert "unsafe" not in policy and "http" not in policy


def test_a_strange_host_header_gets_the_plain_policy():
    assert content_security_policy("evil.example; script-src *") == CSP


TEMPLATES = sorted((PROJECT_ROOT / "kiosk").rglob("*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style|\sstyle\s*=", re.I)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_template_has_inline_script_handlers_or_styles(template):
    text = template.read_text()
    assert not INLINE_SCRIPT.search(text)
    assert not HANDLER.search(text)
    assert not INLINE_STYLE.search(text)


def test_scripts_build_no_markup_with_handlers_or_styles():
    for script in (PROJECT_ROOT / "kiosk").rglob("static/*.js"):
        text = script.read_text()
        assert not re.search(r"setAttribute\(\s*[\"'](on[a-z]+|style)[\"']", text), script
        assert "eval(" not in text and "new Function" not in text, script


ACTIVE = ("/JavaScript", "/JS", "/OpenAction", "/AA", "/Launch", "/EmbeddedFile",
          "/SubmitForm", "/ImportData", "/RichMedia")


def _keys(node, seen):
    """Every dictionary key anywhere in a PDF object, following references once."""
    node = node.get_object() if hasattr(node, "get_object") else node
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value, seen)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value, seen)


@pytest.mark.parametrize("path", ["/staff/reports/1/chronology.pdf",
                                  "/staff/pupils/1/chronology.pdf"])
def test_the_chronology_pdfs_carry_no_active_content(a_case, staff_client, path):
    response = staff_client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    keys = set(_keys(reader.trailer, set()))
    for page in reader.pages:
        keys |= set(_keys(page, set()))
    assert not keys & set(ACTIVE), keys & set(ACTIVE)
    assert b"/JavaScript" not in response.data and b"/OpenAction" not in response.data
