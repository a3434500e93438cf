"""Send-to-dashboard time through Redis (a report sent to one process, the dashboard on
another) against one process without Redis: p50 and p99 of each."""
import argparse
import statistics
import sys
import tempfile

from _redis import another_process, available, running_redis
from _server import ROOT, login, running_server
from send_to_dashboard import connect_dashboard, percentile, run_sends

sys.path.insert(0, str(ROOT))  # the login needs kiosk.accounts.totp


def parse_args():
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sends", type=int, default=200, help="reports each way (default 200)")
    parser.add_argument("--timeout", type=float, default=5.0,
                        help="seconds to wait for each notification (default 5)")
    return parser.parse_args()


def timed(sender, watcher, args):
    """Send from a kiosk on `sender` to a DSL dashboard on `watcher`; send-to-socket ms."""
    client, arrivals = connect_dashboard(watcher.base_url, login(watcher))
    try:
        latencies, _ = run_sends(sender.base_url, sender.kiosk_session(), arrivals,
                                 args.sends, args.timeout)
    finally:
        client.disconnect()
    return latencies


def line(name, latencies, wanted):
    """One printed line of figures."""
    if len(latencies) < 2:
        return f"{name}: only {len(latencies)} of {wanted} notified"
    return (f"{name}: {len(latencies)} of {wanted} notified, p50 "
            f"{statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
            f"max {max(latencies):.1f} ms")


def main():
    """One process, then two processes joined by a real redis-server."""
    args = parse_args()
    if not available():
        print("redis-server is not installed (./setup.sh --test installs it)", file=sys.stderr)
        return 1
    with running_server() as server:
        alone = timed(server, server, args)
    with tempfile.TemporaryDirectory(prefix="kiosk-redis-") as folder, \
            running_redis(folder) as url, \
            running_server(config={"REDIS_URL": url}) as first, another_process(first) as second:
        through = timed(first, second, args)
    print(line("one process, no Redis       ", alone, args.sends))
    print(line("two processes through Redis ", through, args.sends))
    return 0 if len(alone) == len(through) == args.sends else 1


if __name__ == "__main__":
    sys.exit(main())
