"""HTTPS for the school network: a local certificate authority and a server certificate.

iPad Safari only opens the microphone on a secure origin, so the kiosk must be served
over HTTPS. There is no public name to get a certificate for, so the kiosk makes its
own small certificate authority (CA) in the instance folder. IT installs and trusts
that CA once on each iPad; the server certificate it signs can then be re-issued
freely (new address, expiry) without touching the iPads again.

Files in the TLS folder (instance/tls by default):
  ca.pem, ca-key.pem          the CA: made once, never overwritten
  server.pem, server-key.pem  the server's certificate: re-issued whenever needed
"""
import ipaddress
import os
import re
import socket
import subprocess
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import Blueprint, Response, current_app, send_file

CA_CERT, CA_KEY = "ca.pem", "ca-key.pem"
SERVER_CERT, SERVER_KEY = "server.pem", "server-key.pem"
CA_DAYS = 3650
# Apple's limit for TLS server certificates is 398 days (a CA the user installed, like
# this one, is allowed 825, but keeping under 398 satisfies every Apple rule).
# 397 leaves a day's margin.
SERVER_DAYS = 397
RENEW_DAYS = 30  # re-issue this long before expiry, so a running school never sees it lapse
# A few minutes' leeway for an iPad whose clock is slightly behind the server's.
BACKDATE = timedelta(minutes=10)

_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class TLSError(Exception):
    """A problem IT must fix by hand; the message says what and where."""


# ---------------------------------------------------------------- files

def _write_atomic(path, data, mode):
    """Write a whole file or nothing: a crash never leaves half a key or certificate."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".")
    except OSError as exc:
        raise TLSError(f"Cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise TLSError(f"Cannot write {path}: {exc.strerror}") from None
        raise


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _new_key():
    # ECDSA P-256: accepted by iOS and every browser, and quick to generate.
    return ec.generate_private_key(ec.SECP256R1())


def _same_key(cert, key):
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# ---------------------------------------------------------------- the CA

def _load_ca(tls_dir):
    """The existing CA as (cert, key); any problem is a TLSError naming the file."""
    cert_path, key_path = tls_dir / CA_CERT, tls_dir / CA_KEY
    # Never replace a CA that exists in part: iPads may already trust it.
    for present, missing in ((cert_path, key_path), (key_path, cert_path)):
        if present.exists() and not missing.exists():
            raise TLSError(f"{missing} is missing but {present} exists. Restore it from a "
                           f"backup, or delete both to make a new CA (every iPad must then "
                           f"trust the new one).")
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except (OSError, ValueError) as exc:
        raise TLSError(f"Cannot read the kiosk's CA certificate {cert_path}: {exc}") from None
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise TLSError(f"Cannot read the kiosk's CA key {key_path}: {exc}") from None
    if not _same_key(cert, key):
        raise TLSError(f"{key_path} is not the key of {cert_path}. Restore the matching "
                       f"pair, or delete both to make a new CA.")
    if cert.not_valid_after_utc <= datetime.now(timezone.utc):
        raise TLSError(f"The kiosk's CA {cert_path} has expired. Delete {cert_path} and "
                       f"{key_path} to make a new one, then trust it on every iPad.")
    return cert, key


def ensure_ca(tls_dir):
    """Make the CA the first time; afterwards check and reuse it. Returns ca.pem's path."""
    tls_dir = Path(tls_dir)
    try:  # 0700: only the server's own user may read the keys
        os.makedirs(tls_dir, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise TLSError(f"Cannot make the folder {tls_dir}: {exc.strerror}") from None
    cert_path, key_path = tls_dir / CA_CERT, tls_dir / CA_KEY
    if cert_path.exists() or key_path.exists():
        _load_ca(tls_dir)
        return cert_path

    key = _new_key()
    name = x509.Name([x509.NameAttribute(
        NameOID.COMMON_NAME, f"Worry kiosk local CA ({socket.gethostname()})"[:64])])
    start = datetime.now(timezone.utc) - BACKDATE
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + timedelta(days=CA_DAYS))
        # path_length=0: this CA can sign server certificates, never another CA.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True,
            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    # Key first: a crash between the two leaves a lone key, which is reported, not replaced.
    _write_atomic(key_path, _key_pem(key), 0o600)
    _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert_path


# ---------------------------------------------------------------- names

def _as_ip(value):
    try:
        ip = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return None
    return None if getattr(ip, "scope_id", None) else ip  # fe80::1%en0 is no use in a URL


def _as_dns(value):
    """A lower-case DNS name, or None if it could not be one."""
    name = value.strip().rstrip(".").lower()
    labels = name.split(".")
    if not name or len(name) > 253 or not all(_DNS_LABEL.match(label) for label in labels):
        return None
    return name


def _normalise(value):
    """An IP address in its standard form, a lower-case DNS name, or None."""
    ip = _as_ip(value)
    return str(ip) if ip is not None else _as_dns(value)


