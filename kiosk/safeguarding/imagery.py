"""Youth-produced sexual imagery: the policies' own steps, recorded on the case."""


def schema_m018(db):
    """Tables this workflow needs (none yet)."""
