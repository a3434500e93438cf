"""The transfer file: a case, or a pupil's whole file, as signed JSON another install reads.

The schema is docs/transfer.md. The file is signed with the sending school's transfer
key (HMAC-SHA256), a key worked out from its audit key that gives the audit key away to
nobody; the receiving school is given that key out of band and `import` refuses a file
that does not fit it, writing nothing. Imported cases keep their chronology, entry by
entry, with who did what at the sending school, and are marked as transferred.
"""
import csv
import hashlib
import hmac
import io
import json

from .. import audit
from ..db import writing
from .chronology import describe, _by
from .cases import entries
from .exports.counts import FORMULA_STARTS
from .case_pupils import cases_for
from .pupils import find

FORMAT = "worry-kiosk-transfer"
VERSION = 1
CASE_FIELDS = ("id", "created_at", "source", "kiosk", "language", "urgency", "reasons",
               "due_at", "status", "closed_at", "merged_into", "choices", "categories",
               "words", "words_source", "name", "happened")
JSON_FIELDS = ("reasons", "choices", "categories")  # stored as JSON text, sent as JSON
# Fields added since version 1 files were first written, with what an older file means.
LATER_FIELDS = {"about": ""}


class TransferError(ValueError):
    """A transfer file that cannot be imported; the message says why."""


def transfer_key(audit_key):
    """The key transfer files are signed with: from the audit key, never the audit key."""
    return hmac.new(audit_key, b"transfer file key", hashlib.sha256).digest()


def key_id(key):
    """A short name for a transfer key, printed in the file: it does not give the key away."""
    return hashlib.sha256(b"transfer key id:" + key).hexdigest()[:16]


