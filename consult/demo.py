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

#: The domains whose demo loaders run after the places and people, in this order.
DEMO_DOMAINS = ("owners", "elections", "consultations", "ratings", "voting", "messaging", "points", "delivery", "accounts")


def demo_logins() -> list[tuple[str, str, str]]:
    return communities_demo.logins()


def load(db: Session, settings: Settings) -> bool:
    """Load the demo; return False when it was already there."""
    exists = db.exec(select(Place.id).where(Place.name == communities_demo.SUBDISTRICT,
                                            Place.parent_id.is_(None))).first()
    if exists:
        return False
    places = communities_demo.load_places(db)
    users = communities_demo.load_people(db, settings, places)
    for name in DEMO_DOMAINS:
        _LOADERS[name](db, settings, places, users)
    return True


def _owners(db, settings, places, users):
    from consult.owners import load_demo

    load_demo(db, settings, places)


def _elections(db, settings, places, users):
    from consult.elections import load_demo

    load_demo(db, settings, places)


def _consultations(db, settings, places, users):
    from consult.consultations import load_demo

    load_demo(db, settings, places, users)


def _ratings(db, settings, places, users):
    """The surveys and the star ratings built on them (``consult.ratings.demo`` loads both)."""
    from consult.ratings import demo

    demo.load(db, settings, places)


def _voting(db, settings, places, users):
    from consult.voting import load_demo

    load_demo(db, settings, places, users)


def _messaging(db, settings, places, users):
    from consult import clock, messaging
    from consult.consultations import Consultation, Round

    now = clock.utcnow()
    vote = db.exec(select(Consultation.title, Round.closes_at)
                   .join(Round, Round.consultation_id == Consultation.id)
                   .where(Round.kind == "vote", Round.opens_at <= now, Round.closes_at > now)).first()
    messaging.load_demo(db, places, users, vote=tuple(vote) if vote else None, now=now)


def _points(db, settings, places, users):
    from consult import points

    points.load_demo(db, settings, places, users)


def _delivery(db, settings, places, users):
    from consult.delivery import load_demo

    load_demo(db, settings, places, users)


def _accounts(db, settings, places, users):
    from consult.accounts import demo

    demo.load(db, settings, places, users)


_LOADERS = {"owners": _owners, "elections": _elections, "consultations": _consultations,
            "ratings": _ratings,
            "voting": _voting, "messaging": _messaging,
            "points": _points, "delivery": _delivery,
            "accounts": _accounts}
