"""Exports: a case chronology (printable page and PDF) and anonymous counts for governors."""
from .counts import CountRow, counts, counts_csv
from .pdf import chronology_pdf
from .present import present

__all__ = ["CountRow", "chronology_pdf", "counts", "counts_csv", "present"]
