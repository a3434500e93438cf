"""Governors' counts are worked out in SQL from an index (migration _m017), and still put
each report in the school's month whatever offset its time was stored with."""
from datetime import datetime, timedelta, timezone

from helpers import a_report
from kiosk.safeguarding.exports import counts
from kiosk.safeguarding.reports import School, parse_submission, store_report
from kiosk.services import services


def send(db, at, **answers):
    """Store a report made at the given moment, as a kiosk would."""
    content = services().content
    store_report(db, School(content, services().school),
                 parse_submission(a_report(**answers), content), at)


def zone(hours):
    return timezone(timedelta(hours=hours))


def test_a_time_stored_with_any_offset_counts_in_the_school_month(db):
    # 00:30 on 1 April in London (BST), stored as 18:30 on 31 March at -05:00.
    send(db, datetime(2026, 3, 31, 18, 30, tzinfo=zone(-5)), safe=["yes"], what=["unkind"])
    # 00:30 on 1 November in London (GMT), stored as 31 October 23:30 at -01:00.
    send(db, datetime(2026, 10, 31, 23, 30, tzinfo=zone(-1)), safe=["yes"], what=["online"])
    # 23:30 on 31 October in London, stored as 1 November 01:30 at +02:00.
    send(db, datetime(2026, 11, 1, 1, 30, tzinfo=zone(2)), safe=["yes"], what=["unkind"])
    found = {(r.month, r.category) for r in counts(db) if r.category != "All reports"}
    assert found == {("2026-04", "Someone was unkind"), ("2026-11", "Something online upset me"),
                     ("2026-10", "Someone was unkind")}
    assert {r.month for r in counts(db, "2026-10", "2026-10")} == {"2026-10"}


def test_every_kind_of_report_is_counted_in_every_month(db):
    """Kinds (urgency and categories) are found one after another in the index: none is
    skipped, in months with reports of other kinds between them."""
    kinds = ({"what": ["unkind"]}, {"what": ["online"]}, {"what": ["unkind", "online"]},
             {"what": ["pictures"], "who": ["adult"]}, {})
    for month in (9, 10, 11):
        for number, kind in enumerate(kinds):
            send(db, datetime(2026, month, 2 + number, 9, tzinfo=timezone.utc), safe=["yes"],
                 **kind)
    totals = {(r.month, r.urgency): r.reports for r in counts(db)
              if r.category == "All reports"}
    assert totals == {(f"2026-{m:02d}", u): n for m in (9, 10, 11)
                      for u, n in (("same-day", 4), ("urgent", 1))}
