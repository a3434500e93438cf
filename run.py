"""Start the kiosk server: python run.py [--host 0.0.0.0] [--port 5000]."""
import argparse
import sys
import threading

from kiosk import create_app
from kiosk.extensions import socketio


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Run the worry kiosk server.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (0.0.0.0 for every network; default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port (default 5000)")
    parser.add_argument("--no-prerender", action="store_true",
                        help="do not render the speech cache in the background at start")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    app = create_app()
    svc = app.extensions["kiosk"]
    if svc.error:
        print(f"The kiosk will not start: content is not valid.\n{svc.error}", file=sys.stderr)
        return 1
    if not args.no_prerender:
        # Render every phrase once, off the request path, so the first tap is instant.
        threading.Thread(target=svc.speech.render_all, name="prerender", daemon=True).start()
    print(f"Kiosk: http://{args.host}:{args.port}/kiosk   Dashboard: http://{args.host}:{args.port}/staff/",
          flush=True)
    socketio.run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
