"""Exports: a case chronology (printable page and PDF) and anonymous counts for governors."""
from .counts import CountRow, chart, counts, counts_csv, published
from .pdf import chronology_pdf
from .present import present

__all__ = ["CountRow", "chart", "chronology_pdf", "counts", "counts_csv", "present", "published"]
