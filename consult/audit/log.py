"""Reading the audit log: the latest entries about places, with who acted and where.

Apart from :mod:`consult.audit.services` (writing), because reading joins the people
and places tables, and every domain, accounts included, writes the log.
"""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts.models import User
from consult.audit.models import AuditEntry
from consult.communities.models import Place


def entries_within(db: Session, places: list[Place], limit: int = 100):
    """The latest entries about ``places`` and everything under them, with actor and place."""
    if not places:
        return []
    inside = or_(*(Place.path.startswith(place.path) for place in places))
    query = (
        select(AuditEntry, User, Place)
        .join(Place, Place.id == AuditEntry.place_id)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(inside)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return db.exec(query).all()
