"""Bad input never reaches a traceback: deep JSON, oversized bodies, broken JSON, on every
route that takes a body. Before issue 16, a report nested 10,000-30,000 deep answered 500
with a traceback every time (bench/bad_input.py shows memory staying flat now).
"""
import pytest

from helpers import a_report, rows
from kiosk.errors import MAX_JSON_DEPTH, TOO_DEEP, json_depth


def deep(depth):
    return '{"client_id": "x", "answers": ' + "[" * depth + "]" * depth + "}"


def post_routes(app):
    """Every POST route, with made-up ids where it takes one."""
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods:
            yield rule.build({name: 1 for name in rule.arguments}, append_unknown=False)[1]


@pytest.mark.parametrize("depth", [10_000, 30_000])
def test_a_deeply_nested_report_is_a_plain_400(app, client, depth, caplog):
    response = client.post("/api/reports", data=deep(depth), content_type="application/json")
    print(f"\nAFTER: depth {depth}: {response.status_code} {response.get_json()} (before: 500)")
    assert response.status_code == 400 and response.get_json() == {"error": TOO_DEEP}
    assert "Traceback" not in caplog.text
    assert rows(app, "SELECT * FROM reports") == []


@pytest.mark.parametrize("who", ["kiosk", "staff"])
def test_every_route_taking_a_body_refuses_deep_json_plainly(app, client, staff_client, who):
    browser = client if who == "kiosk" else staff_client
    for path in post_routes(app):
        response = browser.post(path, data=deep(20_000), content_type="application/json")
        assert response.status_code == 400, (path, response.status_code)
        assert b"Traceback" not in response.data


def test_nesting_as_deep_as_any_real_request_is_still_read(client):
    report = a_report()
    assert client.post("/api/reports", json=report).status_code == 201
    inner = MAX_JSON_DEPTH - 1  # the object itself is one level
    shallow = '{"client_id": "y", "answers": ' + "[" * inner + "]" * inner + "}"
    response = client.post("/api/reports", data=shallow, content_type="application/json")
    assert response.status_code == 400 and response.get_json() != {"error": TOO_DEEP}


def test_brackets_inside_words_do_not_count():
    text = ('{"words": "' + "[{" * 5000 + '\\"]"}').encode()
    assert json_depth(text, MAX_JSON_DEPTH) == 1


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b'{"answers": [}', b"null", b"[]",
                                  b'"' + b"\\" * 10_000, b"[" * 60_000])
def test_broken_json_is_a_plain_400(client, body):
    response = client.post("/api/reports", data=body, content_type="application/json")
    assert response.status_code == 400 and "error" in response.get_json()


def test_an_oversized_body_is_a_plain_413(client):
    response = client.post("/api/reports", data=b"[" * 100_000, content_type="application/json")
    assert response.status_code == 413
    assert response.get_json() == {"error": "That is too much to send at once."}


def test_the_live_channel_drops_a_deep_packet_before_parsing_it(app):
    """python-socketio decodes every packet with this json: a deep one becomes an event
    no handler listens for (bench/bad_input.py sends them to a real server)."""
    from kiosk.extensions import socketio
    from kiosk.jsonlimits import TOO_DEEP_EVENT, SocketJSON
    assert socketio.server.packet_class.json is SocketJSON
    assert SocketJSON.loads('["start",' + "[" * 30_000 + "]" * 30_000 + "]") == [TOO_DEEP_EVENT]
    assert SocketJSON.loads('["start", {"page": "what", "rate": 16000}]') == [
        "start", {"page": "what", "rate": 16000}]
