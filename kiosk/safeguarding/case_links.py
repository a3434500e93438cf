"""Reopening a closed case, and related cases linked without merging."""


def schema_m021(db):
    """Tables or columns this workflow needs (none yet)."""
