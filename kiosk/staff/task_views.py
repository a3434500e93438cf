"""Case page routes for one workflow (see kiosk/safeguarding)."""
from . import bp  # noqa: F401
