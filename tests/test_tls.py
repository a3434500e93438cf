"""HTTPS: the local CA, the server certificate, /ca.pem, and run.py --https for real."""
import hashlib
import http.client
import ipaddress
import os
import re
import shutil
import socket
import ssl
import stat
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store

import run
from bench._server import ROOT, free_port, instance_env, stop, tail
from kiosk import tls

NAMES = ["kiosk.school.example", "localhost", "127.0.0.1", "192.0.2.10", "::1"]


def load(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def verify(tls_dir, cert_path, subject):
    """Verify the server certificate chains to ca.pem for subject, as a browser would."""
    store = Store([load(tls_dir / "ca.pem")])
    verifier = PolicyBuilder().store(store).build_server_verifier(subject)
    verifier.verify(load(cert_path), [])


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


# ---------------------------------------------------------------- the CA

def test_ca_is_made_once_and_reused(tmp_path):
    tls_dir = tmp_path / "tls"
    ca_path = tls.ensure_ca(tls_dir)
    first = ca_path.read_bytes()
    ca = load(ca_path)
    assert "Worry kiosk local CA" in ca.subject.rfc4514_string()
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert constraints.ca and constraints.path_length == 0
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign
    assert (ca.not_valid_after_utc - ca.not_valid_before_utc).days >= 3650

    assert tls.ensure_ca(tls_dir).read_bytes() == first
    assert mode(tls_dir) == 0o700
    assert mode(tls_dir / "ca-key.pem") == 0o600


def test_corrupt_ca_is_reported_by_name_and_left_alone(tmp_path):
    tls_dir = tmp_path / "tls"
    ca_path = tls.ensure_ca(tls_dir)
    ca_path.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot a certificate\n")
    before = ca_path.read_bytes()
    for attempt in (lambda: tls.ensure_ca(tls_dir),
                    lambda: tls.ensure_server_cert(tls_dir, NAMES)):
        with pytest.raises(tls.TLSError) as caught:
            attempt()
        assert str(ca_path) in str(caught.value)
    assert ca_path.read_bytes() == before
    assert not (tls_dir / "server.pem").exists()


def test_corrupt_ca_key_or_lone_ca_file_is_reported_not_replaced(tmp_path):
    tls_dir = tmp_path / "tls"
    ca_path = tls.ensure_ca(tls_dir)
    key_path = tls_dir / "ca-key.pem"
    key_path.write_text("garbage")
    with pytest.raises(tls.TLSError, match=re.escape(str(key_path))):
        tls.ensure_ca(tls_dir)
    key_path.unlink()
    cert = ca_path.read_bytes()
    with pytest.raises(tls.TLSError, match=re.escape(str(key_path))):
        tls.ensure_ca(tls_dir)
    assert ca_path.read_bytes() == cert and not key_path.exists()


def test_run_py_refuses_a_corrupt_ca_with_a_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KIOSK_INSTANCE_PATH", str(tmp_path / "instance"))
    ca_path = tmp_path / "instance" / "tls" / "ca.pem"
    ca_path.parent.mkdir(parents=True)
    ca_path.write_text("not a certificate")
    assert run.main(["--https", "--no-prerender"]) == 1
    assert str(ca_path) in capsys.readouterr().err
    assert ca_path.read_text() == "not a certificate"


# ---------------------------------------------------------------- the server certificate

def test_server_cert_names_chain_and_key_mode(tmp_path):
    tls_dir = tmp_path / "tls"
    cert_path, key_path = tls.ensure_server_cert(tls_dir, NAMES)
    cert = load(cert_path)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.DNSName)) == {"kiosk.school.example", "localhost"}
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address(a) for a in ("127.0.0.1", "192.0.2.10", "::1")}
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.SERVER_AUTH in eku
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 398
    assert mode(key_path) == 0o600
    verify(tls_dir, cert_path, x509.DNSName("kiosk.school.example"))
    verify(tls_dir, cert_path, x509.IPAddress(ipaddress.ip_address("192.0.2.10")))
    # Python's own TLS stack accepts the pair too.
    ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert_path, key_path)


