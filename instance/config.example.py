# Copy to instance/config.py and edit. Every setting here is optional.

# When reports are due. Same-day reports made before the cut-off on a school day are
# due by the cut-off; later ones by `morning_due` on the next school day. Urgent
# reports are due `urgent_minutes` after they arrive.
SCHOOL_DAY = {
    "timezone": "Europe/London",
    "opens": "08:00",
    "cutoff": "15:00",
    "morning_due": "09:00",
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "closed": ["2026-12-21", "2026-12-22"],  # holidays and INSET days, YYYY-MM-DD
    "urgent_minutes": 10,
}

# Facts about the school that some urgency rules depend on (content/urgency.toml).
SCHOOL_SETTINGS = {
    "pupils_under_13": True,   # a primary school: any request for pictures is urgent
    "special_school": False,   # doubt about capacity to consent for all pupils
}

# Speech: an espeak-ng voice (language code, id or name) and words per minute.
SPEECH_VOICE = "en-gb"
SPEECH_RATE = 140

# Symbols: a folder under symbols/ with a pack.toml. Missing concepts fall back to
# the default pack.
SYMBOL_PACK = "default"

# Privacy reset: seconds without a touch before the warning, and the warning's length.
KIOSK_IDLE_SECONDS = 120
KIOSK_WARNING_SECONDS = 20

# Behind HTTPS (a reverse proxy), send staff cookies only over HTTPS.
SESSION_COOKIE_SECURE = False

# "Get an adult": minutes before an unanswered press climbs the urgent escalation ladder
# (deputies, then the head). Email (see docs/escalation.md for SMTP) goes to the DSL team
# at once for urgent reports and "Get an adult"; EMAIL_EVERY_REPORT emails every report.
HELP_ESCALATE_MINUTES = 2
EMAIL_EVERY_REPORT = False
EMAIL_CHECK_SECONDS = 5

# The doctor (flask --app kiosk doctor): the last backup may be at most this many hours
# old; warn when the disk holding the instance folder has less free than either limit.
BACKUP_MAX_AGE_HOURS = 26
DISK_MIN_FREE_MB = 1024
DISK_MIN_FREE_PERCENT = 5

# Alert screens: a dashboard whose login ended keeps sounding and showing content-free
# alerts ("URGENT report from Class 4 iPad at 10:45: log in to read") for this many days
# after a reader last opened the dashboard in that browser.
ALERT_SCREEN_DAYS = 30

# The school's name, shown in emails to staff.
SCHOOL_NAME = ""

# The address iPads and staff phones open, e.g. "http://192.168.1.20:5000", or
# "https://kiosk.your.school" behind a reverse proxy: the link in emails and the enrolment
# link `create-kiosk` prints. Empty: the address the running server listens on (it records
# it in the instance folder as it starts). `doctor` checks it answers, and that it agrees
# with where the server listens.
BASE_URL = ""

# Behind a reverse proxy (docs/https.md): the number of proxies in front of the kiosk that
# add X-Forwarded-For and X-Forwarded-Proto (1 for one nginx). The audit log then records
# the pupil's or staff member's own address, not the proxy's. 0: no proxy, the headers are
# ignored (anyone could send them).
PROXY_HOPS = 0

# Email through the school's own SMTP server; None: dashboards only (`doctor` says so).
# SMTP = {"host": "smtp.your.school", "port": 587, "starttls": True,
#         "username": "kiosk", "password": "...", "from": "kiosk-alerts@your.school"}
SMTP = None

# Staff login: minutes without activity before a session ends (its dashboard turns into
# an alert screen); wrong passwords or codes for one account from one address before each
# further try there waits (1 s, doubling each time, at most LOCKOUT_MINUTES); wrong ones
# from addresses the account never logged in from, before such tries wait account-wide
# (the owner's usual addresses never wait for it); the longest a login lasts, however
# active. Nothing is ever locked: an attacker who knows an email cannot shut anyone out.
STAFF_IDLE_MINUTES = 30
LOCKOUT_ATTEMPTS = 5
LOCKOUT_MINUTES = 15
LOGIN_ACCOUNT_ATTEMPTS = 10
STAFF_SESSION_HOURS = 12

