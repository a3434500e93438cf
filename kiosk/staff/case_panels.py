"""The sections of the case page beyond its core (what the pupil said, the record, the
main actions): each workflow registers its own panel here, so the case page template
never has to know about it.

A panel is a template under staff/templates and, optionally, a function giving that
template its values. The page includes the panels in order (lower first); each sees the
case page's own values (report, row, user, entries...) plus its own under `panel`.
"""
from dataclasses import dataclass
from typing import Callable, Optional


@dataclass(frozen=True)
class Panel:
    name: str
    template: str
    order: int = 50
    values: Optional[Callable] = None  # (db, row, user) -> dict, or None to hide the panel
    # "facts": beside the case's facts; "work": with the actions; "dashboard": on the
    # dashboard above the list (row is None there).
    where: str = "work"


@dataclass(frozen=True)
class Shown:
    """A panel as a page includes it (an object, not a dict: in a template a dict's
    `.values` would be its method, not the panel's values)."""
    name: str
    template: str
    values: dict


PANELS = []


def register(name, template, order=50, where="work"):
    """Decorator: `values(db, row, user)` supplies the panel's template values."""
    def decorate(values):
        PANELS[:] = [p for p in PANELS if p.name != name] + [
            Panel(name, template, order, values, where)]
        return values
    return decorate


def panels_for(db, row, user, where):
    """The panels to show in one place on this case page, each with its values."""
    shown = []
    for panel in sorted((p for p in PANELS if p.where == where),
                        key=lambda p: (p.order, p.name)):
        values = panel.values(db, row, user) if panel.values else {}
        if values is not None:
            shown.append(Shown(panel.name, panel.template, values))
    return shown
