"""Kiosk devices: enrolment, device tokens, per-kiosk settings, staff PIN."""
