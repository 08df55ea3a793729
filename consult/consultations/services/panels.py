"""What domains building on consultations show on an idea's page: delivery, the project
that carries out a selected idea, its state and milestones.

A domain registers a panel function in ``IDEA_PANELS`` when its services are imported;
``PANEL_MODULES`` names those modules (a name, not an import: delivery builds on
consultations, never the reverse, by the import-linter contracts), so a page never
misses a panel because nothing imported them yet."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import import_module

from sqlalchemy.orm import Session


@dataclass
class IdeaPanel:
    """A section of the idea's page: a template of the registering domain and its values."""

    template: str
    context: dict = field(default_factory=dict)


#: (db, idea id, today) → a panel or None
IDEA_PANELS: list[Callable[[Session, int, date], IdeaPanel | None]] = []
PANEL_MODULES = ("consult.delivery.services",)


def idea_panels(db: Session, idea_id: int, today: date) -> list[IdeaPanel]:
    for name in PANEL_MODULES:
        import_module(name)
    return [panel for show in IDEA_PANELS if (panel := show(db, idea_id, today)) is not None]
