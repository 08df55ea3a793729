"""What waits for a staff member, in the places they moderate (read only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, literal, or_
from sqlalchemy.orm import Session, aliased
from sqlmodel import select

from consult import permissions
from consult.communities import services as communities
from consult.communities.models import Place
from consult.consultations import Consultation, Idea, Round
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.voting import Ballot, Objection

#: A round "closes soon" within this time.
CLOSING_SOON = timedelta(days=3)


@dataclass(frozen=True)
class Task:
    """One line of the desk: what (``label``, with ``count``), where (``title``), and the
    page to do it on (``route`` and its ``params``, for ``url``)."""

    kind: str  # verifications | review | disputes | objections | closing
    label: Msg
    count: int
    route: str
    params: dict
    title: str = ""
    when: datetime | None = None


def _under(places: list[Place], column):
    """``column`` (a place path) lies inside one of ``places``."""
    return or_(*(column.startswith(p.path) for p in places))


def _around(places: list[Place], column):
    """``column`` (a place path) lies inside or above one of ``places``: a sub-district
    round concerns each area's committee too (paper ballots, objections, deadlines)."""
    return or_(*(column.startswith(p.path) for p in places),
               *(literal(p.path).startswith(column) for p in places))


def tasks(db: Session, actor: Actor, now: datetime) -> list[Task]:
    """Everything waiting for ``actor``; empty for someone who is not staff."""
    if not permissions.allowed("view_staff_area", actor):
        return []
    places = communities.staff_places(actor, db)
    if not places:
        return []
    out: list[Task] = []
    waiting = [r for r, _user, _area in communities.pending_requests(db, actor) if r.user_id != actor.user_id]
    if waiting:
        out.append(Task("verifications", Msg(N_("Verification requests waiting: %(n)s"), {"n": len(waiting)}),
                        len(waiting), "verifications", {}))
    scope = aliased(Place)
    at = aliased(Place)
    ideas = db.exec(
        select(Consultation.id, Consultation.title, func.count(Idea.id))
        .join(Consultation, Consultation.id == Idea.consultation_id)
        .join(at, at.id == Idea.place_id)
        .where(Idea.state == "submitted", Idea.author_id != actor.user_id, _under(places, at.path))
        .group_by(Consultation.id, Consultation.title).order_by(Consultation.id)).all()
    for cid, title, n in ideas:
        out.append(Task("review", Msg(N_("Ideas to review: %(n)s"), {"n": n}), n, "review_queue",
                        {"cid": cid}, title))
    rounds = (select(Round.id, Consultation.title, Round.title)
              .join(Consultation, Consultation.id == Round.consultation_id)
              .join(scope, scope.id == Consultation.scope_place_id)
              .where(_around(places, scope.path)))
    disputed = db.exec(
        rounds.add_columns(func.count(Ballot.id)).join(Ballot, Ballot.round_id == Round.id)
        .where(Ballot.status == "disputed")
        .group_by(Round.id, Consultation.title, Round.title).order_by(Round.id)).all()
    for rid, ctitle, rtitle, n in disputed:
        out.append(Task("disputes", Msg(N_("Paper ballots in dispute: %(n)s"), {"n": n}), n,
                        "paper_ballots", {"rid": rid}, rtitle or ctitle))
    objections = db.exec(
        rounds.add_columns(func.count(Objection.id)).join(Objection, Objection.round_id == Round.id)
        .where(Objection.answered_at.is_(None), Objection.user_id != actor.user_id)
        .group_by(Round.id, Consultation.title, Round.title).order_by(Round.id)).all()
    for rid, ctitle, rtitle, n in objections:
        out.append(Task("objections", Msg(N_("Objections to answer: %(n)s"), {"n": n}), n,
                        "vote_results", {"rid": rid}, rtitle or ctitle))
    closing = db.exec(
        rounds.add_columns(Round.closes_at, Consultation.id)
        .where(Round.opens_at <= now, Round.closes_at > now, Round.closes_at <= now + CLOSING_SOON)
        .order_by(Round.closes_at)).all()
    for _rid, ctitle, rtitle, closes_at, cid in closing:
        out.append(Task("closing", Msg(N_("Closes soon")), 1, "consultation", {"cid": cid},
                        f"{ctitle} · {rtitle}" if rtitle else ctitle, when=closes_at))
    return out
