"""Time-based one-time codes (RFC 6238), as every authenticator app makes them."""
import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

PERIOD = 30   # seconds a code lasts
DIGITS = 6
WINDOW = 1    # codes one period either side still work: phone clocks drift


def new_secret():
    """A random 160-bit secret in base32, the form authenticator apps take."""
    return base64.b32encode(secrets.token_bytes(20)).decode()


def step_at(moment):
    """The 30-second period a datetime falls in."""
    return int(moment.timestamp()) // PERIOD


def code_for(secret, step):
    """The code an authenticator shows during `step` (RFC 4226 truncation)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10 ** DIGITS).zfill(DIGITS)


def matching_step(secret, code, moment):
    """The period whose code this is (within the drift window), or None."""
    code = "".join((code or "").split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = step_at(moment)
    for step in range(now - WINDOW, now + WINDOW + 1):
        if hmac.compare_digest(code_for(secret, step), code):
            return step
    return None


def provisioning_uri(secret, account, issuer):
    """The otpauth:// link an authenticator app scans or opens."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1",
                       "digits": DIGITS, "period": PERIOD})
    return f"otpauth://totp/{label}?{query}"
