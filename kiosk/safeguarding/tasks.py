"""Tasks on a case: an owner, a due date, done."""


def schema_m021(db):
    """Tables or columns this workflow needs (none yet)."""
