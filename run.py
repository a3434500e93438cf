"""Start the kiosk server: python run.py [--host 0.0.0.0] [--port 5000] [--https]."""
import argparse
import sys
import threading

from kiosk import create_app, escalation, tls
from kiosk.staff import events as staff_events
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


def print_first_steps(app):
    """On a new install, say what to do next: nobody can log in and no device is a kiosk."""
    from kiosk.db import connect
    db = connect(app.config["DATABASE"])
    users, kiosks = db["users"].count, db["kiosks"].count
    db.close()
    if not users:
        print("No staff accounts yet. Add the DSL (it prints a QR code for their "
              "authenticator app):\n  flask --app kiosk create-user dsl@your.school --role dsl")
    if not kiosks:
        print("No kiosks yet. Enrol a device (it prints a one-time code and link):\n"
              "  flask --app kiosk create-kiosk \"Library kiosk\" --place Library")
    if not users or not kiosks:
        print("", flush=True)


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
    # Escalate reports nobody has acknowledged in time, from now until the server stops.
    escalation.start(app)
    # Close live dashboards whose login ended elsewhere or went idle.
    Ticker(app, "session sweep", staff_events.SWEEP_SECONDS, staff_events.sweep).start()
    if not args.https:
        base = f"http://{args.host}:{args.port}"
        print(f"Kiosk: {base}/kiosk   Dashboard: {base}/staff/", flush=True)
    print_first_steps(app)
    # Flask-SocketIO (threading mode) hands ssl_context on to werkzeug's run_simple.
    socketio.run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True,
                 ssl_context=ssl_context)
    return 0


if __name__ == "__main__":
    sys.exit(main())
