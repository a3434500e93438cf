"""The staff concern form's questions (content/concern_form.toml), checked against the
pupil journey, and the content a staff concern is judged and recorded by."""
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from ..content.loading import Page, Rule, Tile, Words
from ..content import files as content_files

FILE = "concern_form.toml"
# The form's own questions join the journey's pages under these ids, so the stored
# choices say what the adult answered and the urgency rules can name them.
HOW_PAGE, DANGER_PAGE = "staff_how", "staff_danger"


class FormError(ValueError):
    """A concern form file that does not fit the journey; the message says where."""


@dataclass(frozen=True)
class Option:
    value: str   # "disclosure", or "page:tile" for the journey's answers
    label: str
    level: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Question:
    name: str    # the form field
    text: str
    options: tuple
    multi: bool = False
    hint: str = ""  # shown on the form only, never kept in the record


@dataclass(frozen=True)
class ConcernForm:
    how: Question
    danger: Question
    questions: tuple  # of the journey's answers, each option's value "page:tile"


def _own(data, name, key):
    block = data.get(key) or {}
    options = tuple(Option(o["id"], o["label"], o.get("level", ""), o.get("reason", ""))
                    for o in block.get("options", []))
    if not block.get("question") or not options:
        raise FormError(f"{FILE}: [{key}] needs a question and options")
    return Question(name, block["question"], options)


def parse(data, content):
    """The form from its file's data, every "page:tile" answer checked against the journey."""
    questions = []
    for number, block in enumerate(data.get("question", []), 1):
        options = tuple(Option(o["answer"], o["label"]) for o in block.get("options", []))
        for option in options:
            page_id, _, tile_id = option.value.partition(":")
            page = content.pages.get(page_id)
            if page is None or page.tile(tile_id) is None:
                raise FormError(f"{FILE}: question {number} names '{option.value}', which "
                                "is not a tile of the pupil journey")
        questions.append(Question(f"q{number}", block.get("question", ""), options, True,
                                  block.get("hint", "")))
    return ConcernForm(_own(data, "how", "how"), _own(data, "danger", "danger"),
                       tuple(questions))


def load(content_dir, content):
    """The school's concern form (its content folder's, else the one shipped), read once,
    its answers checked against this journey."""
    return content_files.load(content_dir, FILE, lambda data, _: parse(data, content),
                              FormError, key=id(content))


def _page(page_id, question):
    tiles = tuple(Tile(o.value, o.label, o.label, "") for o in question.options)
    return Page(page_id, "choice", Words(question.text, question.text), tiles=tiles)


def _restated(content, form):
    """The journey's pages the form asks, in the form's words; "categories" pages keep
    their tile labels so a category counts the same whoever reported it."""
    pages = {}
    for question in form.questions:
        for option in question.options:
            page_id, _, tile_id = option.value.partition(":")
            page = pages.get(page_id) or dataclasses.replace(
                content.pages[page_id], prompt=Words(question.text, question.text))
            if page.role != "categories":
                page = dataclasses.replace(page, tiles=tuple(
                    dataclasses.replace(t, label=option.label) if t.id == tile_id else t
                    for t in page.tiles))
            pages[page_id] = page
    return pages


def staff_content(content, form):
    """The content a staff concern is judged and stored by: the journey, its pages in the
    form's wording, and the form's own two questions with their urgency rules."""
    rules = [Rule(f"staff-danger-{o.value}", o.level, o.reason, all=(f"{DANGER_PAGE}:{o.value}",))
             for o in form.danger.options if o.level]
    pages = dict(content.pages, **_restated(content, form))
    pages[HOW_PAGE] = _page(HOW_PAGE, form.how)
    pages[DANGER_PAGE] = _page(DANGER_PAGE, form.danger)
    return dataclasses.replace(content, pages=pages, rules=list(content.rules) + rules)
