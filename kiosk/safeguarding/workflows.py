"""Every casework workflow, imported once so each registers its decisions, close checks
and record wording, whichever part of the app (web, command line) reads a case."""
from . import (allegations, attachments, case_links, case_pupils, categories,  # noqa: F401
               hearing_back, imagery, imagery_record, referral, tasks)
from . import body_map, concern_form  # noqa: E402


def check_staff_content(content_dir, content):
    """The staff side's content files, each loaded and checked as the pages will use it:
    a short summary, or ValueError naming the file and what is wrong."""
    listed = categories.load(content_dir)
    regions = body_map.load(content_dir)
    concern_form.load(content_dir, content)
    count = sum(len(side_regions) for _, _, side_regions in regions.sides)
    return f"{len(listed)} DSL categories, {count} body map regions, the staff concern form"

