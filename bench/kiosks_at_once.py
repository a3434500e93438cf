"""Many kiosks sending at once: send-to-alert latency and throughput, against a minimal app.

The same run measures the kiosk server (run.py) and bench/minimal_app.py (one route that
stores into SQLite and emits to a room), with the same simulated kiosks and dashboards:

- at once: N kiosks (50, then 200) each send one report at the same moment, a few
  rounds; the time from each POST's start to its report.new on each of two dashboards;
- every 3 s: 200 kiosks each sending a report every 3 s: errors and stored reports a
  second (the offered load is 200 / 3 = 66.7 a second);
- flat out: 50 kiosks each sending again as soon as the last was answered: the most
  each server stores a second on this machine.

A notification is matched to its send by the report id: after each phase the script
reads (report id, client id) from the server's database. Nothing is read back over the
API: a kiosk can only add a report.
"""
import argparse
import contextlib
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests
import socketio

from _server import (ROOT, cookie_header, free_port, login, running_server, serving_pid,
                     stop, wait_ready)

sys.path.insert(0, str(ROOT))  # run as bench/kiosks_at_once.py: enrolment uses the kiosk package

ANSWERS = {"safe": ["yes"], "what": ["unkind"], "when": ["today"]}
RATIO_GOAL = 1.5  # stored a second: the kiosk within 1.5x of the minimal app
PERIOD = 3.0      # seconds between one kiosk's sends in the steady phase


def parse_args():
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4,
                        help="sends per kiosk in each at-once phase (default 4)")
    parser.add_argument("--seconds", type=float, default=30,
                        help="length of the every-3-s and flat-out phases (default 30)")
    parser.add_argument("--timeout", type=float, default=30,
                        help="seconds a POST or a notification may take (default 30)")
    return parser.parse_args()


class Dashboard:
    """A Socket.IO client on /staff that stamps each report.new with its arrival time."""

    def __init__(self, base_url, cookie=""):
        self.arrived = {}  # report id -> perf_counter at arrival
        self.client = socketio.Client(reconnection=False)
        self.client.on("notification", self._on_notification, namespace="/staff")
        self.client.connect(base_url, namespaces=["/staff"], transports=["websocket"],
                            headers={"Cookie": cookie} if cookie else {}, wait_timeout=10)

    def _on_notification(self, data):
        stamp = time.perf_counter()  # first, so queueing in this process does not count
        if data.get("kind") == "report.new":
            self.arrived[data["payload"]["id"]] = stamp

    def close(self):
        self.client.disconnect()


class Target:
    """One server under test: how its kiosks send, its dashboards, its database."""

    def __init__(self, name, base_url, database, kiosks, dashboards, body_for, pid):
        self.name, self.base_url, self.database, self.pid = name, base_url, database, pid
        self.kiosks = kiosks            # kiosk name -> requests session
        self.dashboards = dashboards
        self.body_for = body_for        # (kiosk name, client id) -> JSON body

    def cpu_seconds(self):
        """CPU time the server process has used so far (user + system)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stored(self):
        """client id -> report id, for every report in the server's database."""
        with sqlite3.connect(self.database, timeout=30) as conn:
            return dict(conn.execute("SELECT client_id, id FROM reports"))


class Tally:
    """What the kiosks saw: when each acknowledged send started, and every failure."""

    def __init__(self):
        self.started, self.errors, self.lock = {}, [], threading.Lock()

    def send(self, target, kiosk, session, timeout):
        """One POST; records its start when acknowledged, or the error."""
        client_id = str(uuid.uuid4())
        t0 = time.perf_counter()
        try:
            answer = session.post(target.base_url + "/api/reports",
                                  json=target.body_for(kiosk, client_id), timeout=timeout)
            ok = answer.status_code in (200, 201)
            error = None if ok else f"HTTP {answer.status_code}"
        except requests.RequestException as exc:
            error = type(exc).__name__
        with self.lock:
            if error:
                self.errors.append(error)
            else:
                self.started[client_id] = t0