def _useful(ip):
    # Link-local addresses need a zone (fe80::1%en0) that no URL bar accepts.
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast)


def _local_addresses():
    """This machine's own addresses, found without sending anything on the network."""
    try:
        out = subprocess.run(["ip", "-o", "addr", "show"], capture_output=True, text=True,
                             timeout=5, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        out = None
    found = []
    if out is not None:
        for line in out.splitlines():
            match = re.search(r"\binet6?\s+([0-9a-fA-F:.]+)/", line)
            # Temporary (privacy) addresses change daily; nobody types them into an iPad.
            if match and not re.search(r"\b(temporary|deprecated|tentative|dadfailed)\b", line):
                found.append(match.group(1))
        return found
    try:  # no `ip` command (macOS, Windows): what the hostname resolves to locally
        infos = socket.getaddrinfo(socket.gethostname(), None)
    except OSError:
        return []
    return [info[4][0].split("%")[0] for info in infos]


def server_names(extra=()):
    """Every name and address an iPad on the LAN could use for this server, plus extra.

    Names are lower-case DNS names or IP address strings, without duplicates. Extra
    names (from --tls-name) that are neither a DNS name nor an IP raise TLSError.
    """
    host = socket.gethostname()
    short = host.split(".")[0]
    wanted = [host, f"{short}.local", socket.getfqdn(), "localhost", "127.0.0.1", "::1"]
    for address in _local_addresses():
        ip = _as_ip(address)
        if ip is not None and _useful(ip):
            wanted.append(str(ip))
    names = []
    for value in wanted:  # automatic names that cannot go in a certificate are skipped
        name = _normalise(value)
        if name and name not in names:
            names.append(name)
    for value in extra:
        name = _normalise(value)
        if not name:
            raise TLSError(f"{value!r} is not a DNS name or an IP address.")
        if name not in names:
            names.append(name)
    return names


def _san(names):
    entries = []
    for value in names:
        ip = _as_ip(value)
        if ip is not None:
            entries.append(x509.IPAddress(ip))
        elif _as_dns(value):
            entries.append(x509.DNSName(_as_dns(value)))
        else:
            raise TLSError(f"{value!r} is not a DNS name or an IP address.")
    return entries


# ---------------------------------------------------------------- the server certificate

def _current_server_cert_ok(tls_dir, ca_cert, wanted):
    """True when server.pem and its key can be kept as they are; False to re-issue."""
    try:
        cert = x509.load_pem_x509_certificate((tls_dir / SERVER_CERT).read_bytes())
        key = serialization.load_pem_private_key((tls_dir / SERVER_KEY).read_bytes(),
                                                 password=None)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        cert.verify_directly_issued_by(ca_cert)
    except (OSError, ValueError, TypeError, UnsupportedAlgorithm, x509.ExtensionNotFound,
            InvalidSignature):
        return False  # missing, corrupt, or from another CA: a new one costs nothing
    soon = datetime.now(timezone.utc) + timedelta(days=RENEW_DAYS)
    return set(san) == set(wanted) and _same_key(cert, key) and cert.not_valid_after_utc > soon


def ensure_server_cert(tls_dir, names):
    """A server certificate for names, signed by the CA; returns (cert_path, key_path)."""
    tls_dir = Path(tls_dir)
    ensure_ca(tls_dir)
    ca_cert, ca_key = _load_ca(tls_dir)
    cert_path, key_path = tls_dir / SERVER_CERT, tls_dir / SERVER_KEY
    wanted = _san(names)
    if not wanted:
        raise TLSError("No names or addresses to put in the server certificate.")
    if _current_server_cert_ok(tls_dir, ca_cert, wanted):
        return cert_path, key_path

    key = _new_key()
    first = wanted[0].value
    start = datetime.now(timezone.utc) - BACKDATE
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, str(first)[:64])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(wanted), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    _write_atomic(key_path, _key_pem(key), 0o600)
    _write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)
    return cert_path, key_path


def fingerprint(cert_path):
    """SHA-256 fingerprint as AA:BB:..., as an iPad shows it, to check the right CA."""
    try:
        cert = x509.load_pem_x509_certificate(Path(cert_path).read_bytes())
    except (OSError, ValueError) as exc:
        raise TLSError(f"Cannot read the certificate {cert_path}: {exc}") from None
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


# ---------------------------------------------------------------- download for iPads

bp = Blueprint("tls", __name__)


@bp.get("/ca.pem")
def ca_certificate():
    """The CA certificate (never a key), so an iPad can install and trust it."""
    path = Path(current_app.config["TLS_DIR"]) / CA_CERT
    if not path.is_file():
        return Response("There is no kiosk certificate authority yet: start the server "
                        "with --https to make one.\n", status=404, mimetype="text/plain")
    return send_file(path, mimetype="application/x-x509-ca-cert", as_attachment=True,
                     download_name="worry-kiosk-ca.pem", max_age=0)
