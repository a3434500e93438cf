"""The doctor: is every link from a pupil's tap to a person who acts in place?

Each check gives a Finding: its key, whether it is ok, and if not the problem in plain
words and the exact fix. `run_checks` makes every check (with network=True it also sends
a test email and opens BASE_URL/kiosk); `dashboard_gaps` is the cheap form for the
dashboard: no network, and the email test taken from the last full run.
"""
from .. import addresses
from . import checks, network as net
from .checks import record_backup  # noqa: F401  (the backup command records through it)
from .finding import COMMAND, Finding, gap  # noqa: F401

ROLES = ("dsl", "deputy", "head")


def run_checks(app, db, network=True, *, send_email=True, to=(), listen_host=None):
    """Every check, in the order a report travels; network=False sends and opens nothing."""
    config, now = app.config, app.config["CLOCK"]()
    findings = [checks.check_role(config, db, role) for role in ROLES]
    if network and send_email:
        findings.append(net.tested_email(config, db, now, to))
    else:
        findings.append(net.email_from_last_run(config, db))
    findings.append(net.check_address(config, network, listening(app)))
    if listen_host is not None:
        findings.append(net.check_listen(listen_host))
    findings += [checks.check_kiosks(db, now), checks.check_staff_pin(db),
                 checks.check_backup(config, db, now), checks.check_disk(config, app.instance_path)]
    if network:
        net.store_run(db, now, findings)
    return findings


def listening(app):
    """Where the server of this instance listens (its record), while it runs; else None."""
    facts = addresses.recorded(app.instance_path)
    return facts if facts and addresses.is_running(facts) else None


def dashboard_gaps(app, db):
    """The links missing now, cheaply: no network, no email (the last test's result)."""
    return [finding for finding in run_checks(app, db, network=False) if not finding.ok]


def lines(findings, show_ok=True):
    """The findings as text: an OK line each, or the gap and its fix on the next line."""
    out = []
    for finding in findings:
        if finding.ok:
            if show_ok:
                out.append(f"OK   {finding.title}: {finding.found}")
            continue
        out += [f"GAP  {finding.title}: {finding.problem}", f"     Fix: {finding.fix}"]
    return out
