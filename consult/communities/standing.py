"""Where a person stands as a resident of a place, so a page can say what to do next.

A page that offers an action to the residents of a place (support an idea, vote, answer a
survey, rate a contest entry) shows, in place of a button the person may not press, why
and what comes next: sign in; ask to be verified; the request is waiting (for X days);
it was refused, with the moderator's reason; only residents of that area may act here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts.models import User
from consult.communities.models import Place, VerificationRequest
from consult.permissions import Actor

#: The states of ``Standing.state``; templates/_macros.html ``resident_next_step`` shows each.
STATES = ("anonymous", "resident", "unverified", "pending", "refused", "elsewhere")


@dataclass(frozen=True)
class Standing:
    """``state`` is one of STATES. ``needed`` names the area whose residents may act
    (empty for the sub-district as a whole); ``asked`` the area of the person's latest
    request (pending or refused); ``days`` how long a pending request has waited;
    ``reason`` a refusal's reason, as the moderator wrote it."""

    state: str
    needed: str = ""
    needed_id: int | None = None
    asked: str = ""
    days: int = 0
    reason: str = ""

    @property
    def may_act(self) -> bool:
        return self.state == "resident"


def _needed_area(db: Session, path: tuple[int, ...]) -> Place | None:
    """The residential area on ``path`` (the place whose residents may act), if any."""
    if not path:
        return None
    return db.exec(select(Place).where(Place.id.in_(path), Place.kind == "area")).first()


def resident_standing(db: Session, actor: Actor, user: User | None, path: tuple[int, ...],
                      now: datetime, role: str = "resident") -> Standing:
    """Where ``user`` stands as a ``role`` (resident) of the place at ``path``."""
    if actor.authenticated and actor.holds({role}, path):
        return Standing("resident")
    area = _needed_area(db, path)
    where = {"needed": area.name if area else "", "needed_id": area.id if area else None}
    if user is None or not actor.authenticated:
        return Standing("anonymous", **where)
    latest = db.exec(
        select(VerificationRequest, Place).join(Place, Place.id == VerificationRequest.area_id)
        .where(VerificationRequest.user_id == user.id)
        .order_by(VerificationRequest.id.desc())
    ).first()
    if latest is not None:
        request, asked = latest
        if request.status == "pending":
            created = request.created_at.replace(tzinfo=None)
            days = max(0, (now.replace(tzinfo=None) - created).days)
            return Standing("pending", asked=asked.name, days=days, **where)
        if request.status == "refused" and not actor.holds_anywhere({role}):
            return Standing("refused", asked=asked.name, reason=request.reason or "", **where)
    if actor.holds_anywhere({role}):
        return Standing("elsewhere", **where)
    return Standing("unverified", **where)