def test_server_cert_is_kept_until_names_change_and_ca_is_kept(tmp_path):
    tls_dir = tmp_path / "tls"
    cert_path, _ = tls.ensure_server_cert(tls_dir, NAMES)
    ca, first = (tls_dir / "ca.pem").read_bytes(), cert_path.read_bytes()
    tls.ensure_server_cert(tls_dir, list(reversed(NAMES)))  # same set, other order
    assert cert_path.read_bytes() == first

    tls.ensure_server_cert(tls_dir, NAMES + ["kiosk.test"])
    assert cert_path.read_bytes() != first
    assert (tls_dir / "ca.pem").read_bytes() == ca
    verify(tls_dir, cert_path, x509.DNSName("kiosk.test"))


def test_server_cert_is_reissued_near_expiry(tmp_path, monkeypatch):
    tls_dir = tmp_path / "tls"
    cert_path, _ = tls.ensure_server_cert(tls_dir, NAMES)
    first = cert_path.read_bytes()
    monkeypatch.setattr(tls, "RENEW_DAYS", tls.SERVER_DAYS + 1)  # "expires within" now
    tls.ensure_server_cert(tls_dir, NAMES)
    assert cert_path.read_bytes() != first


def test_server_cert_from_another_ca_is_reissued(tmp_path):
    old, new = tmp_path / "old", tmp_path / "new"
    tls.ensure_server_cert(old, NAMES)
    tls.ensure_ca(new)
    for name in ("server.pem", "server-key.pem"):
        shutil.copy(old / name, new / name)
    cert_path, _ = tls.ensure_server_cert(new, NAMES)
    assert cert_path.read_bytes() != (old / "server.pem").read_bytes()
    verify(new, cert_path, x509.DNSName("localhost"))


@pytest.mark.parametrize("broken", ["server.pem", "server-key.pem"])
def test_corrupt_server_cert_or_key_is_reissued(tmp_path, broken):
    tls_dir = tmp_path / "tls"
    tls.ensure_server_cert(tls_dir, NAMES)
    (tls_dir / broken).write_text("garbage")
    cert_path, key_path = tls.ensure_server_cert(tls_dir, NAMES)
    verify(tls_dir, cert_path, x509.DNSName("localhost"))
    ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert_path, key_path)
    assert mode(key_path) == 0o600


def test_fingerprint_is_sha256_of_the_certificate(tmp_path):
    ca_path = tls.ensure_ca(tmp_path / "tls")
    der = ssl.PEM_cert_to_DER_cert(ca_path.read_text())
    expected = hashlib.sha256(der).hexdigest().upper()
    assert tls.fingerprint(ca_path).replace(":", "") == expected
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", tls.fingerprint(ca_path))


# ---------------------------------------------------------------- names

def test_server_names_include_loopback_extras_and_local_addresses(monkeypatch):
    ip_output = "\n".join([
        r"1: lo    inet 127.0.0.1/8 scope host lo\       valid_lft forever",
        r"1: lo    inet6 ::1/128 scope host \       valid_lft forever",
        r"2: eth0    inet 192.0.2.7/24 brd 192.0.2.255 scope global eth0\       valid_lft",
        r"2: eth0    inet6 fd00::7/64 scope global \       valid_lft forever",
        r"2: eth0    inet6 fd00::beef/64 scope global temporary dynamic \       valid_lft",
        r"2: eth0    inet6 fe80::1/64 scope link \       valid_lft forever",
    ])
    monkeypatch.setattr(tls.subprocess, "run",
                        lambda *a, **k: SimpleNamespace(stdout=ip_output))
    monkeypatch.setattr(tls.socket, "gethostname", lambda: "Kiosk-Server")
    monkeypatch.setattr(tls.socket, "getfqdn", lambda: "kiosk-server.school.lan")
    names = tls.server_names(["kiosk.test", "10.0.0.5", "KIOSK.test"])
    assert names == ["kiosk-server", "kiosk-server.local", "kiosk-server.school.lan",
                     "localhost", "127.0.0.1", "::1", "192.0.2.7", "fd00::7",
                     "kiosk.test", "10.0.0.5"]


