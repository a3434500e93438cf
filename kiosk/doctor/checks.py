"""The checks that only read this server: accounts, kiosks, the staff PIN, backups, disk."""
import shutil
from datetime import datetime, timedelta

from ..db import writing
from ..devices.kiosks import PIN_SETTING, list_kiosks, state_of
from ..accounts.users import ROLE_NAMES, users_with_role
from .finding import MiB, Finding, gap, get_setting, put_setting, size, when

BACKUP_SETTING = "last_backup"  # {"at", "path", "size"}, written by the backup command
# Why each role must be there: said in the problem, so nobody has to guess.
MISSING_ROLE = {
    "dsl": "nobody reads the reports",
    "deputy": "a report the DSL does not acknowledge in time has nobody to go to next",
    "head": "nobody can sign off a decision not to refer, and escalation stops at the deputies",
}
EXAMPLE_EMAIL = {"dsl": "dsl@your.school", "deputy": "deputy@your.school",
                 "head": "head@your.school"}


def _who(user):
    return f"{user['name']} ({user['email']})" if user["name"] else user["email"]


def check_role(config, db, role):
    """An active account with this role whose authenticator code has worked at least once."""
    accounts = users_with_role(db, role)
    # totp_last_step is the period of the last code accepted: 0 means never used.
    ready = [user for user in accounts if user["totp_secret"] and user["totp_last_step"]]
    if ready:
        return Finding(role, True, found=f"{', '.join(map(_who, ready))}, two-factor in use")
    if not accounts:
        return gap(role, f"No active {ROLE_NAMES[role]} account: {MISSING_ROLE[role]}.",
                   f"flask --app kiosk create-user {EXAMPLE_EMAIL[role]} --role {role} "
                   '--name "Their name" (it prints the QR code for their authenticator app)')
    people = ", ".join(map(_who, accounts))
    staff_url = (config.get("BASE_URL") or "").rstrip("/") + "/staff/"
    return gap(role, f"{people} {'has' if len(accounts) == 1 else 'have'} not yet logged in "
                     "with an authenticator code, so two-factor is not known to work.",
               f"Log in once at {staff_url} with the password and the 6-digit code from the "
               "authenticator app. Never scanned the QR code? "
               f"flask --app kiosk reset-authenticator {accounts[0]['email']} prints a new one.")


def check_kiosks(db, now):
    """At least one kiosk enrolled and not revoked; otherwise what is holding them up."""
    states = [(kiosk["name"], state_of(kiosk, now)[0]) for kiosk in list_kiosks(db)]
    enrolled = [name for name, state in states if state == "enrolled"]
    if enrolled:
        more = f" and {len(enrolled) - 5} more" if len(enrolled) > 5 else ""
        return Finding("kiosk", True,
                       found=f"{len(enrolled)} enrolled: {', '.join(enrolled[:5])}{more}")
    waiting = [name for name, state in states if state == "waiting"]
    expired = [name for name, state in states if state == "code expired"]
    if waiting:
        return gap("kiosk", f"No kiosk is enrolled yet: '{waiting[0]}' is waiting for its device.",
                   "Open its enrolment link on the device (or open /kiosk there and type the "
                   f'code). Lost the code? flask --app kiosk enrol-code "{waiting[0]}"')
    if expired:
        return gap("kiosk", f"No kiosk is enrolled: the code for '{expired[0]}' has expired.",
                   f'flask --app kiosk enrol-code "{expired[0]}" gives a new code.')
    return gap("kiosk", "No kiosk is enrolled: pupils have nowhere to tell.",
               'flask --app kiosk create-kiosk "Library kiosk" --place Library, then open '
               "the link it prints on the device.")


def check_staff_pin(db):
    """The PIN staff type to pause a kiosk or leave kiosk mode."""
    if next(db.query("SELECT 1 FROM settings WHERE key = ?", [PIN_SETTING]), None):
        return Finding("staff_pin", True, found="set")
    return gap("staff_pin", "The staff PIN is not set: staff cannot pause a kiosk or leave "
                            "kiosk mode on it.", "flask --app kiosk set-staff-pin")


def check_backup(config, db, now):
    """A backup recorded by the backup command within BACKUP_MAX_AGE_HOURS."""
    hours = config["BACKUP_MAX_AGE_HOURS"]
    fix = ("flask --app kiosk backup /var/backups/kiosk/kiosk-$(date +%F-%H%M).sqlite3, run "
           "from the kiosk folder every day (for example from cron); keep copies on another "
           "disk or machine.")
    last = get_setting(db, BACKUP_SETTING)
    if not last:
        return gap("backup", "No backup has been made: a failed disk would lose every "
                             "report and case.", fix)
    made = datetime.fromisoformat(last["at"])
    about = f"{when(config, made)}, {size(last['size'])}, {last['path']}"
    if now - made > timedelta(hours=hours):
        return gap("backup", f"The last backup is {_age(now - made)} old ({about}); "
                             f"BACKUP_MAX_AGE_HOURS is {hours}.", fix)
    return Finding("backup", True, found=about)


def _age(delta):
    hours = int(delta.total_seconds() // 3600)
    return f"{hours // 24} days" if hours >= 48 else f"{hours} hours"


def record_backup(db, path, byte_count, now):
    """Remember the backup just made, for the backup check."""
    with writing(db):
        put_setting(db, BACKUP_SETTING, {"at": now.isoformat(), "path": str(path),
                                         "size": byte_count})


def check_disk(config, instance_path):
    """Room left for reports on the disk that holds the instance folder."""
    usage = shutil.disk_usage(instance_path)
    percent = usage.free * 100 / usage.total
    low_mb, low_percent = config["DISK_MIN_FREE_MB"], config["DISK_MIN_FREE_PERCENT"]
    found = f"{size(usage.free)} free ({percent:.0f}%) on the disk that holds {instance_path}"
    if usage.free >= low_mb * MiB and percent >= low_percent:
        return Finding("disk", True, found=found)
    return gap("disk", f"Only {found}: when it is full, no report can be stored.",
               "Free space on that disk (old backups, logs), or move the instance folder to a "
               f"bigger disk with KIOSK_INSTANCE_PATH. The doctor warns below {low_mb} MB "
               f"(DISK_MIN_FREE_MB) or {low_percent}% (DISK_MIN_FREE_PERCENT).")
