"""A case chronology as a PDF: A4, the same sections as the printable page."""
import functools
import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas
from reportlab.platypus import (CondPageBreak, KeepTogether, PageBreak, Paragraph,
                                SimpleDocTemplate, Table, TableStyle)

from .body_drawing import body_drawing
from .present import present
from .typeset import UNSHOWABLE, fonts, pieces, text, unshowable

MARGIN = 18 * mm
HEADER = 27 * mm  # the running header above the text frame
FOOTER = 10 * mm
GRID = colors.HexColor("#8a8a8a")
SHADE = colors.HexColor("#eeeeee")


@functools.cache
def styles():
    """Paragraph styles, in the registered font."""
    regular, bold = fonts()
    body = ParagraphStyle("body", fontName=regular, bulletFontName=regular, fontSize=9.5,
                          leading=12.5, splitLongWords=True)
    return {
        "body": body,
        "small": ParagraphStyle("small", body, fontSize=8.5, leading=10.5),
        "case": ParagraphStyle("case", body, fontName=bold, fontSize=14, leading=18,
                               spaceBefore=2, spaceAfter=6, keepWithNext=True),
        "section": ParagraphStyle("section", body, fontName=bold, fontSize=11, leading=14,
                                  spaceBefore=10, spaceAfter=4),
        "question": ParagraphStyle("question", body, fontName=bold, keepWithNext=True,
                                   spaceBefore=3),
        "bullet": ParagraphStyle("bullet", body, leftIndent=12, bulletIndent=3),
        "words": ParagraphStyle("words", body, fontSize=10.5, leading=14, leftIndent=8,
                                borderPadding=(4, 4, 4, 6), borderColor=GRID,
                                borderWidth=0.5, backColor=SHADE, spaceBefore=4,
                                spaceAfter=8),
        "note": ParagraphStyle("note", body, fontSize=8.5, leading=10.5,
                               textColor=colors.HexColor("#333333")),
    }


def chronology_pdf(chronology):
    """The chronology as PDF bytes."""
    data = present(chronology)
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN + HEADER, bottomMargin=MARGIN + FOOTER,
                            title=data["title"], subject=data["confidential"],
                            author=data["school"] or "")
    story = []
    for number, case in enumerate(data["cases"]):
        if number:
            story.append(PageBreak())  # each case starts its own page, to file apart
        story.extend(case_flowables(case, doc.width))
    if not data["cases"]:
        story.append(Paragraph("No cases.", styles()["body"]))
    doc.build(story, canvasmaker=functools.partial(PagedCanvas,
                                                   decorate=functools.partial(decorate, data)))
    return out.getvalue()


def case_flowables(case, width):
    """One case: heading, facts, the pupil's choices, their words, the record."""
    s = styles()
    flow = [Paragraph(text(f"{case['heading']}: {case['urgency_label']}"), s["case"]),
            facts_table(case["facts"], width), *section("What the pupil chose")]
    for group in case["choice_groups"]:
        items = [Paragraph(text(label), s["bullet"], bulletText="•")
                 for label in group["labels"]]
        flow.append(KeepTogether([Paragraph(text(group["question"]), s["question"]), *items]))
    if not case["choice_groups"]:
        flow.append(Paragraph("No choices recorded.", s["body"]))
    for picture in case.get("body_pictures", ()):
        flow.extend(body_picture(picture))
    flow.extend(section(case["words_heading"]))
    if case["words"]:
        flow.append(Paragraph(text(case["words"]), s["words"]))
        if unshowable(case["words"]):
            flow.append(Paragraph(f"<b>{UNSHOWABLE}</b>", s["note"]))
    flow.append(Paragraph(text(case["words_note"]), s["note"]))
    flow.extend(section("Record"))
    flow.append(entries_table(case["entries"], width) if case["entries"]
                else Paragraph("Nothing recorded yet.", s["body"]))
    return flow


def body_picture(picture):
    """A marked body picture: its title, the places in words, then the drawing."""
    s = styles()
    title = picture["title"] + (f" (entry #{picture['entry']})" if picture.get("entry") else "")
    named = f"Marked: {picture['named']}" + (f". Note: {picture['note']}" if picture["note"]
                                             else "")
    parts = [Paragraph(text(title), s["question"]), Paragraph(text(named), s["body"])]
    drawing = body_drawing(picture)
    if drawing is not None:
        parts.append(drawing)
    return [CondPageBreak(75 * mm), KeepTogether(parts)]


def section(heading):
    """A section heading with room for some of its section under it."""
    # Not keepWithNext: that would push a long record whole onto a fresh page.
    return [CondPageBreak(30 * mm), Paragraph(text(heading), styles()["section"])]