def test_server_names_fall_back_when_there_is_no_ip_command(monkeypatch):
    def no_ip(*args, **kwargs):
        raise FileNotFoundError("ip")
    monkeypatch.setattr(tls.subprocess, "run", no_ip)
    monkeypatch.setattr(tls.socket, "getaddrinfo", lambda host, port: [
        (socket.AF_INET, 0, 0, "", ("192.0.2.8", 0)),
        (socket.AF_INET, 0, 0, "", ("127.0.1.1", 0))])
    names = tls.server_names()
    assert "192.0.2.8" in names and "127.0.1.1" not in names and "localhost" in names


def test_a_bad_extra_name_is_a_tls_error():
    with pytest.raises(tls.TLSError, match="not a DNS name"):
        tls.server_names(["not a name!"])


# ---------------------------------------------------------------- /ca.pem

def test_ca_download(app, client):
    absent = client.get("/ca.pem")
    assert absent.status_code == 404 and b"--https" in absent.data
    ca_path = tls.ensure_ca(app.config["TLS_DIR"])
    answer = client.get("/ca.pem")
    assert answer.status_code == 200
    assert answer.mimetype == "application/x-x509-ca-cert"
    assert "worry-kiosk-ca.pem" in answer.headers["Content-Disposition"]
    assert answer.data == ca_path.read_bytes()


def test_key_files_are_never_served(app, client):
    tls.ensure_server_cert(app.config["TLS_DIR"], NAMES)
    for url in ("/ca-key.pem", "/server-key.pem", "/server.pem", "/tls/ca-key.pem",
                "/instance/tls/ca-key.pem", "/static/../tls/ca-key.pem",
                "/ca.pem/../ca-key.pem", "/symbols/default/..%2F..%2Finstance%2Ftls%2Fca-key.pem"):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert b"PRIVATE KEY" not in answer.data, url


# ---------------------------------------------------------------- run.py --https, for real

def test_run_py_serves_https_with_the_kiosk_ca(tmp_path):
    port = free_port()
    out_path, err_path = tmp_path / "stdout.log", tmp_path / "stderr.log"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        process = subprocess.Popen(
            [sys.executable, "run.py", "--https", "--host", "127.0.0.1", "--port", str(port),
             "--no-prerender",
             "--tls-name", "kiosk.test"],
            cwd=ROOT, env=instance_env(tmp_path / "instance"), stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + 20
        while True:  # until the server accepts a connection
            assert process.poll() is None, f"run.py exited:\n{tail(err_path)}"
            assert time.monotonic() < deadline, f"not listening:\n{tail(err_path)}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)

        ca_path = tmp_path / "instance" / "tls" / "ca.pem"
        trusting = ssl.create_default_context(cafile=str(ca_path))  # trusts this CA only
        assert trusting.check_hostname
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=trusting, timeout=10)
        conn.request("GET", "/kiosk")
        answer = conn.getresponse()
        answer.read()  # the connection is kept alive: read it before the next request
        assert answer.status == 200
        conn.request("GET", "/ca.pem")
        assert conn.getresponse().read() == ca_path.read_bytes()
        conn.close()

        # The extra --tls-name is in the certificate the server presents.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with trusting.wrap_socket(raw, server_hostname="kiosk.test") as secure:
                assert secure.version()

        stranger = ssl.create_default_context()  # the system's CAs, not the kiosk's
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=stranger, timeout=10)
        with pytest.raises(ssl.SSLCertVerificationError):
            conn.request("GET", "/kiosk")
        conn.close()

        printed = re.search(r"fingerprint \(SHA-256\): ([0-9A-F:]+)", out_path.read_text())
        assert printed and printed.group(1) == tls.fingerprint(ca_path)
        assert f"https://127.0.0.1:{port}/kiosk" in out_path.read_text()
        assert f"https://127.0.0.1:{port}/ca.pem" in out_path.read_text()
    finally:
        stop(process)
