"""The audit log: who did what, when; every stored record sealed into it; keyed and
checkpointed (chain.py, keys.py, checkpoints.py). `verify` checks it all."""
from flask import current_app

from . import checkpoints
from .chain import (ANCHOR, FIELDS, GENESIS, SEALED, SEALED_ACTION, Verdict,  # noqa: F401
                    _digest, content_hash, current_key, entries, record, seal_pending, sign)
from .chain import verify as verify_chain


def verify(db, full=True, given=(), key=None, instance_path=None):
    """Check the log against every genuine checkpoint known (the database's, the instance
    file's and any `given`); full=False starts at the newest of them."""
    key = key or current_key(db)
    instance_path = instance_path or current_app.instance_path
    known, forged = checkpoints.known(db, key, instance_path, given)
    verdict = verify_chain(db, key=key, checkpoints=known, full=full)
    if forged:
        extra = tuple((c.entry_id, "is named by a checkpoint the audit key did not sign "
                                   f"(made at {c.made_at}): a forged checkpoint")
                      for c in forged)
        problems = verdict.problems + extra
        return Verdict(verdict.checked, problems[0][0], problems[0][1], problems,
                       verdict.records, verdict.since, verdict.checkpoint)
    return verdict