def run_threads(workers):
    """Run each callable in its own thread; wait for all."""
    threads = [threading.Thread(target=work) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def at_once(target, count, rounds, timeout):
    """`count` kiosks send together, `rounds` times; returns the Tally."""
    tally, kiosks = Tally(), list(target.kiosks.items())[:count]
    for _ in range(rounds):
        barrier = threading.Barrier(count)

        def kiosk_sends(kiosk, session):
            barrier.wait()
            tally.send(target, kiosk, session, timeout)
        run_threads([lambda k=k, s=s: kiosk_sends(k, s) for k, s in kiosks])
    return tally


def every_period(target, seconds, timeout):
    """Every kiosk sends every PERIOD s, start times spread evenly; returns (Tally, window s)."""
    tally, kiosks = Tally(), list(target.kiosks.items())
    start = time.perf_counter() + 0.5
    sends = max(1, int(seconds / PERIOD))

    def kiosk_sends(offset, kiosk, session):
        for n in range(sends):
            delay = start + offset + n * PERIOD - time.perf_counter()
            if delay > 0:
                time.sleep(delay)  # the kiosk's own schedule, not a wait for the server
            tally.send(target, kiosk, session, timeout)
    run_threads([lambda i=i, k=k, s=s: kiosk_sends(i * PERIOD / len(kiosks), k, s)
                 for i, (k, s) in enumerate(kiosks)])
    return tally, time.perf_counter() - start


def flat_out(target, count, seconds, timeout):
    """`count` kiosks each send again as soon as answered; returns (Tally, window s)."""
    tally, kiosks = Tally(), list(target.kiosks.items())[:count]
    start = time.perf_counter()
    end = start + seconds

    def kiosk_sends(kiosk, session):
        while time.perf_counter() < end:
            tally.send(target, kiosk, session, timeout)
    run_threads([lambda k=k, s=s: kiosk_sends(k, s) for k, s in kiosks])
    return tally, time.perf_counter() - start


def alert_latencies(target, tally, timeout):
    """Send-to-alert ms for every acknowledged send on every dashboard; also the counts
    (acknowledged, stored once, missing from a dashboard)."""
    stored = target.stored()
    report_ids = {stored[c] for c in tally.started if c in stored}
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline and not all(
            report_ids <= set(d.arrived) for d in target.dashboards):
        time.sleep(0.05)  # the socket threads fill `arrived`; this only waits for them
    latencies, missing = [], 0
    for client_id, t0 in tally.started.items():
        for dashboard in target.dashboards:
            arrived = dashboard.arrived.get(stored.get(client_id))
            if arrived is None:
                missing += 1
            else:
                latencies.append((arrived - t0) * 1000)
    return latencies, {"acknowledged": len(tally.started), "stored": len(report_ids),
                       "missing": missing}


def percentile(values, pct):
    """The pct-th percentile (inclusive method)."""
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1] \
        if len(values) > 1 else (values[0] if values else float("nan"))


def phase_at_once(target, count, args):
    """Figures for `count` kiosks sending together."""
    tally = at_once(target, count, args.rounds, args.timeout)
    latencies, counts = alert_latencies(target, tally, args.timeout)
    return dict(counts, errors=len(tally.errors), p50=percentile(latencies, 50),
                p99=percentile(latencies, 99), max=max(latencies, default=float("nan")),
                kinds=Counter(tally.errors))


def phase_every_period(target, args):
    """Figures for every kiosk sending every PERIOD seconds."""
    cpu = target.cpu_seconds()
    tally, window = every_period(target, args.seconds, args.timeout)
    cpu = target.cpu_seconds() - cpu
    latencies, counts = alert_latencies(target, tally, args.timeout)
    return dict(counts, errors=len(tally.errors), per_second=len(tally.started) / window,
                p50=percentile(latencies, 50), p99=percentile(latencies, 99),
                cpu_ms=cpu * 1000 / max(1, len(tally.started)), kinds=Counter(tally.errors))


def phase_flat_out(target, args):
    """Figures for 50 kiosks sending back to back."""
    cpu = target.cpu_seconds()
    tally, window = flat_out(target, 50, args.seconds / 2, args.timeout)
    cpu = target.cpu_seconds() - cpu
    return dict(errors=len(tally.errors), per_second=len(tally.started) / window,
                cpu_ms=cpu * 1000 / max(1, len(tally.started)), kinds=Counter(tally.errors))


PHASES = {"at_once_50": lambda t, a: phase_at_once(t, 50, a),
          "at_once_200": lambda t, a: phase_at_once(t, 200, a),
          "every_3s": phase_every_period, "flat_out": phase_flat_out}


def measure(targets, args):
    """Each phase on each target in turn (kiosk, then minimal, phase by phase), so a
    change in what else the machine is doing falls on both; returns figures per target."""
    figures = {target.name: {} for target in targets}
    for phase, run in PHASES.items():
        for target in targets:
            figures[target.name][phase] = run(target, args)
    return figures


@contextlib.contextmanager
def kiosk_target():
    """The kiosk server with 200 enrolled kiosks and two DSL dashboards logged in."""
    with running_server() as server:
        kiosks = server.kiosk_sessions(200)
        dashboards = [Dashboard(server.base_url, cookie_header(login(server)))
                      for _ in range(2)]
        try:
            yield Target("kiosk", server.base_url,
                         Path(server.instance_path) / "kiosk.sqlite3", kiosks, dashboards,
                         lambda kiosk, client_id: {"client_id": client_id,
                                                   "answers": ANSWERS},
                         serving_pid(server.process.pid))
        finally:
            run_threads([dashboard.close for dashboard in dashboards])  # ~3 s each alone


