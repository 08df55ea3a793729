"""Owners'-representative forums 业主代表座谈会: held for a campaign's subject, their
attendees and the grid of ratings they give (a source of the scoreboard).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities.models import Place, RoleAssignment
from consult.db.ids import find
from consult.errors import FieldErrors
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.ratings import rules
from consult.ratings.models import (
    Campaign,
    Criterion,
    Forum,
    ForumAttendee,
    ForumRating,
    Subject,
)
from consult.ratings.services.campaigns import campaign_place, criteria_of, require_campaign_action
from consult.ratings.services.common import _get, _int, _require
from consult.surveys.services import in_scope


def get_forum(db: Session, forum_id) -> tuple[Forum, Campaign, Subject]:
    forum = _get(db, Forum, forum_id)
    return forum, db.get(Campaign, forum.campaign_id), db.get(Subject, forum.subject_id)


def readable_forum(db: Session, actor: Actor, forum_id) -> tuple[Forum, Campaign, Subject, Place]:
    """A forum for its page: representatives and staff of the subject's place may read it."""
    forum, campaign, subject = get_forum(db, forum_id)
    place = forum_place(db, campaign, subject)
    _require(actor, "view_forum", place.ids_from_root)
    return forum, campaign, subject, place


def forums_of(db: Session, campaign: Campaign) -> list[tuple[Forum, Subject]]:
    return list(db.exec(select(Forum, Subject).join(Subject, Subject.id == Forum.subject_id)
                        .where(Forum.campaign_id == campaign.id).order_by(Forum.held_at)).all())


def forum_place(db: Session, campaign: Campaign, subject: Subject) -> Place:
    return db.get(Place, subject.place_id) if subject.place_id else campaign_place(db, campaign)


def _forum_problems(held_at: datetime | None, location: str, agenda: str, minutes: str) -> dict[str, Msg]:
    problems: dict[str, Msg] = {}
    if held_at is None:
        problems["held_at"] = Msg(N_("Please give a valid date and time."))
    if problem := rules.text_problem(location, rules.NAME_MAX, N_("Please say where the forum is held.")):
        problems["location"] = problem
    if len(agenda) > 2000:
        problems["agenda"] = Msg(N_("Please write at most %(max)s characters (you wrote %(count)s)."),
                                 {"max": 2000, "count": len(agenda)})
    if len(minutes) > 5000:
        problems["minutes"] = Msg(N_("Please write at most %(max)s characters (you wrote %(count)s)."),
                                  {"max": 5000, "count": len(minutes)})
    return problems


def create_forum(db: Session, actor: Actor, campaign: Campaign, *, subject_id, held_at: datetime | None,
                 location: str, agenda: str = "", now: datetime | None = None) -> Forum:
    subject = None
    if str(subject_id or "").strip():
        subject = find(db, Subject, subject_id)
    if subject is None or subject.campaign_id != campaign.id:
        raise FieldErrors({"subject_id": Msg(N_("Please choose the subject of the forum."))})
    _require(actor, "enter_forum_ratings", forum_place(db, campaign, subject).ids_from_root)
    require_campaign_action(campaign, "manage_forum", now)
    if problems := _forum_problems(held_at, location, agenda, ""):
        raise FieldErrors(problems)
    forum = Forum(campaign_id=campaign.id, subject_id=subject.id, held_at=held_at,
                  location=location.strip(), agenda=agenda.strip(), created_by=actor.user_id)
    db.add(forum)
    db.flush()
    return forum


def representatives(db: Session, place: Place) -> list[User]:
    """Owners' representatives whose role covers ``place`` or lies inside it."""
    return list(db.exec(
        select(User).where(User.id.in_(
            select(RoleAssignment.user_id).join(Place, Place.id == RoleAssignment.place_id)
            .where(RoleAssignment.role == "owners_rep", in_scope(place))))
        .order_by(User.display_name, User.id)).all())


def attendees(db: Session, forum: Forum) -> list[User]:
    return list(db.exec(select(User).join(ForumAttendee, ForumAttendee.user_id == User.id)
                        .where(ForumAttendee.forum_id == forum.id)
                        .order_by(User.display_name, User.id)).all())


