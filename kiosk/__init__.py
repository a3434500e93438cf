"""A no-blame worry kiosk: pupils tell by symbols and speech; the DSL sees it live."""
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask

from . import db
from .extensions import socketio

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_SCHOOL_DAY = {
    "timezone": "Europe/London",
    "opens": "08:00",
    "cutoff": "15:00",
    "morning_due": "09:00",
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "closed": [],
    "urgent_minutes": 10,
}


def utc_now():
    return datetime.now(timezone.utc)


def _secret_key(instance_path):
    """The instance's secret key, generated on first run and never committed."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(test_config=None):
    """Build the app; invalid content is reported on every page, never half-served."""
    instance_path = os.environ.get("KIOSK_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(__name__, instance_path=os.path.abspath(instance_path),
                instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(
        DATABASE=os.path.join(app.instance_path, "kiosk.sqlite3"),
        CONTENT_DIR=str(PROJECT_ROOT / "content"),
        SYMBOLS_DIR=str(PROJECT_ROOT / "symbols"),
        SYMBOL_PACK="default",
        SPEECH_CACHE=os.path.join(app.instance_path, "speech-cache"),
        TLS_DIR=os.path.join(app.instance_path, "tls"),
        SPEECH_VOICE="en-gb",
        SPEECH_RATE=140,
        # Speech input: a vosk model folder to use instead of the installed one, how
        # many kiosks may be listening at once, and listener limits (voice/listener.py).
        VOSK_MODEL=os.environ.get("KIOSK_VOSK_MODEL", ""),
        VOICE_MAX_STREAMS=4,
        VOICE_LIMITS={},
        SCHOOL_DAY=DEFAULT_SCHOOL_DAY,
        SCHOOL_SETTINGS={"pupils_under_13": False, "special_school": False},
        KIOSK_IDLE_SECONDS=120,
        KIOSK_WARNING_SECONDS=20,
        KIOSK_THANKS_SECONDS=20,
        MAX_CONTENT_LENGTH=64 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        SCHOOL_NAME="",
        # Staff login: idle sessions end; repeated failures lock the account for a while.
        STAFF_IDLE_MINUTES=30,
        LOCKOUT_ATTEMPTS=5,
        LOCKOUT_MINUTES=15,
        # Kiosks: how long an enrolment code works; wrong staff PINs before a pause.
        KIOSK_ENROL_HOURS=24,
        KIOSK_PIN_ATTEMPTS=5,
        KIOSK_PIN_LOCK_MINUTES=5,
        # Escalation ladder (escalation.py): who is told, how many minutes after the
        # report's due time it is still not acknowledged.
        ESCALATION={
            "urgent": [{"to": "deputy", "after_minutes": 0}, {"to": "head", "after_minutes": 10}],
            "same-day": [{"to": "deputy", "after_minutes": 0},
                         {"to": "head", "after_minutes": 30}],
        },
        ESCALATION_CHECK_SECONDS=30,
        # Email for escalations, e.g. {"host": "smtp.school.example", "port": 587,
        # "starttls": True, "username": "...", "password": "...", "from": "dsl-alerts@..."}.
        # None: dashboards only. BASE_URL makes the link in the email.
        SMTP=None,
        BASE_URL="",
        # "Get an adult" and email on arrival (help_requests.py, outbox.py): minutes an
        # unanswered "Get an adult" waits before it climbs the urgent ladder; email the DSL
        # team about every report, not only urgent ones; the longest queued email waits
        # between looks at the outbox (a new report or help request wakes it at once).
        HELP_ESCALATE_MINUTES=2,
        EMAIL_EVERY_REPORT=False,
        EMAIL_CHECK_SECONDS=5,
        # The doctor (flask --app kiosk doctor): how old the last backup may be, and the
        # free disk space below which it warns (either limit).
        BACKUP_MAX_AGE_HOURS=26,
        DISK_MIN_FREE_MB=1024,
        DISK_MIN_FREE_PERCENT=5,
        # Alert screens (notify/screens.py): days a browser keeps sounding content-free
        # alerts after its login ended, counted from the last time a reader opened the
        # dashboard on it.
        ALERT_SCREEN_DAYS=30,
        CLOCK=utc_now,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)

    db.init_app(app)
    with app.app_context():
        db.migrate(db.get_db())

    from . import cli, errors, services
    from .pupil import bp as pupil_bp
    from .staff import bp as staff_bp
    from .tls import bp as tls_bp
    from .voice import events as voice_events  # noqa: F401  (registers the handlers)

    services.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    app.register_blueprint(pupil_bp)
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(tls_bp)
    socketio.init_app(app)
    return app
