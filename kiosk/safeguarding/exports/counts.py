"""Anonymous counts for governors: reports by month, category and urgency, as rows or CSV.

Two kinds of category sit side by side: the pupils' own "what happened" tiles, and the
categories the DSL set on the case (content/categories.toml), named "DSL category: ..."."""
import csv
import io
import json
import re
from collections import Counter
from datetime import datetime, timezone
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ALL = "All reports"  # one per report per month and urgency, so totals are not inflated
NOT_SAID = "Not said"
DSL = "DSL category: "  # before the label of a category the DSL set on the case
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
    kinds = _kinds(db)
    months = json.dumps(_months(kinds, zone, first, last))
    tally = Counter()
    for month, urgency, categories_json, reports in db.execute(COUNTED, [
            months, json.dumps(kinds)]):
        if not reports:
            continue  # that kind had none that month
        for category in (ALL, *_categories(categories_json)):
            tally[(month, category, urgency)] += reports
    for month, urgency, label, reports in db.execute(DSL_COUNTED, [months]):
        tally[(month, DSL + label, urgency)] += reports
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


# A report's moment in UTC, as SQLite writes it (any stored offset applied; a time with
# none is UTC, as the app stores it). The index reports_counted (migration _m017) holds,
# for each report not merged away, its urgency, its categories and this, in that order:
# each kind of report (urgency and categories) is a run of the index, in time order.
UTC = "datetime(created_at)"
UTC_FORMAT = "%Y-%m-%d %H:%M:%S"
INDEX = "reports INDEXED BY reports_counted WHERE merged_into IS NULL"
# The next kind after one, found by a seek in the index, not by reading every report.
SAME_URGENCY = (f"SELECT urgency, categories FROM {INDEX} AND urgency = ? AND categories > ? "
                "ORDER BY categories LIMIT 1")
NEXT_URGENCY = (f"SELECT urgency, categories FROM {INDEX} AND urgency > ? "
                "ORDER BY urgency, categories LIMIT 1")
FIRST_KIND = f"SELECT urgency, categories FROM {INDEX} ORDER BY urgency, categories LIMIT 1"
SPAN = (f"SELECT (SELECT min({UTC}) FROM {INDEX} AND urgency = ? AND categories = ?), "
        f"(SELECT max({UTC}) FROM {INDEX} AND urgency = ? AND categories = ?)")
# Each kind's reports in each school month, counted in the index by one range each.
COUNTED = (
    "WITH months(month, first, after) AS (SELECT value ->> 0, value ->> 1, value ->> 2 "
    "FROM json_each(?)), kinds(urgency, categories) AS (SELECT value ->> 0, value ->> 1 "
    "FROM json_each(?)) "
    "SELECT m.month, k.urgency, k.categories, "
    f"(SELECT count(*) FROM {INDEX} AND urgency = k.urgency AND categories = k.categories "
    f"AND {UTC} >= m.first AND {UTC} < m.after) FROM kinds k CROSS JOIN months m")


# The DSL's categories on the cases of each school month (only cases they have set).
DSL_COUNTED = (
    "WITH months(month, first, after) AS (SELECT value ->> 0, value ->> 1, value ->> 2 "
    "FROM json_each(?)) "
    "SELECT m.month, r.urgency, c.label, count(*) FROM case_categories c "
    "JOIN reports r ON r.id = c.report_id AND r.merged_into IS NULL "
    "JOIN months m ON datetime(r.created_at) >= m.first AND datetime(r.created_at) < m.after "
    "GROUP BY m.month, r.urgency, c.label")


def _kinds(db):
    """[urgency, categories, first moment, last moment] of each kind of report counted."""
    kinds, after = [], None
    while True:
        if after is None:
            found = db.execute(FIRST_KIND).fetchone()
        else:
            found = (db.execute(SAME_URGENCY, after[:2]).fetchone()
                     or db.execute(NEXT_URGENCY, after[:1]).fetchone())
        if found is None:
            return kinds
        after = [*found, *db.execute(SPAN, [*found, *found]).fetchone()]
        if after[2] is not None:  # a time SQLite cannot read is in no month
            kinds.append(after)


def _months(kinds, zone, first, last):
    """[month, its first moment, the next month's first moment] in UTC, for each school
    month from the first report's to the last's, within first..last when given."""
    if not kinds:
        return []
    begin = _school_month(min(kind[2] for kind in kinds), zone)
    end = _school_month(max(kind[3] for kind in kinds), zone)
    begin, end = max(begin, first or begin), min(end, last or end)
    months, (year, number) = [], map(int, begin.split("-"))
    while f"{year:04d}-{number:02d}" <= end:
        following = (year + number // 12, number % 12 + 1)
        months.append([f"{year:04d}-{number:02d}", _utc_start(year, number, zone),
                       _utc_start(*following, zone)])
        year, number = following
    return months


def _school_month(utc_text, zone):
    """The school's month of a moment SQLite wrote in UTC."""
    moment = datetime.strptime(utc_text, UTC_FORMAT).replace(tzinfo=timezone.utc)
    return f"{moment.astimezone(zone):%Y-%m}"


def _utc_start(year, number, zone):
    """When a school month begins (midnight on the 1st there), in UTC as SQLite writes it."""
    return datetime(year, number, 1, tzinfo=zone).astimezone(timezone.utc).strftime(UTC_FORMAT)


def _categories(categories_json):
    """What happened, as the labels the report keeps (pages with role "categories"), or
    'Not said'."""
    return sorted(set(json.loads(categories_json or "[]"))) or [NOT_SAID]


def _order(row):
    """By month; 'All reports' first, the pupils' categories ('Not said' last), then the
    DSL's; urgent before same-day."""
    rank = (0 if row.category == ALL else 2 if row.category == NOT_SAID
            else 3 if row.category.startswith(DSL) else 1)
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
