"""Start the kiosk server: python run.py [--host 0.0.0.0] [--port 5000] [--https]."""
import argparse
import sys
import threading

from kiosk import addresses, create_app, db as kiosk_db, jobs, server, tls
from kiosk.extensions import socketio


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Run the worry kiosk server.")
    parser.add_argument("--host", default="0.0.0.0",
                        help="address to listen on (default 0.0.0.0, every network, so iPads "
                             "can connect; 127.0.0.1 for this machine only, e.g. behind a "
                             "reverse proxy)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument("--threads", type=int, default=server.DEFAULT_THREADS,
                        help="connections served at once: each open dashboard or listening "
                             f"kiosk holds one (default {server.DEFAULT_THREADS})")
    parser.add_argument("--dev", action="store_true",
                        help="Werkzeug's development server instead of gunicorn, for working "
                             "on the code only")
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


def https_urls(names, host, port, scheme="https"):
    """Base URLs a device can use, given the address the server listens on."""
    if host in ("0.0.0.0", "::"):
        # 0.0.0.0 listens on IPv4 only, so IPv6 addresses would not answer.
        shown = [name for name in names if host == "::" or ":" not in name]
    else:
        shown = [host]
    return [addresses.url(scheme, name, port) for name in shown]


def print_http_addresses(host, port):
    """The http:// addresses kiosks and staff on the school network open."""
    urls = https_urls(tls.server_names(), host, port, scheme="http")
    lan = [url for url in urls if not any(local in url for local in LOOPBACK)]
    if lan:
        print("Open on kiosks and staff computers on the school network:",
              *(f"  {url}/kiosk   dashboard {url}/staff/" for url in lan), sep="\n")
    else:
        base = urls[0]
        print(f"Kiosk: {base}/kiosk   Dashboard: {base}/staff/")
    if host in ("127.0.0.1", "localhost", "::1"):
        print("Listening on this machine only: use --host 0.0.0.0 so iPads can connect "
              "(or a reverse proxy: docs/https.md).")
    print("", flush=True)


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


def start_background(app, prerender=True):
    """The work the server does between requests, in the process that serves them."""
    svc = app.extensions["kiosk"]
    if prerender:
        # Render every phrase once, off the request path, so the first tap is instant.
        threading.Thread(target=svc.speech.render_all, name="prerender", daemon=True).start()
    # Load the speech recognition model now, in the background, not on a pupil's first word.
    svc.voice.start()
    # The session sweep here, and the escalation ladder, email outbox and backup schedule
    # in exactly one of the school's processes (kiosk/jobs.py): now, not at the first request.
    jobs.start(app)
    return app


def serving_app(args, scheme):
    """The app for gunicorn's worker: built there, so its threads run where requests do."""
    def build():
        kiosk_db.forget_idle()  # connections opened before the fork belong to the master
        app = create_app()
        # The address emails link to when BASE_URL is not set (not one this machine only).
        if not addresses.is_loopback(args.host):
            app.config["LISTEN_URL"] = addresses.device_url(scheme, args.host, args.port)
        return start_background(app, prerender=not args.no_prerender)
    return build


def main(argv=None):
    args = parse_args(argv)
    app = create_app()
    svc = app.extensions["kiosk"]
    if svc.error:
        print(f"The kiosk will not start: content is not valid.\n{svc.error}", file=sys.stderr)
        return 1
    cert = None
    if args.https:
        try:
            cert = prepare_https(app, args)
        except tls.TLSError as exc:
            print(f"The kiosk will not start: {exc}", file=sys.stderr)
            return 1
    else:
        print_http_addresses(args.host, args.port)
    print_first_steps(app, args.host)
    scheme = "https" if args.https else "http"

    def listening():
        """Record where the server listens, for create-kiosk's links and the doctor."""
        addresses.record(app.instance_path, scheme, args.host, args.port)

    if args.dev:
        listening()
        start_background(app, prerender=not args.no_prerender)
        # Flask-SocketIO (threading mode) hands ssl_context on to werkzeug's run_simple.
        socketio.run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True,
                     ssl_context=cert)
        return 0
    certfile, keyfile = cert or (None, None)
    server.serve(serving_app(args, scheme), args.host, args.port, threads=args.threads,
                 certfile=certfile, keyfile=keyfile, on_ready=listening)
    return 0


if __name__ == "__main__":
    sys.exit(main())
