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
