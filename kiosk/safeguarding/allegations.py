"""Allegations about staff: to the head (or the chair of governors), hidden from the person named."""


def schema_m019(db):
    """Tables or columns this workflow needs (none yet)."""
