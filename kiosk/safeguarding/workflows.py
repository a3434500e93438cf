"""Every casework workflow, imported once so each registers its decisions, close checks
and record wording, whichever part of the app (web, command line) reads a case."""
from . import (allegations, attachments, case_links, case_pupils, categories,  # noqa: F401
               imagery, referral, tasks)
