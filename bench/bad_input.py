"""A long run of bad input against a real server: deep JSON (10,000-30,000 levels), broken
and oversized bodies, to every route that takes JSON and to the live channel; prints the answers it got and the
server's memory (RSS) before and after. Every answer should be a plain 4xx, and memory
flat: before issue 16 deep JSON answered 500 with a traceback and RSS grew 164 -> 499 MB.
"""
import argparse
import collections
import os
import random
import time

import requests

from _server import running_server

DEEP = (10_000, 20_000, 30_000)
# Every route a kiosk can post to, and two staff ones. "Get an adult" and "more time"
# read no body, so they answer as usual (200/201) whatever is sent.
ROUTES = ("/api/reports", "/api/help", "/api/kiosk/unlock", "/api/kiosk/more-time",
          "/kiosk/settings", "/enrol", "/staff/login", "/staff/reports/1/acknowledge")


def parse_args():
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=3000,
                        help="bad requests to send (default 3000)")
    return parser.parse_args()


def rss_mb(pid):
    """The process's resident memory in MB, from /proc."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS line")


def bad_bodies():
    """The kinds of bad body sent, each as (name, bytes)."""
    for depth in DEEP:
        yield f"nested {depth}", (b'{"client_id":"x","answers":' + b"[" * depth
                                  + b"]" * depth + b"}")
    yield "objects 20000", b'{"a":' * 20_000 + b"1" + b"}" * 20_000
    yield "unclosed", b"[" * 60_000
    yield "not utf-8", b"\xff\xfe\x00{"
    yield "cut short", b'{"client_id": "x", "answers": {"safe": ["y'
    yield "too big", b"[" * 200_000
    yield "backslashes", b'"' + b"\\" * 60_000


def run(server, count):
    """Send `count` bad requests as an enrolled kiosk; returns the answers seen."""
    kiosk = server.kiosk_session()
    bodies = list(bad_bodies())
    answers = collections.Counter()
    rng = random.Random(16)
    for _ in range(count):
        name, body = rng.choice(bodies)
        route = rng.choice(ROUTES)
        try:
            reply = kiosk.post(server.base_url + route, data=body, timeout=30,
                               headers={"Content-Type": "application/json",
                                        "Connection": "close"})
        except requests.ConnectionError:
            # A body over MAX_CONTENT_LENGTH is refused (413) before it is read, and the
            # connection closed: the client may see only the close.
            answers[(route, 413, False)] += 1
            continue
        answers[(route, reply.status_code, "Traceback" in reply.text)] += 1
    return answers


def socket_run(server, count):
    """Deep packets on the live channel (Socket.IO over long-polling), as a kiosk; returns
    the answers seen to each post."""
    kiosk, answers = server.kiosk_session(), collections.Counter()
    base = server.base_url + "/socket.io/?EIO=4&transport=polling"
    sid = kiosk.get(base, timeout=10).text.split('"sid":"', 1)[1].split('"', 1)[0]
    url = f"{base}&sid={sid}"
    kiosk.post(url, data="40/voice,", timeout=10)
    kiosk.get(url, timeout=10)  # the namespace's connect answer
    for n in range(count):
        depth = DEEP[n % len(DEEP)]
        reply = kiosk.post(url, data='42/voice,["start",' + "[" * depth + "]" * depth + "]",
                           timeout=30)
        answers[("socket.io /voice", reply.status_code, "Traceback" in reply.text)] += 1
    return answers


def main():
    """Start a server, warm it with one good report, then run the bad input."""
    args = parse_args()
    with running_server() as server:
        pid = server.process.pid
        warm = server.kiosk_session()
        warm.post(server.base_url + "/api/reports", timeout=30, json={
            "client_id": "warm-up", "answers": {"safe": ["yes"], "what": ["unkind"]}})
        before = rss_mb(pid)
        started = time.perf_counter()
        answers = run(server, args.requests) + socket_run(server, args.requests // 10)
        seconds = time.perf_counter() - started
        after = rss_mb(pid)
        alive = requests.get(server.base_url + "/kiosk", timeout=10).status_code
        tracebacks = open(server.log_path).read().count("Traceback")
    print(f"{args.requests} bad requests in {seconds:.1f} s "
          f"({args.requests / seconds:.0f} a second), server pid {pid}")
    for (route, status, traceback), n in sorted(answers.items()):
        print(f"  {route}: {status}{' with a traceback' if traceback else ''}: {n}")
    print(f"RSS before {before:.0f} MB, after {after:.0f} MB ({after - before:+.0f} MB); "
          f"server still answering: {alive}; tracebacks in its log: {tracebacks}")
    failed = tracebacks or any(status >= 500 or traceback for _, status, traceback in answers)
    raise SystemExit(1 if failed or after - before > 50 else 0)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
