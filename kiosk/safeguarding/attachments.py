"""Staff attachments to a case: stored by content hash under the instance folder."""


def schema_m022(db):
    """Tables or columns this workflow needs (none yet)."""
