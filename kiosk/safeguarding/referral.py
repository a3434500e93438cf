"""Immediate referral: a case that met the criteria cannot close without one."""


def schema_m019(db):
    """Tables or columns this workflow needs (none yet)."""
