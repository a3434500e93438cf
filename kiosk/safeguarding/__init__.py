"""The record: report, triage, due time, case, escalation, exports."""