# Kiosks: hours an enrolment code works; wrong staff PINs before that kiosk's PIN pad
# pauses for KIOSK_PIN_LOCK_MINUTES; seconds the thank-you stays before the screen clears.
KIOSK_ENROL_HOURS = 24
KIOSK_PIN_ATTEMPTS = 5
KIOSK_PIN_LOCK_MINUTES = 5
KIOSK_THANKS_SECONDS = 20
# Staff attachments: the largest file accepted. Hearing back: days a pupil's three
# pictures keep working; wrong tries at one kiosk before it locks for some minutes.
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
HEARING_BACK_DAYS = 21
HEARING_BACK_ATTEMPTS = 5
HEARING_BACK_LOCK_MINUTES = 15
# Wrong enrolment codes from one address before each further try waits (doubling, at
# most 15 minutes); each time it must wait is in the audit log.
ENROL_ATTEMPTS = 5

# The escalation ladder (docs/escalation.md): who is told, and how many minutes after a
# report's due time it is still not acknowledged; how often the ladder is checked.
ESCALATION = {
    "urgent": [{"to": "deputy", "after_minutes": 0}, {"to": "head", "after_minutes": 10}],
    "same-day": [{"to": "deputy", "after_minutes": 0}, {"to": "head", "after_minutes": 30}],
}
ESCALATION_CHECK_SECONDS = 30

# Speech input: a vosk model folder to use instead of the one `speech install-model`
# made active (also the KIOSK_VOSK_MODEL environment variable); how many kiosks may be
# listening at once; listener limits (see kiosk/voice/listener.py for their names).
# VOSK_MODEL = "/srv/models/vosk-model-small-en-us-0.15"
VOICE_MAX_STREAMS = 24
# pocketsphinx's worker processes: one a core by default; 0 decodes in the server process.
# VOICE_WORKERS = 2
# A pupil's own words by Whisper tiny.en when it is installed; False uses pocketsphinx.
VOICE_WHISPER = True
VOICE_LIMITS = {}

# Where things are, if not in the project and instance folders (rarely changed).
# CONTENT_DIR = "/srv/kiosk/content"          # the school's own pages and words
# SYMBOLS_DIR = "/srv/kiosk/symbols"          # the school's own symbol packs
# DATABASE = "/srv/kiosk/instance/kiosk.sqlite3"
# SPEECH_CACHE = "/srv/kiosk/instance/speech-cache"
# TLS_DIR = "/srv/kiosk/instance/tls"         # the certificate authority for --https

# Flask's own settings, set for the kiosk: the largest request body a kiosk may send
# (bytes), staff cookies' lifetime (seconds), and how they are sent.
# MAX_CONTENT_LENGTH = 65536
# PERMANENT_SESSION_LIFETIME = 28800
# SESSION_COOKIE_HTTPONLY = True
# SESSION_COOKIE_SAMESITE = "Lax"

# Backups (README "Backups and restore"): an encrypted backup into BACKUP_DIR whenever the
# newest is BACKUP_EVERY_HOURS old (0: no scheduled backups), keeping the newest of each of
# the last BACKUP_KEEP_DAILY days and BACKUP_KEEP_WEEKLY weeks. BACKUP_KEY_FILE is the key
# every backup is encrypted with: copy it somewhere safe, apart from the backups.
# BACKUP_DIR = "/srv/kiosk/instance/backups"
BACKUP_EVERY_HOURS = 24
BACKUP_KEEP_DAILY = 7
BACKUP_KEEP_WEEKLY = 4
# BACKUP_KEY_FILE = "/srv/kiosk/instance/backup.key"

# More than one server process (docs/trust.md): the Redis all of this school's processes
# share, e.g. "redis://:password@10.0.0.5:6379/0" ("": one process, no Redis); the channel
# its events travel on ("": one named from this instance's secret key, so schools sharing
# a Redis never hear each other); BACKGROUND_JOBS None starts the escalation ladder, email
# and backups with the server (one process runs them), False never.
REDIS_URL = ""
REDIS_CHANNEL = ""
BACKGROUND_JOBS = None

# The audit log (docs/audit.md): AUDIT_KEY_FILE is the key that signs every entry and
# checkpoint ("": audit_key in the instance folder, made on first start, readable by the
# server only; backups leave it out: keep a copy apart, as for the backup key). Newly
# stored records are sealed into the log every AUDIT_SEAL_SECONDS; a signed checkpoint is
# made (and emailed to the head and the DSL) every AUDIT_CHECKPOINT_HOURS.
# AUDIT_KEY_FILE = "/srv/kiosk/instance/audit_key"
AUDIT_SEAL_SECONDS = 60
AUDIT_CHECKPOINT_HOURS = 24
