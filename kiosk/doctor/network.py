"""The checks that reach out: a test email through SMTP, and the address kiosks open."""
import ipaddress
import os
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import asdict
from datetime import datetime
from urllib.parse import urlsplit

from .. import addresses
from ..db import writing
from ..mailer import Mailer, MailError
from ..safeguarding.outbox import TEAM_ROLES, accounts
from .finding import COMMAND, Finding, gap, get_setting, put_setting, when

RESULT_SETTING = "doctor_last_run"  # {"at", "gaps", "email": the last email test}
OPEN_TIMEOUT = 5  # seconds to wait for BASE_URL/kiosk
SMTP_EXAMPLE = ('SMTP = {"host": "smtp.your.school", "port": 587, "starttls": True, '
                '"username": "...", "password": "...", "from": "kiosk-alerts@your.school"}')


def mailer_or_gap(config):
    """(the Mailer, None) when the SMTP setting can work, else (None, the gap)."""
    mailer = Mailer.from_config(config)
    if mailer is None:
        return None, gap("email", "Email is off (SMTP is not set): nobody is told of a report "
                                  'or a "Get an adult" while no dashboard is open.',
                         f"Set SMTP in instance/config.py, for example {SMTP_EXAMPLE} "
                         "(see docs/escalation.md).")
    problem = mailer.problem()
    if problem:
        return None, gap("email", f"The SMTP setting cannot work: {problem}.",
                         "Correct SMTP in instance/config.py (see docs/escalation.md).")
    return mailer, None


def mail_identity(mailer):
    """What a test result belongs to: a test of another server or login does not count."""
    return f"{mailer.server} {mailer.sender} {mailer.settings.get('username') or ''}".strip()


def team_addresses(db):
    """Everyone alert emails go to (the outbox's DSL team): active DSL, deputy, head."""
    return [user["email"] for user in accounts(db, TEAM_ROLES)]


def tested_email(config, db, now, to=()):
    """Send a content-free test message; say whether the SMTP server accepted it, and keep that."""
    mailer, problem = mailer_or_gap(config)
    if problem:
        return problem
    recipients = list(to) or team_addresses(db)
    if not recipients:
        return gap("email", "There is no address to send the test message to: no active "
                            "DSL, deputy or head account.",
                   f"Add the DSL's account first (above), or run {COMMAND} --to you@your.school")
    finding = _send_test(mailer, config, recipients, when(config, now))
    with writing(db):
        last = get_setting(db, RESULT_SETTING) or {}
        last["email"] = {**asdict(finding), "server": mail_identity(mailer),
                         "at": now.isoformat()}
        put_setting(db, RESULT_SETTING, last)
    return finding


def _send_test(mailer, config, recipients, at):
    """One test message to each recipient, carrying nothing about any report."""
    school = config.get("SCHOOL_NAME") or "your school"
    body = (f"This is a test message from the worry kiosk at {school}, sent by school IT "
            f"with the doctor command on {at}. It carries no report.\n\n"
            "Alerts about reports and \"Get an adult\" come from this address: make sure "
            "they do not go to junk mail.\n")
    messages = [mailer.message(to, "Worry kiosk: test message", body) for to in recipients]
    try:
        mailer.send(messages)
    except MailError as exc:
        return gap("email", f"The SMTP server did not accept the test message: {exc}.",
                   "Check SMTP in instance/config.py (host, port, starttls or ssl, username, "
                   "password, from) with whoever runs the school's email; see "
                   "docs/escalation.md.")
    return Finding("email", True,
                   found=f"{mailer.server} accepted a test message to {', '.join(recipients)}")


def email_from_last_run(config, db):
    """The SMTP setting checked without sending; whether it works, from the last real test."""
    mailer, problem = mailer_or_gap(config)
    if problem:
        return problem
    tested = (get_setting(db, RESULT_SETTING) or {}).get("email")
    if not tested or tested["server"] != mail_identity(mailer):
        return gap("email", f"Email is set ({mailer.server}) but not checked yet: no test "
                            "message has gone through it.",
                   f"Run {COMMAND} (it sends a test message to the DSL team).")
    tested_at = f"(tested {when(config, datetime.fromisoformat(tested['at']))})"
    if tested["ok"]:
        return Finding("email", True, found=f"{tested['found']} {tested_at}")
    return gap("email", f"{tested['problem']} {tested_at}", tested["fix"])


