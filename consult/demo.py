"""The demo data set: the sub-district of the field report, alive.

Each domain contributes a loader; ``load`` runs them in order, once. Running it
again finds the sub-district present and changes nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import select

from consult.communities import demo as communities_demo
from consult.communities.models import Place
from consult.config import Settings

DEMO_PASSWORD = communities_demo.DEMO_PASSWORD


def demo_logins() -> list[tuple[str, str, str]]:
    return communities_demo.logins()


def load(db: Session, settings: Settings) -> bool:
    """Load the demo; return False when it was already there."""
    exists = db.exec(select(Place.id).where(Place.name == communities_demo.SUBDISTRICT,
                                            Place.parent_id.is_(None))).first()
    if exists:
        return False
    places = communities_demo.load_places(db)
    communities_demo.load_people(db, settings, places)
    return True
