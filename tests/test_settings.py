"""Every setting a school can make is documented where IT will look for it."""
import re

from kiosk import PROJECT_ROOT, defaults

EXAMPLE = PROJECT_ROOT / "instance" / "config.example.py"
INTERNAL = {"CLOCK"}  # the time source tests replace; not a school setting


def _documented():
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+) =", EXAMPLE.read_text(), re.M))


def test_every_setting_is_in_the_config_example():
    missing = sorted(set(defaults.settings("instance")) - INTERNAL - _documented())
    assert missing == []


def test_the_example_names_no_setting_that_does_not_exist():
    unknown = sorted(_documented() - set(defaults.settings("instance")))
    assert unknown == []


def test_the_example_runs_as_a_config_file():
    namespace = {}
    exec(compile(EXAMPLE.read_text(), str(EXAMPLE), "exec"), namespace)
    assert namespace["SCHOOL_DAY"]["cutoff"] == "15:00"