def store_run(db, now, findings):
    """Keep when the full check last ran and which links were missing."""
    with writing(db):
        last = get_setting(db, RESULT_SETTING) or {}
        last.update(at=now.isoformat(), gaps=[f.key for f in findings if not f.ok])
        put_setting(db, RESULT_SETTING, last)


def is_loopback(host, listening=False):
    """True for an address only this machine reaches (127.0.0.1, localhost, ::1).

    0.0.0.0 is every network to listen on, but nothing a device can open."""
    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # a name: the school's DNS decides, not this machine's /etc/hosts
    return address.is_loopback or (address.is_unspecified and not listening)


def this_machine_address():
    """This machine's address on the school network, for the examples in fixes."""
    try:  # no packet is sent: connecting a UDP socket only picks the outgoing address
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
    except OSError:
        return "SERVER-ADDRESS"


def check_address(config, network, listening=None):
    """BASE_URL is set, is an address iPads can open, agrees with where the server listens
    (`listening`, its record, unless a reverse proxy is in front), and (network=True)
    answers at /kiosk."""
    base = (config.get("BASE_URL") or "").rstrip("/")
    suggested = listening["url"] if listening and not addresses.is_loopback(
        listening["host"]) else f"http://{this_machine_address()}:5000"
    example = f'Set BASE_URL = "{suggested}" in instance/config.py: ' \
              "the address iPads and staff phones open (https://... when the server runs " \
              "with --https)."
    if not base and listening and not addresses.is_loopback(listening["host"]):
        return Finding("address", True, found=f"BASE_URL is not set: links use "
                       f"{listening['url']}, where the server listens (set BASE_URL to keep "
                       "them fixed if this machine's address may change)")
    if not base:
        return gap("address", "BASE_URL is not set: emails and enrolment links cannot carry "
                              "a working link to the kiosk.", example)
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return gap("address", f"BASE_URL '{base}' is not a web address.", example)
    if is_loopback(parts.hostname):
        return gap("address", f"BASE_URL {base} is this machine only: iPads and staff phones "
                              "cannot open it.", example)
    # Behind a reverse proxy BASE_URL is the proxy's address, not the server's own.
    if listening and not config.get("PROXY_HOPS"):
        problem = addresses.disagreement(base, listening)
        if problem:
            return gap("address", f"BASE_URL and the server disagree: {problem}.",
                       f"Set BASE_URL = \"{listening['url']}\" in instance/config.py, or "
                       "start the server so it listens where BASE_URL says (python3 run.py "
                       "--host 0.0.0.0 --port PORT, with --https for https://); behind a "
                       "reverse proxy set PROXY_HOPS (docs/https.md).")
    if not network:
        return Finding("address", True, found=f"{base} (not opened now: {COMMAND} opens it)")
    problem = open_problem(f"{base}/kiosk", config.get("TLS_DIR"))
    if problem:
        return gap("address", f"Nothing answered at {base}/kiosk: {problem}.",
                   "Start the server so the school network can reach it: python3 run.py "
                   "--host 0.0.0.0 (with --https when BASE_URL starts with https://); check "
                   "that BASE_URL is the address the iPads use.")
    return Finding("address", True, found=f"{base}/kiosk answers")


def open_problem(url, tls_dir):
    """Why `url` cannot be opened, or "" when it answers 200."""
    context = ssl.create_default_context()
    ca = os.path.join(tls_dir, "ca.pem") if tls_dir else ""
    if ca and os.path.exists(ca):
        context.load_verify_locations(ca)  # the kiosk's own CA, which the iPads trust
    # No proxy: kiosks on the school network go straight to the server.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url, timeout=OPEN_TIMEOUT) as answer:
            return "" if answer.status == 200 else f"it answered {answer.status}"
    except urllib.error.HTTPError as exc:
        return f"it answered {exc.code} {exc.reason}"
    except urllib.error.URLError as exc:
        return str(exc.reason)
    except (OSError, ValueError) as exc:
        return str(exc) or type(exc).__name__


def check_listen(host):
    """Whether the address the server listens on can be reached from other devices."""
    if is_loopback(host, listening=True):
        return gap("listen", f"The server listens on {host} only: iPads and other devices "
                             "cannot reach it.",
                   "Start it with python3 run.py --host 0.0.0.0 (add --https so iPads may "
                   "use the microphone).")
    return Finding("listen", True, found=f"listening on {host}")
