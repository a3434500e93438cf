"""Where the server listens, and the addresses devices on the school network open.

The server records its scheme, address and port in the instance folder as it starts
(listening.json), so commands run beside it (create-kiosk, doctor) print links that open
and can tell when BASE_URL names another address.
"""
import ipaddress
import json
import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

RECORD = "listening.json"
EVERY_NETWORK = ("0.0.0.0", "::", "")


def lan_address():
    """This machine's address on the school network, or None when it has none."""
    try:  # no packet is sent: connecting a UDP socket only picks the outgoing address
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
    except OSError:
        return None


def is_loopback(host):
    """True for an address only this machine reaches (127.0.0.1, localhost, ::1)."""
    host = (host or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: the school's DNS decides


def url(scheme, host, port):
    """scheme://host:port, with an IPv6 address in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def device_url(scheme, host, port):
    """The address a device opens to reach a server listening on host:port."""
    if host in EVERY_NETWORK:
        host = lan_address() or socket.gethostname()
    return url(scheme, host, port)


def record(instance_path, scheme, host, port):
    """Write where the server listens into the instance folder (atomically)."""
    path = Path(instance_path) / RECORD
    facts = {"scheme": scheme, "host": host, "port": port, "pid": os.getpid(),
             "url": device_url(scheme, host, port)}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(facts) + "\n")
    os.replace(temporary, path)
    return facts


def recorded(instance_path):
    """What the server last recorded ({scheme, host, port, pid, url}), or None."""
    try:
        facts = json.loads((Path(instance_path) / RECORD).read_text())
    except (OSError, ValueError):
        return None
    return facts if isinstance(facts, dict) and "url" in facts else None


def is_running(facts):
    """True while the process that wrote the record is alive."""
    try:
        os.kill(int(facts.get("pid", 0)), 0)
    except (OSError, ValueError, TypeError):
        return False
    return bool(facts.get("pid"))


def base_url(config, instance_path):
    """BASE_URL when set, else the address the server last listened on, else ""."""
    configured = (config.get("BASE_URL") or "").rstrip("/")
    if configured:
        return configured
    facts = recorded(instance_path)
    return facts["url"] if facts else ""


def disagreement(base, facts):
    """Why BASE_URL cannot reach the server that recorded `facts`, or ""."""
    parts = urlsplit(base)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    listening = url(facts["scheme"], facts["host"] or "0.0.0.0", facts["port"])
    if parts.scheme != facts["scheme"]:
        return f"BASE_URL starts {parts.scheme}:// but the server serves {facts['scheme']}:// " \
               f"(it listens on {listening})"
    if port != facts["port"]:
        return f"BASE_URL names port {port} but the server listens on {listening}"
    if is_loopback(facts["host"]) and not is_loopback(parts.hostname):
        return f"the server listens on {listening}, this machine only, so {base} cannot reach it"
    return ""
