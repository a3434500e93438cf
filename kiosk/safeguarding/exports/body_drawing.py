"""A marked body picture drawn in the PDF: each side's shapes, the marked ones filled,
outlined thickly and crossed, so they read in black and white as well as in colour."""
from reportlab.graphics.shapes import Drawing, Ellipse, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm

from .typeset import fonts

HEIGHT = 62 * mm   # each side's figure, whatever the picture's own units
GAP = 10 * mm
CAPTION = 5 * mm
PLAIN, EDGE = colors.HexColor("#f3ece4"), colors.HexColor("#5a4a3c")
MARKED, MARKED_EDGE = colors.HexColor("#c0392b"), colors.HexColor("#1b1b1b")


def body_drawing(picture):
    """A Drawing of the picture's sides side by side, captioned; None if it has none."""
    if not picture["sides"] or not picture["height"]:
        return None
    scale = HEIGHT / picture["height"]
    side_width = picture["width"] * scale
    count = len(picture["sides"])
    drawing = Drawing(count * side_width + (count - 1) * GAP, HEIGHT + CAPTION)
    regular, bold = fonts()
    for number, side in enumerate(picture["sides"]):
        left = number * (side_width + GAP)
        for shape in side["shapes"]:
            for part in _shape(shape, left, scale):
                drawing.add(part)
        drawing.add(String(left + side_width / 2, 0, side["label"], fontName=bold,
                           fontSize=9, textAnchor="middle"))
    return drawing


def _shape(shape, left, scale):
    """The shape (y flipped: the picture counts down from the top), and a cross if marked."""
    x, y, w, h = (n * scale for n in shape["box"])
    bottom = HEIGHT + CAPTION - y - h
    marked = shape["marked"]
    style = {"fillColor": MARKED if marked else PLAIN,
             "strokeColor": MARKED_EDGE if marked else EDGE,
             "strokeWidth": 1.6 if marked else 0.6}
    if shape["shape"] == "ellipse":
        parts = [Ellipse(left + x + w / 2, bottom + h / 2, w / 2, h / 2, **style)]
    else:
        parts = [Rect(left + x, bottom, w, h, rx=2, ry=2, **style)]
    if marked:
        cx, cy, arm = left + x + w / 2, bottom + h / 2, min(w, h) / 4
        parts += [Line(cx - arm, cy - arm, cx + arm, cy + arm, strokeColor=colors.white,
                       strokeWidth=1.4),
                  Line(cx - arm, cy + arm, cx + arm, cy - arm, strokeColor=colors.white,
                       strokeWidth=1.4)]
    return parts
