"""Start the kiosk server: python run.py [--host 0.0.0.0] [--port 5000] [--https]."""
import argparse
import sys
import threading

from kiosk import create_app, tls
from kiosk.safeguarding import escalation, outbox
from kiosk.staff import live as staff_events
from kiosk.staff import help as staff_help
from kiosk.ticker import Ticker
from kiosk.extensions import socketio


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Run the worry kiosk server.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (0.0.0.0 for every network; default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument("--no-prerender", action="store_true",
                        help="do not render the speech cache in the background at start")
    parser.add_argument("--https", action="store_true",
                        help="serve HTTPS with a certificate from the kiosk's own CA "
                             "(iPad Safari needs it for the microphone; see docs/https.md)")
    parser.add_argument("--tls-name", action="append", default=[], metavar="NAME",
                        help="extra DNS name or IP address for the HTTPS certificate "
                             "(repeatable)")
    return parser.parse_args(argv)


LOOPBACK = ("//localhost:", "//127.0.0.1:", "//[::1]:")


def https_urls(names, host, port):
    """https:// base URLs a device can use, given the address the server listens on."""
    if host in ("0.0.0.0", "::"):
        # 0.0.0.0 listens on IPv4 only, so IPv6 addresses would not answer.
        shown = [name for name in names if host == "::" or ":" not in name]
    else:
        shown = [host]
    return [f"https://[{name}]:{port}" if ":" in name else f"https://{name}:{port}"
            for name in shown]


def prepare_https(app, args):
    """Make or reuse the CA and the server certificate, and say how to reach the kiosk."""
    extra = list(args.tls_name)
    if args.host not in ("0.0.0.0", "::"):
        extra.append(args.host)  # a specific listening address must be in the certificate
    names = tls.server_names(extra)
    ca_path = tls.ensure_ca(app.config["TLS_DIR"])
    cert_path, key_path = tls.ensure_server_cert(app.config["TLS_DIR"], names)
    urls = https_urls(names, args.host, args.port)
    # An iPad can always reach an address; a bare host name needs the school's DNS.
    lan = [url for url in urls if not any(local in url for local in LOOPBACK)]
    example = next((url for url in lan if url.split("//")[1][0] in "0123456789["),
                   (lan or urls)[0])
    print("Serving HTTPS. The kiosk is at:", *(f"  {url}/kiosk" for url in urls), sep="\n")
    print(f"Dashboard: {example}/staff/   CA certificate for iPads: {example}/ca.pem")
    print(f"CA fingerprint (SHA-256): {tls.fingerprint(ca_path)}")
    if args.host in ("127.0.0.1", "localhost", "::1"):
        print("Listening on this machine only: use --host 0.0.0.0 so iPads can connect.")
    print("", flush=True)
    return str(cert_path), str(key_path)


def print_first_steps(app, host):
    """Say what is missing from a pupil's tap to a person who acts, and each fix.

    The doctor's checks without the network (the email test is the last full run's), so
    the start is not held up; `flask --app kiosk doctor` makes them all."""
    from kiosk import doctor
    from kiosk.db import connect
    db = connect(app.config["DATABASE"])
    try:
        findings = doctor.run_checks(app, db, network=False, listen_host=host)
    finally:
        db.close()
    gaps = [finding for finding in findings if not finding.ok]
    if not gaps:
        print("Every link from a pupil's tap to a person who acts is in place "
              f"({doctor.COMMAND} checks it again, with a test email).\n", flush=True)
        return
    print(f"Not ready: {len(gaps)} gap{'s' * (len(gaps) != 1)} between a pupil's tap and "
          "a person who acts.", *doctor.lines(gaps), f"Then run {doctor.COMMAND} to check "
          "everything, with a test email.", "", sep="\n", flush=True)


def main(argv=None):
    args = parse_args(argv)
    app = create_app()
    svc = app.extensions["kiosk"]
    if svc.error:
        print(f"The kiosk will not start: content is not valid.\n{svc.error}", file=sys.stderr)
        return 1
    ssl_context = None
    if args.https:
        try:
            ssl_context = prepare_https(app, args)
        except tls.TLSError as exc:
            print(f"The kiosk will not start: {exc}", file=sys.stderr)
            return 1
    if not args.no_prerender:
        # Render every phrase once, off the request path, so the first tap is instant.
        threading.Thread(target=svc.speech.render_all, name="prerender", daemon=True).start()
    # Load the speech recognition model now, in the background, not on a pupil's first word.
    svc.voice.start()
    # Escalate reports and "Get an adult" nobody has acknowledged in time, from now until
    # the server stops; the record names who had a dashboard open.
    escalation.start(app, watching=staff_help.readers_watching)
    # Send queued email (arrival, escalation), retrying failures; woken by each new report.
    outbox.start(app)
    # Close live dashboards whose login ended elsewhere or went idle (they become alert
    # screens), and alert screens that have ended.
    Ticker(app, "session sweep", staff_events.sweep_seconds(app.config),
           staff_events.sweep).start()
    if not args.https:
        base = f"http://{args.host}:{args.port}"
        print(f"Kiosk: {base}/kiosk   Dashboard: {base}/staff/", flush=True)
    print_first_steps(app, args.host)
    # Flask-SocketIO (threading mode) hands ssl_context on to werkzeug's run_simple.
    socketio.run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True,
                 ssl_context=ssl_context)
    return 0


if __name__ == "__main__":
    sys.exit(main())
