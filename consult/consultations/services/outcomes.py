"""What a consultation ends with: the ideas a later round (a vote) carries and the
outcome it records on them, and the committee's figures and exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func
from sqlalchemy.orm import Session, aliased
from sqlmodel import select

from consult.accounts.models import User
from consult.communities.models import Place
from consult.consultations import rules
from consult.consultations.models import (
    Category,
    Comment,
    Consultation,
    Idea,
    IdeaPhoto,
    IdeaRound,
    Round,
    RoundChange,
    TimelineEntry,
)
from consult.consultations.services.common import ideas_changed, round_state
from consult.consultations.services.ideas import _first_photos, _with_names
from consult.i18n import N_
from consult.permissions import Actor


@dataclass(frozen=True)
class RoundIdea:
    """What a vote (or any later round) needs of an idea it carries."""

    id: int
    title: str
    estimated_cost_fen: int | None
    photo_key: str | None
    category_name: str
    place_name: str
    support_count: int
    state: str
    area_id: int | None = None  # the residential area it is in (a long ballot groups by it)

    @property
    def thumbnail_url(self) -> str | None:
        return f"/media/{self.photo_key}_t.jpg" if self.photo_key else None


def ideas_in_round(db: Session, item: Round) -> list[RoundIdea]:
    """The ideas a round carries (two queries), in id order."""
    results = db.exec(_with_names().join(IdeaRound, IdeaRound.idea_id == Idea.id)
                      .where(IdeaRound.round_id == item.id).order_by(Idea.id)).all()
    photos = _first_photos(db, [i.id for i, _, _ in results])
    return [RoundIdea(id=i.id, title=i.title, estimated_cost_fen=i.estimated_cost_fen,
                      photo_key=photos.get(i.id), category_name=c, place_name=p,
                      support_count=i.support_count, state=i.state, area_id=i.area_id)
            for i, c, p in results]


def record_outcome(db: Session, actor: Actor | None, item: Round, selected_ids, now: datetime) -> None:
    """Mark the round's shortlisted ideas selected (those in ``selected_ids``) or not selected."""
    selected = set(selected_ids)
    ideas = db.exec(select(Idea).join(IdeaRound, IdeaRound.idea_id == Idea.id).where(
        IdeaRound.round_id == item.id, Idea.state.in_(("shortlisted", "selected", "not_selected")))).all()
    ideas_changed(db, item.consultation_id)
    for idea in ideas:
        action = "select" if idea.id in selected else "not_select"
        target = rules.next_state(idea.state, action)
        if target is None:
            continue
        idea.state, idea.updated_at = target, now
        db.add(idea)
        db.add(TimelineEntry(idea_id=idea.id, at=now, actor_id=actor.user_id if actor else None,
                             actor_role="system", action=target, round_id=item.id))
    _end_decision_round(db, actor, item, now)
    db.flush()


def _end_decision_round(db: Session, actor: Actor | None, item: Round, now: datetime) -> None:
    """Once the outcome is confirmed, the decision (公示) round after the vote has done its
    work: it ends now (a ``RoundChange`` of kind "confirmed" says why)."""
    following = db.exec(select(Round).where(Round.consultation_id == item.consultation_id,
                                            Round.position == item.position + 1)).first()
    if following is None or following.kind != "decide" or round_state(following, now) == "closed":
        return
    db.add(RoundChange(round_id=following.id, kind="confirmed", old_closes_at=following.closes_at,
                       new_closes_at=now, reason="", at=now,
                       by=actor.user_id if actor else None))
    following.opens_at = min(following.opens_at, now)
    following.closes_at = following.closed_early_at = now
    db.add(following)


def record_delivery(db: Session, actor_id: int | None, idea_id: int, action: str, now: datetime,
                    note: str = "") -> bool:
    """A selected idea's project started (``start``: 实施中) or was accepted (``complete``:
    已完成): the idea follows, with a timeline entry. False when the idea cannot move so."""
    idea = db.get(Idea, idea_id)
    if idea is None or action not in ("start", "complete"):
        return False
    target = rules.next_state(idea.state, action)
    if target is None:
        return False
    idea.state, idea.updated_at = target, now
    db.add(idea)
    db.add(TimelineEntry(idea_id=idea.id, at=now, actor_id=actor_id, actor_role="moderator",
                         action=target, note=note[:500] or None))
    ideas_changed(db, idea.consultation_id)
    db.flush()
    return True


