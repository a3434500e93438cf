"""How the record keeps up as it grows: audit entries written and verified, a case's
chronology made into a PDF, and counts for governors over a school year of reports.

Everything runs in-process on a fresh temporary database (real SQLite, WAL, synchronous
FULL, as the server uses). Goals: an audit entry in under 10 ms (it is written inside
every request that changes anything), `audit verify` over 100,000 entries in under
10 s, a 200-entry chronology PDF in under 2 s, and a year of counts in under 1 s.
"""
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from kiosk import audit, db as database  # noqa: E402
from kiosk.safeguarding.exports import chronology_pdf, counts  # noqa: E402

START = datetime(2026, 9, 1, 8, 0, tzinfo=timezone.utc)
AUDIT_ENTRIES = 100_000
GOALS = {"audit entry p95 ms": 10, "verify 100k s": 10, "pdf 200 entries s": 2,
         "counts year s": 1}


def timed(action):
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


def audit_figures(db):
    """Time single entries as a request writes them, then bulk-fill and verify."""
    singles = []
    for n in range(300):
        seconds, _ = timed(lambda: audit.record(db, "report.viewed", at=START, actor="dsl",
                                                target=f"report:{n}"))
        singles.append(seconds * 1000)
    with db.atomic():  # fill the rest in one transaction: verify is what is measured
        for n in range(AUDIT_ENTRIES - len(singles)):
            audit.record(db, "report.viewed", at=START + timedelta(seconds=n), actor="dsl",
                         role="dsl", target=f"report:{n % 500}", detail={"n": n})
    verify_seconds, verdict = timed(lambda: audit.verify(db))
    assert verdict.ok and verdict.checked == AUDIT_ENTRIES
    return statistics.quantiles(singles, n=20)[18], statistics.median(singles), verify_seconds


def a_chronology(entries):
    def entry(n):
        return {"id": n, "at": START + timedelta(minutes=n), "kind": "note",
                "title": "Note", "text": f"Spoke to the pupil and their class teacher ({n}).",
                "by": "dsl@school.example (Designated Safeguarding Lead)",
                "corrects": None, "corrected_by": None}
    case = {"id": 1, "created_at": START, "source": "kiosk", "kiosk": "Library kiosk",
            "reported_by": "", "urgency": "urgent", "reasons": ["adult involved"],
            "due_at": START + timedelta(minutes=10), "status": "closed", "owner": "dsl",
            "merged_into": None, "choices": [{"question": "What happened?",
                                              "label": "Someone asked me for pictures"}],
            "words": "A man on a game asked me for photos.", "words_source": "",
            "name": "", "happened": "", "entries": [entry(n) for n in range(1, entries + 1)]}
    return {"title": "Case 1 chronology", "school": "Example School",
            "timezone": "Europe/London", "generated_at": START, "generated_by": "dsl",
            "pupil": None, "cases": [case]}


def fill_reports(db, number):
    """A school year of reports: one every ~40 minutes of term, spread over categories."""
    labels = ["Someone was unkind", "Something online upset me", "Someone hurt me"]
    rows = [{"client_id": f"{n:08d}-0000-4000-8000-000000000000",
             "created_at": (START + timedelta(minutes=40 * n)).isoformat(),
             "source": "kiosk", "kiosk": "", "language": "en",
             "urgency": "urgent" if n % 7 == 0 else "same-day", "reasons": "[]",
             "due_at": START.isoformat(), "status": "closed", "words": "", "name": "",
             "choices": f'[{{"page": "what", "question": "What happened?", "tile": "t", '
                        f'"label": "{labels[n % 3]}", "concept": "c"}}]'}
            for n in range(number)]
    db["reports"].insert_all(rows)


def main():
    with tempfile.TemporaryDirectory(prefix="kiosk-records-") as folder:
        db = database.connect(str(Path(folder) / "bench.sqlite3"))
        database.migrate(db)
        p95_ms, median_ms, verify_s = audit_figures(db)
        pdf_s, pdf = timed(lambda: chronology_pdf(a_chronology(200)))
        fill_reports(db, 6000)
        counts_s, rows = timed(lambda: counts(db, None, None, "Europe/London"))
        db.close()
    figures = {"audit entry p95 ms": p95_ms, "verify 100k s": verify_s,
               "pdf 200 entries s": pdf_s, "counts year s": counts_s}
    print(f"audit entry: median {median_ms:.2f} ms, p95 {p95_ms:.2f} ms (goal < 10 ms)")
    print(f"audit verify: {AUDIT_ENTRIES:,} entries in {verify_s:.2f} s "
          f"({AUDIT_ENTRIES / verify_s:,.0f} entries/s; goal < 10 s)")
    print(f"chronology PDF: 200 entries in {pdf_s:.2f} s, {len(pdf) // 1024} KB (goal < 2 s)")
    print(f"counts: 6,000 reports (a busy year) in {counts_s * 1000:.0f} ms, {len(rows)} rows "
          "(goal < 1 s)")
    missed = [name for name, value in figures.items() if value >= GOALS[name]]
    print("goals met" if not missed else f"goals missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
