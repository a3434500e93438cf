"""A pupil's chronology says, for each case, what part the pupil had in it, and heads
the file with what the school's MIS says about them."""
from datetime import datetime
from zoneinfo import ZoneInfo

from .case_pupils import ROLES
from .exports.present import format_time
from .pupil_vulnerability import brought_forward


def add_to(db, presented, pupil, cases):
    """The presented chronology (exports.present) with the pupil's role in each case
    first among its facts (and a due time a vulnerable child brought forward), and the
    pupil's UPN, date of birth and needs in its header."""
    roles = {case["id"]: case.get("role") for case in cases}
    zone = ZoneInfo(presented["timezone"])
    for case in presented["cases"]:
        role = ROLES.get(roles.get(case["id"]), "Not recorded")
        case["facts"].insert(0, {"label": f"{pupil['name']}'s role", "value": role,
                                 "items": []})
        case["heading"] = f"{case['heading']} ({role.lower()})"
        due, reasons = brought_forward(db, case["id"])
        if due:
            case["facts"].append({"label": "Due time brought forward to",
                                  "value": format_time(datetime.fromisoformat(due), zone),
                                  "items": list(reasons)})
    facts = [f"UPN {pupil['upn']}" if pupil.get("upn") else "",
             f"born {pupil['date_of_birth']}" if pupil.get("date_of_birth") else "",
             ", ".join(pupil.get("flags") or [])]
    extra = "; ".join(f for f in facts if f)
    if extra:
        presented["pupil_line"] = f"{presented['pupil_line']}; {extra}"
    return presented
