"""Send from WebKit on a school network: the server on this machine's own network address
over plain HTTP, as an iPad on a school LAN reaches it. Such a page is not a secure
context, so the browser's crypto.randomUUID is not there; the report must still go."""
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from webkit_kiosk import (THANKS, enrol, lan_address, lan_server, on_page, stored_answers,
                          tap, text_of, wait_until)

UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def server():
    """The real server listening on the machine's network address, not on loopback."""
    address = lan_address()
    if not address:
        pytest.fail("this machine has no network address other than loopback "
                    "(hostname -I printed none) to serve the school-network test on")
    with lan_server(address) as running:
        yield running


def test_a_report_is_sent_over_plain_http_from_a_school_network_address(webkit, server):
    assert not re.match(r"http://(127\.|localhost)", server.base_url)
    webkit.get(server.base_url + "/kiosk")
    assert webkit.execute_script(
        "return [window.location.protocol, window.isSecureContext, typeof crypto.randomUUID]"
    ) == ["http:", False, "undefined"]
    enrol(webkit, server)
    for name, then in [("Start", "safe"), ("Yes", "what")]:
        tap(webkit, name)
        on_page(webkit, then)
    tap(webkit, "Someone was unkind")
    tap(webkit, "Send now")
    on_page(webkit, "review")
    tap(webkit, "Send")
    wait_until(lambda: THANKS in (text_of(webkit, "#overlay-text") or ""), "the thank-you")
    assert stored_answers(server)[-1] == {"safe": ["yes"], "what": ["unkind"]}
    with closing(sqlite3.connect(Path(server.instance_path) / "kiosk.sqlite3")) as db:
        (client_id,), = db.execute("SELECT client_id FROM reports").fetchall()
    assert re.fullmatch(UUID4, client_id)  # made by the kiosk's own fallback, not crypto
