"""Every setting's default, in one place; a school's instance/config.py overrides any of them
(see instance/config.example.py for what each one means)."""
import os
from datetime import datetime, timezone
from pathlib import Path

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


def cpu_count():
    """The cores this process may run on (fewer than the machine's under a CPU limit)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def utc_now():
    return datetime.now(timezone.utc)


def settings(instance_path):
    """The defaults for an app whose instance folder is `instance_path`."""
    return dict(
        DATABASE=os.path.join(instance_path, "kiosk.sqlite3"),
        CONTENT_DIR=str(PROJECT_ROOT / "content"),
        SYMBOLS_DIR=str(PROJECT_ROOT / "symbols"),
        SYMBOL_PACK="default",
        SPEECH_CACHE=os.path.join(instance_path, "speech-cache"),
        TLS_DIR=os.path.join(instance_path, "tls"),
        SPEECH_VOICE="en-gb",
        SPEECH_RATE=140,
        # Speech input: a vosk model folder to use instead of the installed one, how
        # many kiosks may be listening at once, and listener limits (voice/listener.py).
        # 24 at once (4 refused a fifth kiosk): one stream's recognition takes about a
        # twentieth of a core (bench/voice.py), so two cores keep up with 24 speaking
        # together, and bench/voice.py (f) measures 16 against its 300 ms goal.
        VOSK_MODEL=os.environ.get("KIOSK_VOSK_MODEL", ""),
        VOICE_MAX_STREAMS=24,
        VOICE_LIMITS={},
        # pocketsphinx's worker processes (voice/workers.py): one a core, since it holds
        # the GIL while decoding and a process uses one core; 0 decodes in the server's
        # own process.
        VOICE_WORKERS=cpu_count(),
        # A pupil's own words by Whisper tiny.en when faster-whisper and its model are
        # installed (requirements.txt); False keeps them to the engine of the tiles.
        VOICE_WHISPER=True,
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
        # Staff attachments on a case (attachments.py): the largest file accepted.
        ATTACHMENT_MAX_BYTES=10 * 1024 * 1024,
        # Hearing back (hearing_back.py): days a pupil's three pictures keep working, and
        # wrong tries a kiosk is allowed before it asks the pupil to find an adult.
        HEARING_BACK_DAYS=21,
        HEARING_BACK_ATTEMPTS=5,
        HEARING_BACK_LOCK_MINUTES=15,
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
        # Backups (kiosk/backup.py): an encrypted backup into BACKUP_DIR when the newest is
        # BACKUP_EVERY_HOURS old (0: none on a schedule), keeping the newest of each of the
        # last BACKUP_KEEP_DAILY days and BACKUP_KEEP_WEEKLY weeks; the key file, kept apart.
        BACKUP_DIR=os.path.join(instance_path, "backups"),
        BACKUP_EVERY_HOURS=24,
        BACKUP_KEEP_DAILY=7,
        BACKUP_KEEP_WEEKLY=4,
        BACKUP_KEY_FILE=os.path.join(instance_path, "backup.key"),
        # More than one server process (kiosk/jobs.py, docs/trust.md): the Redis every
        # process of the school shares ("" : one process), its channel ("" : one named
        # from the secret key), and whether this process starts the background jobs
        # (None: yes, unless the app is TESTING).
        REDIS_URL="",
        REDIS_CHANNEL="",
        BACKGROUND_JOBS=None,
        # Guessing (kiosk/throttle.py, README "Roles"): failed logins from addresses an
        # account has never logged in from, before every such try on it waits (its owner's
        # usual addresses never wait for it); wrong enrolment codes from one address before
        # each try waits; the longest a staff login lasts, however active.
        LOGIN_ACCOUNT_ATTEMPTS=10,
        ENROL_ATTEMPTS=5,
        STAFF_SESSION_HOURS=12,
        # The audit log (kiosk/audit/, docs/audit.md): the key file (default: audit_key in
        # the instance folder); seconds between sealing newly stored records into the log;
        # hours between signed checkpoints, emailed to the head and the DSL.
        AUDIT_KEY_FILE="",
        AUDIT_SEAL_SECONDS=60,
        AUDIT_CHECKPOINT_HOURS=24,
        # Behind a reverse proxy (docs/https.md): how many proxies in front set
        # X-Forwarded-For and X-Forwarded-Proto; 0 trusts neither header.
        PROXY_HOPS=0,
        CLOCK=utc_now,
    )
