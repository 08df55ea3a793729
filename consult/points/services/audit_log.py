"""The audit log of the club's approvals and corrections, newest first, for its staff."""

from __future__ import annotations

from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts.models import User
from consult.audit.models import AuditEntry
from consult.points.services.common import ClubAt, require

#: the actions the committee's audit page lists (attendance approved or refused, and a
#: correction proposed, confirmed or refused)
ACTIONS = ("points_attendance_approved", "points_attendance_rejected", "points_correction_proposed",
           "points_correction_confirmed", "points_correction_refused")


def entries(db: Session, actor, at: ClubAt, limit: int = 500) -> list[tuple[AuditEntry, str | None]]:
    require("view_points_ledger", actor, at)
    return list(db.exec(select(AuditEntry, User.display_name).outerjoin(User, User.id == AuditEntry.actor_id)
                        .where(AuditEntry.place_id == at.place.id, AuditEntry.action.in_(ACTIONS))
                        .order_by(AuditEntry.id.desc()).limit(limit)).all())
