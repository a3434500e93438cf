"""A no-blame worry kiosk: pupils tell by symbols and speech; the DSL sees it live."""
import os
import secrets
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import db, defaults
from .defaults import DEFAULT_SCHOOL_DAY, PROJECT_ROOT, utc_now  # noqa: F401  (used by tests)
from .extensions import socketio, socketio_options


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
    app.config.from_mapping(defaults.settings(app.instance_path))
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app.instance_path)

    db.init_app(app)
    with app.app_context():
        db.migrate(db.get_db())
    from .audit import keys as audit_keys
    audit_keys.init_app(app)  # the audit key, made on first start (kiosk/audit/keys.py)

    from . import cli, errors, headers, jobs, services
    from .pupil import bp as pupil_bp
    from .staff import bp as staff_bp
    from .tls import bp as tls_bp
    from .pupil import voice_events  # noqa: F401  (registers the handlers)
    from .safeguarding import workflows  # noqa: F401  (decisions, close checks, wording)

    services.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    cli.init_app(app)
    app.register_blueprint(pupil_bp)
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(tls_bp)
    socketio.init_app(app, **socketio_options(app.config))
    if app.config["PROXY_HOPS"]:
        # Outermost, so live (Socket.IO) requests see the client's address and scheme too.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_HOPS"],
                                x_proto=app.config["PROXY_HOPS"])
    # Background jobs (escalation, email, backups) start when this process first serves.
    jobs.init_app(app)
    return app
