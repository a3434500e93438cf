"""Categories the school defines (content/categories.toml), set on a case by the DSL.

The pupil's own "what happened" tiles stay as they sent them; these are the DSL's
judgement, which may differ and may change. Each change is an entry naming what was
added and removed; the table case_categories holds only the current set, for the
dashboard filter, the closed-case search and the governors' counts. A category may
need a decision before its case closes (radicalisation: a Prevent decision).
"""
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..db import writing
from . import cases
from .cases import CaseError, _acknowledge_first, _add, _open_case
from .chronology import describes
from ..content import files as content_files

FILE = "categories.toml"
CODE = re.compile(r"^[a-z0-9_]{1,40}$")
MAX_LABEL = 80
KIND = "categories_set"

# The Prevent duty (Counter-Terrorism and Security Act 2015): the DSL "reports ... any
# suspicions of pupils who may be becoming radicalised"; the Channel process supports a
# child referred. A decision not to refer still needs the head's sign-off, as any does.
PREVENT_DECISIONS = (
    cases.Decision("prevent_channel", "Referred to Prevent (Channel panel)", refers=True,
                   fields=(cases.Field("prevent_reference", "Prevent referral reference",
                                       required=False),)),
    cases.Decision("prevent_support", "Prevent: no referral, support in school"),
)
for _decision in PREVENT_DECISIONS:
    cases.add_decision(_decision)


class CategoryError(ValueError):
    """A categories file that cannot be used; the message names the file and the item."""


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    close_needs: tuple = ()  # decision codes: one must be in force before closing


def _category(data, where, seen):
    code, label = data.get("code"), data.get("label")
    if not isinstance(code, str) or not CODE.match(code):
        raise CategoryError(f"{where}: each category needs a code of lower-case letters, "
                            "digits and _ (at most 40)")
    if not isinstance(label, str) or not label.strip() or len(label) > MAX_LABEL:
        raise CategoryError(f"{where}: category '{code}' needs a label of 1 to "
                            f"{MAX_LABEL} characters")
    if code in seen:
        raise CategoryError(f"{where}: category '{code}' is there twice")
    needs = data.get("close_needs", [])
    if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
        raise CategoryError(f"{where}: category '{code}': close_needs is a list of decision codes")
    unknown = [n for n in needs if n not in cases.DECISIONS]
    if unknown:
        raise CategoryError(f"{where}: category '{code}' needs decision '{unknown[0]}', "
                            f"which is not a decision: use one of {', '.join(cases.DECISIONS)}")
    return Category(code, label.strip(), tuple(needs))


def parse(data, where=FILE):
    """The categories, in the file's order; CategoryError naming the fault."""
    if data.get("schema") != 1:
        raise CategoryError(f"{where}: schema = 1 is needed at the top")
    found, seen = [], set()
    for item in data.get("category", []):
        found.append(_category(item if isinstance(item, dict) else {}, where, seen))
        seen.add(found[-1].code)
    if not found:
        raise CategoryError(f"{where}: at least one [[category]] is needed")
    return tuple(found)


def load(content_dir=None):
    """The school's categories (its content folder's, else the ones shipped), read once."""
    return content_files.load(content_dir, FILE, parse, CategoryError)


def catalogue():
    """The categories of the running app's content folder (or the shipped ones)."""
    from flask import current_app, has_app_context
    return load(current_app.config.get("CONTENT_DIR") if has_app_context() else None)


def current(db, report_id):
    """[{code, label}] set on the case now, in the order they were set."""
    return [dict(row) for row in db.query(
        "SELECT code, label FROM case_categories WHERE report_id = ? ORDER BY entry_id, code",
        [report_id])]


def of_cases(db, report_ids):
    """{report id: [code, ...]} for these cases (the dashboard's rows)."""
    found = {}
    for row in db.query("SELECT report_id, code FROM case_categories WHERE report_id IN "
                        "(SELECT value FROM json_each(?)) ORDER BY entry_id, code",
                        [json.dumps(list(report_ids))]):
        found.setdefault(row["report_id"], []).append(row["code"])
    return found


def _chosen(codes, known):
    """The codes asked for, checked against the school's list, each once."""
    if not isinstance(codes, (list, tuple)) or not all(isinstance(c, str) for c in codes):
        raise CaseError("Choose categories from the list.")
    codes = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise CaseError(f"'{unknown[0][:40]}' is not one of the school's categories.")
    return codes


def set_categories(db, report_id, user, now, codes, reason="", categories=None):
    """Make the case's categories exactly these; one entry saying what changed."""
    known = {c.code: c for c in (categories or catalogue())}
    with writing(db):
        report = _open_case(db, report_id)
        _acknowledge_first(report)
        before = {c["code"]: c["label"] for c in current(db, report_id)}
        codes = _chosen(codes, set(known) | set(before))  # a retired one may stay on
        added = [{"code": c, "label": known[c].label} for c in codes if c not in before]
        removed = [{"code": c, "label": label} for c, label in before.items() if c not in codes]
        if not added and not removed:
            raise CaseError("Nothing changed: these are already the case's categories.", 409)
        reason = cases._text(reason, "The reason", required=False)
        now_set = [before[c] if c in before else known[c].label for c in codes]
        entry_id, notification = _add(db, report, KIND, user, now, {
            "added": added, "removed": removed, "now": now_set, "reason": reason})
        table = db["case_categories"]
        for item in removed:
            table.delete((report_id, item["code"]))
        table.insert_all([dict(item, report_id=report_id, entry_id=entry_id) for item in added])
        return entry_id, notification


def _labels(items):
    return ", ".join(item["label"] for item in items)


@describes(KIND)
def _categories_entry(detail):
    parts = []
    if detail.get("added"):
        parts.append(f"Added: {_labels(detail['added'])}")
    if detail.get("removed"):
        parts.append(f"Removed: {_labels(detail['removed'])}")
    parts.append(f"Now: {', '.join(detail.get('now') or []) or 'none'}")
    if detail.get("reason"):
        parts.append(f"Reason: {detail['reason']}")
    return "Categories set by the DSL", ". ".join(parts)


@cases.close_check
def needed_decisions(db, report):
    """A case with a category that needs a decision (Prevent) closes only with one."""
    on_case = {c["code"]: c["label"] for c in current(db, report["id"])}
    in_force = {d["detail"].get("decision") for d in cases.decisions_in_force(db, report["id"])}
    for category in catalogue():
        if category.code in on_case and category.close_needs \
                and not in_force.intersection(category.close_needs):
            titles = " or ".join(f'"{cases.DECISIONS[c].title}"' for c in category.close_needs)
            raise CaseError(f"This case is in the category {on_case[category.code]}: record "
                            f"a decision {titles} before it can close.", 409)