@contextlib.contextmanager
def minimal_target():
    """bench/minimal_app.py with 200 kiosks (no enrolment: it has none) and two dashboards."""
    with tempfile.TemporaryDirectory(prefix="kiosk-minimal-") as folder:
        port, log_path = free_port(), Path(folder) / "server.log"
        database = Path(folder) / "minimal.sqlite3"
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [sys.executable, "bench/minimal_app.py", "--port", str(port),
                 "--database", str(database)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_ready(base_url, process, log_path)
            kiosks = {f"Kiosk {n}": requests.Session() for n in range(1, 201)}
            dashboards = [Dashboard(base_url) for _ in range(2)]
            try:
                yield Target("minimal", base_url, database, kiosks, dashboards,
                             lambda kiosk, client_id: {"client_id": client_id,
                                                       "kiosk": kiosk, "answers": ANSWERS},
                             process.pid)
            finally:
                run_threads([dashboard.close for dashboard in dashboards])
        finally:
            stop(process)


def show(kiosk, minimal):
    """Print the figures side by side; returns True when the goals are met."""
    print(f"{'':34}{'kiosk':>16}{'minimal app':>16}")
    for count in (50, 200):
        key = f"at_once_{count}"
        for label, field in (("send -> alert p50 ms", "p50"), ("send -> alert p99 ms", "p99"),
                             ("send -> alert max ms", "max")):
            print(f"{count:>3} at once: {label:<22}{kiosk[key][field]:>16.1f}"
                  f"{minimal[key][field]:>16.1f}")
        for field in ("acknowledged", "stored", "missing", "errors"):
            print(f"{count:>3} at once: {field:<22}{kiosk[key][field]:>16}"
                  f"{minimal[key][field]:>16}")
    steady_k, steady_m = kiosk["every_3s"], minimal["every_3s"]
    for label, field, form in (("stored a second", "per_second", ".1f"),
                               ("server CPU ms a report", "cpu_ms", ".1f"),
                               ("send -> alert p50 ms", "p50", ".1f"),
                               ("send -> alert p99 ms", "p99", ".1f"),
                               ("acknowledged", "acknowledged", ""), ("stored", "stored", ""),
                               ("missing", "missing", ""), ("errors", "errors", "")):
        print(f"200 every 3 s: {label:<20}{steady_k[field]:>16{form}}"
              f"{steady_m[field]:>16{form}}")
    for label, field, form in (("stored a second", "per_second", ".1f"),
                               ("server CPU ms a report", "cpu_ms", ".1f"),
                               ("errors", "errors", "")):
        print(f"50 flat out: {label:<22}{kiosk['flat_out'][field]:>16{form}}"
              f"{minimal['flat_out'][field]:>16{form}}")
    for name, figures in (("kiosk", kiosk), ("minimal app", minimal)):
        kinds = sum((phase["kinds"] for phase in figures.values()), Counter())
        if kinds:
            print(f"{name} errors: " + ", ".join(f"{n} {k}" for k, n in kinds.most_common()))
    ratio = steady_m["per_second"] / steady_k["per_second"] if steady_k["per_second"] else 0
    capacity = minimal["flat_out"]["per_second"] / kiosk["flat_out"]["per_second"]
    print(f"minimal / kiosk, stored a second: every 3 s {ratio:.2f}x, flat out {capacity:.2f}x")
    errors = sum(kiosk[key]["errors"] + kiosk[key].get("missing", 0)
                 for key in ("at_once_50", "at_once_200", "every_3s", "flat_out"))
    passed = errors == 0 and ratio <= RATIO_GOAL
    print(f"goal: 0 errors and nothing missing from the kiosk, throughput within "
          f"{RATIO_GOAL}x of the minimal app -> {'PASS' if passed else 'MISS'}")
    return passed


def main():
    """Start both servers, measure them phase by phase in this run, and compare."""
    args = parse_args()
    before = os.getloadavg()[0]
    with kiosk_target() as kiosk, minimal_target() as minimal:
        figures = measure([kiosk, minimal], args)
    # Both servers and all 200 kiosks share this machine's cores: say how busy it was.
    print(f"{os.cpu_count()} cores; load average {before:.1f} at the start, "
          f"{os.getloadavg()[0]:.1f} at the end")
    return 0 if show(figures["kiosk"], figures["minimal"]) else 1


if __name__ == "__main__":
    sys.exit(main())
