"""Governors' counts hide small numbers, and no hidden number can be worked out from a
total. Before issue 16 the CSV printed 1s and 2s ("Someone I don't know talked to me,
urgent, 2"), which can point to a child.
"""
import csv
import io
import itertools

from helpers import a_report
from kiosk.safeguarding.exports.counts import (ALL, FEWER, WITHHELD, CountRow, chart,
                                               counts_csv, published)


def rows_of(*cells):
    return [CountRow("2026-10", category, urgency, n) for category, urgency, n in cells]


def test_counts_under_five_read_fewer_than_5():
    shown = published(rows_of((ALL, "same-day", 12), ("Unkind", "same-day", 9),
                              ("Online", "same-day", 3), ("Not said", "same-day", 1)))
    assert [r.reports for r in shown] == [WITHHELD, 9, FEWER, FEWER]


def test_a_total_beside_one_hidden_count_is_withheld():
    """12 - 9 = 3 would give the hidden "Online" count away by subtraction."""
    shown = published(rows_of((ALL, "urgent", 12), ("Unkind", "urgent", 9),
                              ("Online", "urgent", 3)))
    assert {r.category: r.reports for r in shown} == {ALL: WITHHELD, "Unkind": 9,
                                                        "Online": FEWER}


def test_groups_with_no_small_counts_are_shown_whole():
    cells = ((ALL, "urgent", 15), ("Unkind", "urgent", 9), ("Online", "urgent", 6))
    assert [r.reports for r in published(rows_of(*cells))] == [15, 9, 6]


def test_no_hidden_count_can_be_worked_out_from_what_is_shown():
    """Every combination of up to three categories with 0-7 reports: wherever a category
    is hidden, nothing shown in its group adds up to it."""
    for sizes in itertools.product(range(8), repeat=3):
        cells = [(f"Category {n}", "same-day", size) for n, size in enumerate(sizes) if size]
        if not cells:
            continue
        shown = published(rows_of((ALL, "same-day", sum(sizes)), *cells))
        total, parts = shown[0].reports, [r.reports for r in shown[1:]]
        if FEWER in parts:
            assert not isinstance(total, int), (sizes, shown)
        if isinstance(total, int):
            assert all(isinstance(part, int) and part >= 5 for part in parts)


def test_the_csv_governors_download_hides_small_numbers(app, client, staff_client, clock):
    for _ in range(2):
        client.post("/api/reports", json=a_report(safe=["yes"], what=["pictures"], who=["adult"]))
    for _ in range(6):
        client.post("/api/reports", json=a_report(safe=["yes"], what=["unkind"]))
    response = staff_client.get("/staff/exports/counts.csv")
    assert response.status_code == 200
    found = {(r["category"], r["urgency"]): r["reports"]
             for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    print(f"\nAFTER: {found}")
    assert found[("Someone asked me for pictures", "urgent")] == "fewer than 5"
    assert found[(ALL, "urgent")] == "fewer than 5"
    assert found[("Someone was unkind", "same-day")] == "6"
    assert found[(ALL, "same-day")] == "6"
    assert not any(value in {"1", "2", "3", "4"} for value in found.values())


def test_counts_csv_never_holds_a_small_number():
    text = counts_csv(rows_of((ALL, "urgent", 2), ("Online", "urgent", 2)))
    assert [row[-1] for row in csv.reader(io.StringIO(text))][1:] == [FEWER, FEWER]


def test_the_chart_draws_only_what_the_csv_shows():
    drawn = chart(rows_of((ALL, "urgent", 3), (ALL, "same-day", 12), ("Unkind", "same-day", 12),
                          ("Online", "urgent", 3)))
    labels = {(bar["urgency"], bar["label"]) for bar in drawn["bars"]}
    assert labels == {("urgent", "<5"), ("same-day", "12")}


def test_the_exports_page_draws_its_chart_from_the_server_alone(client, staff_client):
    for _ in range(6):
        client.post("/api/reports", json=a_report(safe=["yes"], what=["unkind"]))
    client.post("/api/reports", json=a_report(safe=["no"]))
    html = staff_client.get("/staff/exports").get_data(as_text=True)
    figure = html[html.index('<figure class="chart">'):html.index("</figure>")]
    assert "<svg" in figure and "<rect" in figure and ">6<" in figure and "&lt;5" in figure
    assert "http" not in figure.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<img" not in figure and "<script" not in figure