def facts_table(facts, width):
    """Label and value rows; the urgency reasons listed under the level."""
    s = styles()
    rows = []
    for fact in facts:
        parts = pieces(fact["value"]) or [""]
        for number, part in enumerate(parts):
            label = fact["label"] if number == 0 else f"{fact['label']} (continued)"
            rows.append([Paragraph(text(label), s["question"]), [Paragraph(text(part), s["body"])]])
        rows[-1][1] += [Paragraph(text(item), s["small"], bulletText="•")
                        for item in fact["items"]]
    table = Table(rows, colWidths=[42 * mm, width - 42 * mm])
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (0, -1), SHADE)]))
    return table


def entries_table(entries, width):
    """The record in time order; corrected entries struck through, never left out."""
    s = styles()
    rows = [[Paragraph(f"<b>{label}</b>", s["small"])
             for label in ("#", "Time", "What", "Detail", "By")]]
    # Rules between entries, not between the rows one long entry runs over.
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOX", (0, 0), (-1, -1), 0.5, GRID),
             ("LINEBEFORE", (1, 0), (-1, -1), 0.5, GRID),
             ("LINEBELOW", (0, 0), (-1, 0), 0.5, GRID), ("BACKGROUND", (0, 0), (-1, 0), SHADE),
             ("LINEBELOW", (0, "splitlast"), (-1, "splitlast"), 0.5, GRID)]
    for entry in entries:
        first = len(rows)
        rows += entry_rows(entry)
        last = len(rows) - 1
        style.append(("LINEBELOW", (0, last), (-1, last), 0.5, GRID))
        if entry.get("corrected_by"):
            style.append(("BACKGROUND", (0, first), (-1, last), SHADE))
    fixed = [12 * mm, 27 * mm, 32 * mm, 38 * mm]
    widths = fixed[:3] + [width - sum(fixed), fixed[3]]
    table = Table(rows, colWidths=widths, repeatRows=1)  # column heads on every page
    table.setStyle(TableStyle(style))
    return table


def entry_rows(entry):
    """One entry's rows: a long text goes on over several rows, each able to fit a page."""
    s = styles()

    def cell(value):
        marked = text(value)
        return f"<strike>{marked}</strike>" if entry.get("corrected_by") and marked else marked

    parts = pieces(entry["text"]) or [""]
    rows = [[Paragraph(text(entry["id"]), s["small"]), Paragraph(text(entry["at"]), s["small"]),
             Paragraph(cell(entry["title"]), s["small"]),
             [Paragraph(cell(parts[0]), s["small"])], Paragraph(text(entry["by"]), s["small"])]]
    rows += [["", "", Paragraph(f"(#{entry['id']} continued)", s["small"]),
              [Paragraph(cell(part), s["small"])], ""] for part in parts[1:]]
    notes = [*entry["notes"], *([UNSHOWABLE] if unshowable(entry["text"]) else [])]
    rows[-1][3] += [Paragraph(f"<b>{text(note)}</b>", s["small"]) for note in notes]
    return rows


def decorate(data, page, number, total):
    """The running header and footer: who it is about, that it is confidential, page N of M."""
    regular, bold = fonts()
    width, height = A4
    left, right, top = MARGIN, width - MARGIN, height - MARGIN
    room = right - left
    page.setFont(bold, 9)
    page.drawString(left, top, data["confidential"])
    if data["school"]:
        page.setFont(regular, 9)
        page.drawRightString(right, top, fit(data["school"], regular, 9, room / 2))
    page.setFont(bold, 12)
    page.drawString(left, top - 15, fit(data["title"], bold, 12, room))
    page.setFont(regular, 8.5)
    lines = [line for line in (data["pupil_line"], f"{data['generated_line']}.",
                               data["timezone_note"]) if line]
    for offset, line in enumerate(lines):
        page.drawString(left, top - 28 - 11 * offset, fit(line, regular, 8.5, room))
    page.setStrokeColor(GRID)
    page.line(left, top - HEADER + 4, right, top - HEADER + 4)
    page.setFont(regular, 8.5)
    page.drawString(left, MARGIN, data["confidential"])
    page.drawRightString(right, MARGIN, f"Page {number} of {total}")


def fit(line, font, size, room):
    """The line, shortened with an ellipsis if it would run past the room it has."""
    if pdfmetrics.stringWidth(line, font, size) <= room:
        return line
    while line and pdfmetrics.stringWidth(line + "…", font, size) > room:
        line = line[:-1]
    return line + "…"


class PagedCanvas(canvas.Canvas):
    """A canvas that holds its pages back until it knows how many there are."""

    def __init__(self, *args, decorate, **kwargs):
        super().__init__(*args, **kwargs)
        self._decorate, self._pages = decorate, []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._decorate(self, number, len(self._pages))
            super().showPage()
        super().save()
