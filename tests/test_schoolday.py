"""Due times: today's cut-off on a school day, else the next school morning."""
from datetime import datetime, timezone

import pytest

from kiosk import DEFAULT_SCHOOL_DAY
from kiosk.safeguarding.schoolday import SchoolDay, due_time_for

SCHOOL = SchoolDay.from_config(dict(DEFAULT_SCHOOL_DAY, closed=["2026-12-21"]))


def utc(*parts):
    return datetime(*parts, tzinfo=timezone.utc)


def local(iso):
    return datetime.fromisoformat(iso).replace(tzinfo=SCHOOL.timezone)


@pytest.mark.parametrize("made, due", [
    (utc(2026, 11, 18, 10, 30), "2026-11-18 15:00"),   # Wednesday morning: today's cut-off
    (utc(2026, 11, 18, 14, 59), "2026-11-18 15:00"),   # one minute before the cut-off
    (utc(2026, 11, 18, 15, 0), "2026-11-19 09:00"),    # at the cut-off: next morning
    (utc(2026, 11, 18, 22, 0), "2026-11-19 09:00"),    # evening
    (utc(2026, 11, 19, 6, 45), "2026-11-19 09:00"),    # before school opens: this morning
    (utc(2026, 11, 20, 16, 0), "2026-11-23 09:00"),    # Friday after hours: Monday
    (utc(2026, 11, 21, 11, 0), "2026-11-23 09:00"),    # Saturday
    (utc(2026, 11, 22, 23, 30), "2026-11-23 09:00"),   # Sunday night
    (utc(2026, 12, 18, 15, 30), "2026-12-22 09:00"),   # Friday, Monday is a closure day
    (utc(2026, 6, 17, 13, 30), "2026-06-17 15:00"),    # summer time: 14:30 in London
    (utc(2026, 6, 17, 14, 30), "2026-06-18 09:00"),    # summer time: 15:30 in London
])
def test_same_day_due_time(made, due):
    assert due_time_for(made, "same-day", SCHOOL) == local(due)


def test_urgent_is_due_in_minutes_whatever_the_day():
    saturday_night = utc(2026, 11, 21, 23, 0)
    assert (due_time_for(saturday_night, "urgent", SCHOOL) - saturday_night).seconds == 600


@pytest.mark.parametrize("bad", [
    {"cutoff": "3pm"}, {"days": ["funday"]}, {"timezone": "Mars/Olympus"}, {"urgent_minutes": "x"},
])
def test_bad_school_day_setting_is_named(bad):
    with pytest.raises(ValueError, match="SCHOOL_DAY"):
        SchoolDay.from_config(dict(DEFAULT_SCHOOL_DAY, **bad))
