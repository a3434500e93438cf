"""Fonts and text for the PDF: a Unicode font when one is installed, pupil text shown literally."""
import functools
import re
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
             "/usr/share/fonts/TTF", "/usr/local/share/fonts")


@functools.cache
def fonts():
    """(regular, bold) font names: DejaVu Sans when installed, else Helvetica.

    Helvetica is a fallback only: it has Western European letters alone, so a name such
    as Łukasz, or Polish or Urdu words, would print as boxes. Install fonts-dejavu-core."""
    for folder in FONT_DIRS:
        regular, bold = Path(folder, "DejaVuSans.ttf"), Path(folder, "DejaVuSans-Bold.ttf")
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans",
                                          bold="DejaVuSans-Bold", italic="DejaVuSans",
                                          boldItalic="DejaVuSans-Bold")
            return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def text(value):
    """Plain text as Paragraph markup: shown literally, line breaks kept."""
    # Control characters are not text anyone typed on purpose and upset PDF readers.
    cleaned = "".join(ch if ch == "\n" or unicodedata.category(ch) != "Cc" else " "
                      for ch in str(value))
    return escape(cleaned).replace("\n", "<br/>")


def pieces(value, limit=500):
    """Text cut at spaces into pieces that each fit one table row on a page.

    A table row cannot cross a page, so a long note is set over several rows. The
    limit is in characters, a line break costing a line's worth: a piece stays well
    under a page even in the widest letters."""
    out, current, cost = [], "", 0
    for token in re.findall(r"\S+|\s+", str(value)):
        for start in range(0, len(token), limit):  # an unbroken run longer than a piece
            part = token[start:start + limit]
            weight = len(part) + 40 * part.count("\n")
            if cost + weight > limit and current.strip():
                out.append(current.strip())
                current, cost = "", 0
            current, cost = current + part, cost + weight
    if current.strip():
        out.append(current.strip())
    return out


UNSHOWABLE = ("Part of this is in a script this PDF cannot set as written (for example "
              "Urdu or Arabic). Read it on the printable page.")


def unshowable(value):
    """Whether the PDF would garble this text: a right-to-left script, or a missing letter."""
    # ReportLab neither joins Arabic-script letters nor lays them out right to left.
    font = pdfmetrics.getFont(fonts()[0])
    glyphs = getattr(getattr(font, "face", None), "charToGlyph", None)
    for ch in value:
        if unicodedata.bidirectional(ch) in ("R", "AL"):
            return True
        if ch.isspace() or unicodedata.category(ch) == "Cc":
            continue
        if glyphs is not None and ord(ch) not in glyphs:
            return True
        if glyphs is None and not _in_standard_encoding(ch):
            return True
    return False


def _in_standard_encoding(ch):
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True
