"""Writing and reading the audit log."""

from __future__ import annotations

from sqlalchemy import or_
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts.models import User
from consult.audit.models import AuditEntry
from consult.communities.models import Place


def record(
    db: Session,
    *,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: int | None = None,
    place_id: int | None = None,
    reason: str | None = None,
    **details,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        place_id=place_id,
        reason=reason,
        details=details,
    )
    db.add(entry)
    return entry


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
