"""Staff accounts: roles, passwords, authenticator secrets. Changes end old sessions."""
import functools
import re
from datetime import datetime, timezone

from werkzeug.security import check_password_hash, generate_password_hash

from .. import throttle
from . import sessions, totp

ROLES = ("dsl", "deputy", "head", "staff", "it", "chair")
ROLE_NAMES = {"dsl": "Designated Safeguarding Lead", "deputy": "Deputy DSL",
              "head": "Head teacher", "staff": "Staff", "it": "School IT",
              "chair": "Chair of governors"}
# The chair of governors reads only the cases about the head teacher (policy: those go
# to the chair and the LADO); kiosk/staff/auth.py keeps them to those.
CHAIR_ROLE = "chair"
READER_ROLES = ("dsl", "deputy", "head", CHAIR_ROLE)  # may read reports; log in with TOTP too
TEAM_ROLES = ("dsl", "deputy", "head")  # hear of every report (the chair does not)
SIGN_OFF_ROLE = "head"  # signs off decisions not to refer
ADMIN_ROLE = "it"       # users, kiosks, settings; never report content
# Whose accounts each role may run from the web pages (create, change role, reset).
# IT runs accounts but must never become a reader, so it runs only staff and IT accounts;
# the DSL runs the DSL team's but not the head's, or a DSL could make themselves head and
# sign off their own decisions. Nobody changes their own role. The server's command line
# (school IT with the head's say-so) can do anything, e.g. create the first head.
# The chair's account is made on the command line only: in nobody's grants, so no head
# could give a friend the chair's reading of the cases about themself.
GRANTS = {"it": ("staff", "it"), "dsl": ("dsl", "deputy", "staff", "it"),
          "head": tuple(r for r in ROLES if r != CHAIR_ROLE)}
MIN_PASSWORD = 12
MAX_NAME = 80
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def display_name(user):
    """How a person is named wherever someone reads: their name, or their address when
    the account has none."""
    return (user["name"] or user["email"]) if user else ""


@functools.cache
def _dummy_hash():
    """A real hash to check against when the email is unknown, so timing does not tell."""
    return generate_password_hash("not a real password", method="scrypt")


class UserError(ValueError):
    """An account change that cannot be made, with the reason."""


def _now(now):
    return (now or datetime.now(timezone.utc)).isoformat()


def _check_password(password):
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UserError(f"the password must be at least {MIN_PASSWORD} characters")


def _check_role(role):
    if role not in ROLES:
        raise UserError(f"role must be one of: {', '.join(ROLES)}")


def create_user(db, email, password, role, name="", now=None):
    """Add an account; the password is kept only as a scrypt hash. Readers get a TOTP secret."""
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise UserError(f"'{email}' is not an email address")
    _check_role(role)
    _check_password(password)
    name = (name or "").strip()
    if len(name) > MAX_NAME:
        raise UserError(f"the name is too long: at most {MAX_NAME} characters")
    if find_user(db, email):
        raise UserError(f"a user {email} already exists")
    db["users"].insert({"email": email, "role": role, "name": name,
                        "password_hash": generate_password_hash(password, method="scrypt"),
                        "totp_secret": totp.new_secret() if role in READER_ROLES else "",
                        "created_at": _now(now)})
    return find_user(db, email)


def find_user(db, email):
    return next(db.query("SELECT * FROM users WHERE email = ?",
                         [(email or "").strip().lower()]), None)


def get_user(db, user_id):
    return next(db.query("SELECT * FROM users WHERE id = ?", [user_id]), None)


def list_users(db):
    return list(db.query("SELECT * FROM users ORDER BY active DESC, role, email"))


def users_with_role(db, role):
    return list(db.query("SELECT * FROM users WHERE role = ? AND active = 1 ORDER BY email",
                         [role]))


def authenticator_uri(user, issuer):
    """The otpauth:// link for this account's authenticator app."""
    return totp.provisioning_uri(user["totp_secret"], user["email"], issuer)


def _require(db, user_id):
    user = get_user(db, user_id)
    if user is None:
        raise UserError(f"there is no user {user_id}")
    return user


def set_role(db, user_id, role, now=None):
    """Change a role: the user is logged out everywhere, and a new reader needs a TOTP secret."""
    _check_role(role)
    user = _require(db, user_id)
    changes = {"role": role}
    if role in READER_ROLES and not user["totp_secret"]:
        changes["totp_secret"] = totp.new_secret()
    db["users"].update(user_id, changes)
    sessions.end_all(db, user_id, now, "role changed")
    return get_user(db, user_id)


def set_password(db, user_id, password, now=None):
    """A new password logs the user out everywhere."""
    _check_password(password)
    _require(db, user_id)
    db["users"].update(user_id, {"password_hash": generate_password_hash(password, method="scrypt"),
                                 "failed_logins": 0, "locked_until": ""})
    sessions.end_all(db, user_id, now, "password changed")
    return get_user(db, user_id)


def reset_authenticator(db, user_id, now=None):
    """A new TOTP secret (a lost phone); the old app stops working at once."""
    user = _require(db, user_id)
    if user["role"] not in READER_ROLES:
        raise UserError("only the DSL team and the head log in with an authenticator app")
    db["users"].update(user_id, {"totp_secret": totp.new_secret(), "totp_last_step": 0})
    sessions.end_all(db, user_id, now, "authenticator reset")
    return get_user(db, user_id)


def set_active(db, user_id, active, now=None):
    """Switch an account off (it keeps its history) or back on."""
    _require(db, user_id)
    db["users"].update(user_id, {"active": 1 if active else 0})
    if not active:
        sessions.end_all(db, user_id, now, "account switched off")
    return get_user(db, user_id)


def unlock(db, user_id):
    """Let an account try again at once, from every address (its failed logins forgotten)."""
    user = _require(db, user_id)
    db["users"].update(user_id, {"failed_logins": 0, "locked_until": ""})
    db.execute("DELETE FROM login_throttle WHERE key = ? OR key LIKE ? ESCAPE '\\'",
               [user["email"], throttle.like_prefix(user["email"] + "|")])


def password_matches(db, email, password):
    """The user if the email and password match, else None (same work either way)."""
    user = find_user(db, email or "")
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    return user if check_password_hash(user["password_hash"], password or "") else None
