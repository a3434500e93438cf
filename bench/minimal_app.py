"""The least a store-and-emit server can do, as a yardstick for kiosks_at_once.py.

One POST route stores the body in SQLite (WAL, synchronous=FULL, so a send is on disk
before it is answered, as the kiosk's own) and emits a notification to a Socket.IO room;
Flask-SocketIO in threading mode on werkzeug, as run.py serves the kiosk. No login, no
checks, no triage: what is left is the cost of the web server, the socket and the disk.

    python bench/minimal_app.py --port 5001 --database /tmp/minimal.sqlite3
"""
import argparse
import json
import sqlite3

from flask import Flask, request
from flask_socketio import SocketIO, join_room

ROOM, NAMESPACE = "staff", "/staff"  # the names the kiosk's dashboards use


def create_app(database):
    """The app and its Socket.IO server, storing into `database`."""
    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="threading")
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS reports (id INTEGER PRIMARY KEY, "
                     "client_id TEXT UNIQUE, kiosk TEXT, body TEXT)")

    @app.get("/kiosk")
    def ready():
        """Answers 200 so the benchmark's readiness check works unchanged."""
        return "ready"

    @app.post("/api/reports")
    def store():
        """Store the body, answer once it is committed, then emit to the room."""
        body = request.get_json()
        conn = sqlite3.connect(database, timeout=10)
        try:
            conn.execute("PRAGMA synchronous=FULL")
            with conn:  # commits, or rolls back on an error
                report_id = conn.execute(
                    "INSERT INTO reports (client_id, kiosk, body) VALUES (?, ?, ?)",
                    [body["client_id"], body["kiosk"], json.dumps(body)]).lastrowid
        finally:
            conn.close()
        socketio.emit("notification", {"id": report_id, "kind": "report.new",
                                       "payload": {"id": report_id, "kiosk": body["kiosk"]}},
                      to=ROOM, namespace=NAMESPACE)
        return {"status": "stored", "reference": body["client_id"]}, 201

    @socketio.on("connect", namespace=NAMESPACE)
    def connect(auth=None):
        """Every dashboard joins the room."""
        join_room(ROOM)

    return app, socketio


def main():
    """Serve on loopback until killed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    args = parser.parse_args()
    app, socketio = create_app(args.database)
    socketio.run(app, host="127.0.0.1", port=args.port, allow_unsafe_werkzeug=True)


if __name__ == "__main__":
    main()