@dataclass
class Stats:
    total: int
    by_state: list[tuple[str, int]]
    by_category: list[tuple[str, int]]
    by_area: list[tuple[str, int]]


def stats(db: Session, consultation: Consultation) -> Stats:
    """Counts by state, category and residential area (three grouped queries)."""
    public = and_(Idea.consultation_id == consultation.id, Idea.state != "draft")
    states = dict(db.exec(select(Idea.state, func.count()).where(public).group_by(Idea.state)).all())
    categories = db.exec(select(Category.name, func.count(Idea.id))
                         .outerjoin(Idea, and_(Idea.category_id == Category.id, Idea.state != "draft"))
                         .where(Category.consultation_id == consultation.id)
                         .group_by(Category.id, Category.name, Category.position)
                         .order_by(Category.position, Category.id)).all()
    areas = db.exec(select(Place.name, func.count()).select_from(Idea)
                    .join(Place, Place.id == Idea.area_id)
                    .where(public).group_by(Place.id, Place.name, Place.position)
                    .order_by(Place.position, Place.id)).all()
    by_state = [(s, states[s]) for s in rules.IDEA_STATES if states.get(s)]
    return Stats(total=sum(states.values()), by_state=by_state,
                 by_category=[(n, c) for n, c in categories], by_area=[(n, c) for n, c in areas])


EXPORT_COLUMNS = (
    ("id", N_("Idea number")), ("title", N_("Title")), ("description", N_("Description")),
    ("category", N_("Category")), ("area", N_("Residential area")), ("place", N_("Place")),
    ("estimated_cost", N_("Estimated cost (yuan)")), ("state", N_("State")),
    ("state_note", N_("Reason or note")), ("merged_into", N_("Merged into")),
    ("supports", N_("Supports")), ("comments", N_("Comments")), ("versions", N_("Versions")),
    ("photos", N_("Photos")), ("round", N_("Current round")), ("author", N_("Author")),
    ("submitted_at", N_("Submitted")), ("updated_at", N_("Last changed")),
)


def export_rows(db: Session, consultation: Consultation) -> list[dict]:
    """Every idea (drafts excepted) with every field, as plain values; a few queries in all."""
    area = aliased(Place)
    results = db.exec(
        select(Idea, Category.name, Place.name, area.name, User.display_name, Round.position)
        .join(Category, Category.id == Idea.category_id).join(Place, Place.id == Idea.place_id)
        .outerjoin(area, area.id == Idea.area_id).join(User, User.id == Idea.author_id)
        .outerjoin(Round, Round.id == Idea.current_round_id)
        .where(Idea.consultation_id == consultation.id, Idea.state != "draft").order_by(Idea.id)
    ).all()
    ids = [row[0].id for row in results]
    comments = dict(db.exec(select(Comment.idea_id, func.count()).where(
        Comment.idea_id.in_(ids), Comment.hidden_at.is_(None)).group_by(Comment.idea_id)).all()) if ids else {}
    photos = dict(db.exec(select(IdeaPhoto.idea_id, func.count()).where(
        IdeaPhoto.idea_id.in_(ids)).group_by(IdeaPhoto.idea_id)).all()) if ids else {}
    return [{
        "id": idea.id, "title": idea.title, "description": idea.description,
        "category": category, "area": area_name or "", "place": place,
        "estimated_cost_fen": idea.estimated_cost_fen, "state": idea.state,
        "state_note": idea.state_note or "", "merged_into": idea.merged_into_id,
        "supports": idea.support_count, "comments": comments.get(idea.id, 0),
        "versions": idea.version, "photos": photos.get(idea.id, 0), "round": position,
        "author": author, "submitted_at": idea.submitted_at, "updated_at": idea.updated_at,
    } for idea, category, place, area_name, author, position in results]
