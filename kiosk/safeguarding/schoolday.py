"""When a report is due to be seen: today's cut-off on a school day, else next school morning."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class SchoolDay:
    timezone: ZoneInfo
    opens: time          # staff are in from this time
    cutoff: time         # same-day reports made before this are due by it
    morning_due: time    # reports made after the cut-off are due by this next morning
    days: frozenset      # weekday numbers, Monday = 0
    closed: frozenset    # dates the school is shut (holidays, INSET days)
    urgent_minutes: int  # an urgent report is due this long after it arrives

    @classmethod
    def from_config(cls, cfg):
        """Build from the SCHOOL_DAY config mapping; raise ValueError naming a bad key."""
        try:
            return cls(
                ZoneInfo(cfg["timezone"]),
                time.fromisoformat(cfg["opens"]),
                time.fromisoformat(cfg["cutoff"]),
                time.fromisoformat(cfg["morning_due"]),
                frozenset(WEEKDAYS.index(d.lower()[:3]) for d in cfg["days"]),
                frozenset(date.fromisoformat(d) for d in cfg.get("closed", ())),
                int(cfg["urgent_minutes"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"SCHOOL_DAY setting is not valid: {exc!r}") from None

    def is_school_day(self, day):
        return day.weekday() in self.days and day not in self.closed

    def told_when(self, due_at, now):
        """What a pupil may be promised: "today" only when the report falls due today and
        today is a school day (an urgent report at a weekend is not promised "today":
        nobody may be in school), else "next_school_day"."""
        due = datetime.fromisoformat(due_at).astimezone(self.timezone).date()
        today = now.astimezone(self.timezone).date()
        return "today" if due == today and self.is_school_day(today) else "next_school_day"

    def next_school_day(self, day):
        """The first school day after `day` (a year ahead at most)."""
        for offset in range(1, 366):
            candidate = day + timedelta(days=offset)
            if self.is_school_day(candidate):
                return candidate
        raise ValueError("SCHOOL_DAY has no school day in the coming year")


def due_time_for(created, level, school):
    """The aware datetime by which a report made at `created` must be acknowledged."""
    if level == "urgent":
        return created + timedelta(minutes=school.urgent_minutes)
    local = created.astimezone(school.timezone)
    today = local.date()
    if school.is_school_day(today) and local.time() < school.opens:
        due_day, due = today, school.morning_due  # before school: due this morning
    elif school.is_school_day(today) and local.time() < school.cutoff:
        due_day, due = today, school.cutoff
    else:
        due_day, due = school.next_school_day(today), school.morning_due
    return datetime.combine(due_day, due, tzinfo=school.timezone)
