"""Staff accounts: creating them and checking a password."""
import functools
import re
from datetime import datetime, timezone

from werkzeug.security import check_password_hash, generate_password_hash

ROLES = ("dsl", "deputy", "head", "staff", "it")
ROLE_NAMES = {"dsl": "Designated Safeguarding Lead", "deputy": "Deputy DSL",
              "head": "Head teacher", "staff": "Staff", "it": "School IT"}
READER_ROLES = ("dsl", "deputy", "head")  # may read reports; log in with a TOTP code too
SIGN_OFF_ROLE = "head"  # signs off decisions not to refer
ADMIN_ROLE = "it"       # users, kiosks, settings; never report content
MIN_PASSWORD = 12
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@functools.cache
def _dummy_hash():
    """A real hash to check against when the email is unknown, so timing does not tell."""
    return generate_password_hash("not a real password", method="scrypt")


class UserError(ValueError):
    """A staff account that cannot be created, with the reason."""


def create_user(db, email, password, role):
    """Add a staff account; the password is stored only as a scrypt hash."""
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise UserError(f"'{email}' is not an email address")
    if role not in ROLES:
        raise UserError(f"role must be one of: {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password must be at least {MIN_PASSWORD} characters")
    if find_user(db, email):
        raise UserError(f"a user {email} already exists")
    db["users"].insert({"email": email, "role": role,
                        "password_hash": generate_password_hash(password, method="scrypt"),
                        "created_at": datetime.now(timezone.utc).isoformat()})
    return find_user(db, email)


def find_user(db, email):
    return next(db.query("SELECT * FROM users WHERE email = ?", [email.strip().lower()]), None)


def get_user(db, user_id):
    return next(db.query("SELECT * FROM users WHERE id = ?", [user_id]), None)


def authenticate(db, email, password):
    """The user if the email and password match, else None (same work either way)."""
    user = find_user(db, email or "")
    if user is None:
        check_password_hash(_dummy_hash(), password or "")
        return None
    return user if check_password_hash(user["password_hash"], password or "") else None
