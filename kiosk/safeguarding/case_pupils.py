"""Several pupils on one case, each with a role."""


def schema_m020(db):
    """Tables or columns this workflow needs (none yet)."""
