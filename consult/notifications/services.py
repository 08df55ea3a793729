"""Creating and reading notifications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, update
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.i18n import N_, Msg
from consult.notifications.models import Notification

#: Message templates by kind; other domains add their kinds here.
TEMPLATES: dict[str, str] = {
    "verification_approved": N_("You are now verified as a resident of %(area)s."),
    "verification_refused": N_("Your request to be verified in %(area)s was refused: %(reason)s"),
    "verification_approved_back": N_("You are now verified as a resident of %(area)s: go back to the page you came from and take part."),
    "verification_requested": N_("%(name)s asks to be verified as a resident of %(area)s."),
    "objection_filed": N_("A resident raised an objection about the results of “%(title)s”. Please answer it."),
    "idea_shortlisted": N_("Your idea “%(title)s” was shortlisted."),
    "idea_revision_requested": N_("Please revise your idea “%(title)s”: %(note)s"),
    "idea_merged": N_("Your idea “%(title)s” was merged into “%(target)s”."),
    "idea_rejected": N_("Your idea “%(title)s” was not taken forward: %(reason)s"),
    "vote_opened": N_("Voting has opened: %(title)s"),
    "vote_results_published": N_("The results of the vote are published: %(title)s"),
    "objection_answered": N_("Your objection about the results of “%(title)s” has been answered."),
    "owner_ballot_voided": N_("Your ballot on “%(title)s” was voided: %(reason)s. You may vote again while voting is open."),
    "owner_link_requested": N_("Your owners' committee asks to link your account to the owner %(name)s of home %(home)s in %(estate)s. Please confirm or refuse it on your owners' page."),
    "owner_linked": N_("Your account is now linked to the owner %(name)s in %(estate)s and can vote for them online."),
    "owner_unlinked": N_("Your account is no longer linked to the owner %(name)s in %(estate)s."),
    "points_activity_cancelled": N_("The activity “%(title)s” was cancelled."),
    "points_place_freed": N_("A place became free: you are now signed up for “%(title)s”."),
    "points_awarded": N_("Your attendance at “%(title)s” was approved: %(points)s points."),
    "pledge_received": N_("Your pledge to “%(title)s” has been received. Thank you!"),
    "safety_checks_due": N_("Safety checks in your area: %(due)s due soon, %(overdue)s overdue (checks and repairs)."),
}


def notify(db: Session, *, user_id: int, kind: str, params: dict, link: str | None = None) -> None:
    db.add(Notification(user_id=user_id, kind=kind, params=params, link=link))


def message(note: Notification) -> Msg:
    return Msg(TEMPLATES.get(note.kind, note.kind), note.params)


def unread_count(db: Session, user_id: int) -> int:
    """The badge on every signed-in page: a Core statement built once."""
    return db.execute(_UNREAD, {"uid": user_id}).scalar_one()


_NOTIFICATION = Notification.__table__
_UNREAD = select(func.count()).select_from(_NOTIFICATION).where(
    _NOTIFICATION.c.user_id == bindparam("uid"), _NOTIFICATION.c.read_at.is_(None))


def recent(db: Session, user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.exec(select(Notification).where(Notification.user_id == user_id)
                        .order_by(Notification.id.desc()).limit(limit)).all())


def mark_all_read(db: Session, user_id: int, now: datetime) -> None:
    db.exec(update(Notification).where(Notification.user_id == user_id,
                                       Notification.read_at.is_(None)).values(read_at=now))
