"""Asking residents to rate a completed project, at 30 and at 180 days: once per project
and wave (``RatingInvitation``), by ``python -m consult checks-due``. Each resident of
the project's area is told in the app and, as they chose (votes' topic: both by
default), by a text message with the link (``consult.messaging``: quiet hours defer it
to 08:00, 退订 and rate limits suppress it). Paper cards are entered at the desk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import messaging
from consult.communities.models import Place, RoleAssignment
from consult.delivery import rules
from consult.delivery.models import Project, RatingInvitation
from consult.notifications import services as notifications

KIND = "project_rating_open"
REGISTERED = ("accepted", "in_use")


@dataclass
class Invited:
    project_id: int
    wave: int
    told: int
    texted: int


def residents_of(db: Session, area_id: int) -> list[int]:
    """The verified residents of an area (a resident role there or in a place below)."""
    area = db.get(Place, area_id)
    if area is None:
        return []
    rows = db.exec(select(RoleAssignment.user_id).join(Place, Place.id == RoleAssignment.place_id)
                   .where(RoleAssignment.role == "resident", Place.path.startswith(area.path))
                   .distinct()).all()
    return sorted(rows)


def invite_raters(db: Session, now: datetime, base_url: str = "") -> list[Invited]:
    """Every registered project whose rating wave opened within ``rules.INVITE_DAYS`` and
    whose residents were not yet invited for it: the invitation, in one transaction each."""
    today = now.date()
    oldest = today - timedelta(days=180 + rules.INVITE_DAYS)
    rows = db.exec(select(Project).where(Project.state.in_(REGISTERED), Project.accepted_on.is_not(None),
                                         Project.accepted_on > oldest,
                                         Project.accepted_on <= today - timedelta(days=30))
                   .order_by(Project.id)).all()
    done = []
    for project in rows:
        wave = rules.invitation_wave(project.accepted_on, today)
        if wave is None or project.area_id is None:
            continue
        invitation = RatingInvitation(project_id=project.id, wave=wave, sent_at=now)
        try:
            with db.begin_nested():
                db.add(invitation)
                db.flush()
        except IntegrityError:  # invited for this wave already (or a moment ago)
            continue
        people = residents_of(db, project.area_id)
        link = f"/projects/{project.id}#rate"
        invitation.told = notifications.notify_once(
            db, user_ids=people, kind=KIND, subject=f"project:{project.id}:{wave}",
            params={"title": project.title}, link=link, now=now)
        invitation.texted = sum(1 for user_id in people
                                if _text(db, user_id, project, f"{base_url}/projects/{project.id}", now))
        db.add(invitation)
        done.append(Invited(project.id, wave, invitation.told, invitation.texted))
    db.flush()
    return done


def _text(db: Session, user_id: int, project: Project, link: str, now: datetime) -> bool:
    phone = notifications.text_to(db, user_id, KIND)
    if phone is None:
        return False
    message = messaging.send_sms(db, to=phone, template="project_rating", kind="notice", now=now,
                                 params={"title": project.title, "link": link}, user_id=user_id,
                                 place_id=project.area_id)
    return message.status in ("queued", "sent", "deferred")