def _canonical(document):
    body = {k: v for k, v in document.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(document, key):
    """The document with its signature."""
    value = hmac.new(key, _canonical(document), hashlib.sha256).hexdigest()
    return dict(document, signature={"algorithm": "HMAC-SHA256", "key_id": key_id(key),
                                     "value": value})


def _case(db, report):
    """One case as the file holds it: the report as stored, and every entry on it."""
    case = {field: report[field] for field in (*CASE_FIELDS, *LATER_FIELDS)}
    for field in JSON_FIELDS:
        case[field] = json.loads(report[field] or "[]")
    case["entries"] = [{"id": e["id"], "at": e["at"], "kind": e["kind"], "by": _by(e),
                        "title": describe(e)[0], "text": describe(e)[1],
                        "detail": e["detail"], "corrects": e["corrects"]}
                       for e in entries(db, report["id"])]
    return case


def export(db, now, school, by, key, report_id=None, pupil_id=None):
    """The signed transfer document for one case, or for a pupil's whole file."""
    pupil = None
    if pupil_id is not None:
        pupil = find(db, pupil_id)
        if pupil is None:
            raise TransferError(f"There is no pupil {pupil_id} on record.")
        reports = cases_for(db, pupil_id)
    else:
        reports = list(db.query("SELECT * FROM reports WHERE id = ?", [report_id]))
        if not reports:
            raise TransferError(f"There is no case {report_id}.")
    document = {
        "format": FORMAT, "version": VERSION, "kind": "pupil" if pupil else "case",
        "school": school, "exported_at": now.isoformat(), "exported_by": by,
        "pupil": {"id": pupil["id"], "name": pupil["name"],
                  "year_group": pupil["year_group"]} if pupil else None,
        "cases": [_case(db, report) for report in reports],
    }
    return sign(document, key)


def dumps(document):
    """The file's text."""
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def chronology_csv(document):
    """The document's chronology, one row per entry, for systems that read CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["case", "at", "kind", "title", "text", "by", "corrects"])
    for case in document["cases"]:
        rows = [[case["id"], case["created_at"], "report", "Report received", case["words"],
                 case["kiosk"] or case["source"], ""]]
        rows += [[case["id"], e["at"], e["kind"], e["title"], e["text"], e["by"],
                  e["corrects"] or ""] for e in case["entries"]]
        writer.writerows([[_as_text(cell) for cell in row] for row in rows])
    return out.getvalue()


def _as_text(value):
    """A cell a spreadsheet would run as a formula is kept as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def read(text, key):
    """The document in a transfer file, its signature checked; TransferError if not."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise TransferError(f"the file is not JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise TransferError(f"the file is not a {FORMAT} file")
    if document.get("version") != VERSION:
        raise TransferError(f"the file is version {document.get('version')!r}; this install "
                            f"reads version {VERSION}")
    signature = document.get("signature") or {}
    expected = hmac.new(key, _canonical(document), hashlib.sha256).hexdigest()
    if signature.get("key_id") != key_id(key):
        raise TransferError("the file was signed with another key than the one given "
                            f"(its key id {signature.get('key_id')!r}, yours {key_id(key)!r})")
    if not hmac.compare_digest(str(signature.get("value", "")), expected):
        raise TransferError("the file's signature does not fit: it was changed after it "
                            "was signed; nothing was imported")
    _check_shape(document)
    return document


def _check_shape(document):
    """Every case and entry has what import needs (a signed file can still be wrong)."""
    cases = document.get("cases")
    if not isinstance(cases, list) or not cases:
        raise TransferError("the file holds no cases")
    for case in cases:
        missing = [f for f in (*CASE_FIELDS, "entries") if f not in case]
        if missing:
            raise TransferError(f"case {case.get('id')!r} lacks {', '.join(missing)}")


def import_document(db, document, now, actor):
    """Store every case of a checked document, in one transaction; the new case ids."""
    school = document.get("school") or "another school"
    with writing(db):
        pupil_id = _import_pupil(db, document, now)
        new_ids = {}
        for case in document["cases"]:
            new_ids[case["id"]] = _import_case(db, case, document, pupil_id, school, now)
        for case in document["cases"]:  # a duplicate keeps pointing at its case
            if case["merged_into"] in new_ids:
                db.execute("UPDATE reports SET merged_into = ? WHERE id = ?",
                           [new_ids[case["merged_into"]], new_ids[case["id"]]])
        audit.record(db, "case.transferred_in", at=now, actor=actor,
                     target=f"pupil:{pupil_id}" if pupil_id else f"report:{new_ids[case['id']]}",
                     detail={"from": school, "cases": sorted(new_ids.values()),
                             "their_cases": sorted(new_ids),
                             "signature": document["signature"]["value"]})
    return list(new_ids.values())


def _import_pupil(db, document, now):
    pupil = document.get("pupil")
    if not pupil:
        return None
    table = db["pupils"]
    table.insert({"name": pupil["name"], "year_group": pupil.get("year_group", ""),
                  "created_at": now.isoformat(), "created_by": None})
    return table.last_pk


def _import_case(db, case, document, pupil_id, school, now):
    """One case: the report as it was stored there, its entries, and a transfer entry."""
    signature = document["signature"]["value"]
    status = case["status"] if case["status"] in ("closed", "merged") else "acknowledged"
    row = {field: case[field] for field in CASE_FIELDS if field not in ("id", "merged_into")}
    row.update({field: case.get(field, default) for field, default in LATER_FIELDS.items()})
    for field in JSON_FIELDS:
        row[field] = json.dumps(case[field])
    row.update(client_id=f"transfer:{signature[:16]}:{case['id']}", status=status,
               source="transfer", pupil_id=pupil_id)
    table = db["reports"]
    table.insert(row)
    report_id = table.last_pk
    mapped = {}
    events = db["report_events"]
    for entry in case["entries"]:
        detail = dict(entry["detail"] if isinstance(entry["detail"], dict) else {},
                      transferred_by=entry["by"])
        events.insert({"report_id": report_id, "at": entry["at"], "kind": entry["kind"],
                       "by_user": None, "detail": json.dumps(detail, ensure_ascii=False),
                       "corrects": mapped.get(entry["corrects"])})
        mapped[entry["id"]] = events.last_pk
    events.insert({"report_id": report_id, "at": now.isoformat(), "kind": "transferred_in",
                   "by_user": None, "detail": json.dumps({
                       "text": f"Transferred from {school} (their case {case['id']}, "
                               f"exported {document.get('exported_at', '')} by "
                               f"{document.get('exported_by', '')})."}, ensure_ascii=False)})
    return report_id
