"""Anonymous counts for governors: reports by month, category and urgency, as rows or CSV."""
import csv
import io
import json
import re
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ALL = "All reports"  # one per report per month and urgency, so totals are not inflated
NOT_SAID = "Not said"
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# A cell starting with one of these is a formula to a spreadsheet; labels are editable content.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
URGENCY_ORDER = {"urgent": 0, "same-day": 1}
SMALL = 5  # counts below this are hidden: with so few, a governor could guess who
FEWER = "fewer than 5"
WITHHELD = "withheld"  # a total that would give away a hidden count by subtraction


class CountRow(NamedTuple):
    month: str
    category: str
    urgency: str
    reports: int  # or, once published, FEWER or WITHHELD


def counts(db, start=None, end=None, tz="Europe/London"):
    """Reports per month (in the school's zone), category and urgency; merged duplicates left out.

    A report with several categories counts once under each, and once under "All reports"."""
    zone = _zone(tz)
    first, last = _month(start, "start"), _month(end, "end")
    if first and last and first > last:
        raise ValueError(f"start {start} is after end {end}")
    tally = Counter()
    for report in db.query(*_query(first, last)):
        month = _local_month(report["created_at"], zone)
        if (first and month < first) or (last and month > last):
            continue
        for category in (ALL, *_categories(report["categories"])):
            tally[(month, category, report["urgency"])] += 1
    return sorted((CountRow(*key, reports) for key, reports in tally.items()), key=_order)


def published(rows):
    """The rows as governors may see them: small numbers hidden, and totals that would
    give them away withheld.

    A count of 1 to 4 could point to a child, so it reads "fewer than 5" (primary
    suppression). Each month and urgency's "All reports" total is at most the sum of
    its categories (equal when no report has two), so a total shown beside one hidden
    category would give that category away by subtraction: when any category of a
    group is hidden, its total is withheld too (secondary suppression). No other total
    is published, here or on the exports page's chart."""
    hidden_groups = {(row.month, row.urgency) for row in rows
                     if row.category != ALL and row.reports < SMALL}
    shown = []
    for row in rows:
        if row.reports < SMALL:
            value = FEWER
        elif row.category == ALL and (row.month, row.urgency) in hidden_groups:
            value = WITHHELD
        else:
            value = row.reports
        shown.append(row._replace(reports=value))
    return shown


def counts_csv(rows):
    """The rows as CSV text with a header, safe to open in a spreadsheet; small numbers
    hidden (published)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CountRow._fields)
    for row in published(rows):
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _zone(tz):
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone '{tz}'") from None


def _month(value, which):
    """A 'YYYY-MM' filter, checked; None when not given."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not MONTH.match(value):
        raise ValueError(f"{which} must be a month written YYYY-MM, such as 2026-09")
    return value


def _query(first, last):
    """SQL for the reports that could fall in the months asked for.

    Stored times may carry any offset, so the bounds are widened by two days and the
    exact month is decided in the school's zone afterwards."""
    sql, params = ["SELECT created_at, urgency, categories FROM reports "
                   "WHERE merged_into IS NULL"], []
    if first:
        sql.append("AND created_at >= ?")
        params.append((_first_day(first) - timedelta(days=2)).isoformat())
    if last:
        following = _first_day(last) + timedelta(days=31)
        sql.append("AND created_at < ?")
        params.append((following.replace(day=1) + timedelta(days=2)).isoformat())
    return " ".join(sql), params


def _first_day(month):
    year, number = month.split("-")
    return date(int(year), int(number), 1)


def _local_month(created_at, zone):
    moment = datetime.fromisoformat(created_at)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)  # the app stores UTC
    return f"{moment.astimezone(zone):%Y-%m}"


def _categories(categories_json):
    """What happened, as the labels the report keeps (pages with role "categories"), or
    'Not said'."""
    return sorted(set(json.loads(categories_json or "[]"))) or [NOT_SAID]


def _order(row):
    """By month; 'All reports' first and 'Not said' last; urgent before same-day."""
    rank = 0 if row.category == ALL else 2 if row.category == NOT_SAID else 1
    return (row.month, rank, row.category.casefold(), URGENCY_ORDER.get(row.urgency, 9),
            row.urgency)


CHART_HEIGHT = 160  # the bars' drawing area, in the chart's own units
CHART_URGENCIES = ("urgent", "same-day")


def chart(rows, months=12):
    """The exports page's chart: each of the last `months` months' "All reports" per
    urgency, from the published rows only (so it shows nothing the CSV hides), with the
    geometry worked out here and drawn as inline SVG (nothing from outside the server)."""
    shown = {(row.month, row.urgency): row.reports for row in published(rows)
             if row.category == ALL}
    chosen = sorted({month for month, _ in shown})[-months:]
    numbers = [value for value in shown.values() if isinstance(value, int)]
    top = max(numbers, default=SMALL)
    bars = []
    for slot, month in enumerate(chosen):
        for offset, urgency in enumerate(CHART_URGENCIES):
            value = shown.get((month, urgency), 0)
            bars.append(_bar(slot * 3 + offset, month, urgency, value, top))
    return {"months": [{"month": m, "x": i * 3 * 20 + 20} for i, m in enumerate(chosen)],
            "bars": bars, "width": max(1, len(chosen)) * 60, "height": CHART_HEIGHT + 40,
            "base": CHART_HEIGHT}


def _bar(slot, month, urgency, value, top):
    """One bar: its place, height and label; a hidden count is drawn as a low hatched bar."""
    hidden = not isinstance(value, int)
    height = CHART_HEIGHT * 0.08 if hidden else CHART_HEIGHT * value / top
    label = value if hidden else str(value)
    return {"x": slot * 20, "y": CHART_HEIGHT - height, "height": height, "month": month,
            "urgency": urgency, "hidden": hidden,
            "label": "<5" if value == FEWER else "withheld" if value == WITHHELD else label,
            "title": f"{month}, {urgency}: {label}"}