def update_forum(db: Session, actor: Actor, forum: Forum, *, held_at: datetime | None, location: str,
                 agenda: str, minutes: str, attendee_ids: list[str], now: datetime | None = None) -> None:
    campaign, subject = db.get(Campaign, forum.campaign_id), db.get(Subject, forum.subject_id)
    place = forum_place(db, campaign, subject)
    _require(actor, "enter_forum_ratings", place.ids_from_root)
    require_campaign_action(campaign, "manage_forum", now)
    if problems := _forum_problems(held_at, location, agenda, minutes):
        raise FieldErrors(problems)
    allowed_ids = {u.id for u in representatives(db, place)}
    chosen = {_int(v) for v in attendee_ids} - {None}
    if not chosen <= allowed_ids:
        raise FieldErrors({"attendees": Msg(N_("Attendees must be owners' representatives of %(place)s."),
                                            {"place": place.name})})
    forum.held_at, forum.location = held_at, location.strip()
    forum.agenda, forum.minutes = agenda.strip(), minutes.strip()
    db.add(forum)
    current = {a.user_id: a for a in db.exec(select(ForumAttendee).where(
        ForumAttendee.forum_id == forum.id)).all()}
    for user_id in chosen - set(current):
        db.add(ForumAttendee(forum_id=forum.id, user_id=user_id))
    for user_id in set(current) - chosen:
        db.delete(current[user_id])
        db.exec(delete(ForumRating).where(ForumRating.forum_id == forum.id,
                                          ForumRating.user_id == user_id))
    db.flush()


def forum_criteria(db: Session, campaign: Campaign) -> list[Criterion]:
    return [c for c in criteria_of(db, campaign) if c.source == "forum"]


def forum_ratings(db: Session, forum: Forum) -> dict[tuple[int, int], int]:
    return {(r.user_id, r.criterion_id): r.score for r in db.exec(
        select(ForumRating).where(ForumRating.forum_id == forum.id)).all()}


def save_grid(db: Session, actor: Actor, forum: Forum, raw: dict[str, str], *,
              now: datetime | None = None) -> int:
    """Store the whole grid (representatives × forum criteria) at once; blank cells clear.

    Returns the number of ratings stored. Nothing changes when any cell is wrong.
    """
    campaign, subject = db.get(Campaign, forum.campaign_id), db.get(Subject, forum.subject_id)
    _require(actor, "enter_forum_ratings", forum_place(db, campaign, subject).ids_from_root)
    require_campaign_action(campaign, "enter_forum_ratings", now)
    people = [u.id for u in attendees(db, forum)]
    criteria = [c.id for c in forum_criteria(db, campaign)]
    grid = rules.check_grid(people, criteria, raw)
    expected = {rules.cell_name(u, c) for u in people for c in criteria}
    for name in raw:
        if name not in expected:
            grid.errors[name] = Msg(N_("There is no such cell: not an attendee or not a forum criterion."))
    if grid.errors:
        raise FieldErrors(grid.errors)
    db.exec(delete(ForumRating).where(ForumRating.forum_id == forum.id))
    rows = [ForumRating(forum_id=forum.id, user_id=u, criterion_id=c, score=v)
            for (u, c), v in grid.values.items() if v is not None]
    db.add_all(rows)
    audit.record(db, actor_id=actor.user_id, action="enter_forum_ratings", target_type="forum",
                 target_id=forum.id, place_id=subject.place_id or campaign.place_id, count=len(rows))
    db.flush()
    return len(rows)


def attended_by(db: Session, user_ids: set[int], now: datetime) -> list[tuple[int, str, str, str]]:
    """Who of ``user_ids`` attended a forum already held, as participation facts
    ``(user_id, "forum", "forum:<id>", campaign place path)`` (the points club credits them)."""
    if not user_ids:
        return []
    rows = db.exec(select(ForumAttendee.user_id, Forum.id, Place.path)
                   .join(Forum, Forum.id == ForumAttendee.forum_id)
                   .join(Campaign, Campaign.id == Forum.campaign_id).join(Place, Place.id == Campaign.place_id)
                   .where(ForumAttendee.user_id.in_(user_ids), Forum.held_at <= now)).all()
    return [(user_id, "forum", f"forum:{forum_id}", path) for user_id, forum_id, path in rows]
