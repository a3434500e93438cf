"""Categories the school defines, set on a case by the DSL."""


def schema_m021(db):
    """Tables or columns this workflow needs (none yet)."""
