"""Photo contests: entries, and the stars verified residents give them.

Once a contest has closed, or its first star is given, its entries are fixed
(``rules.CONTEST_ACTIONS`` through ``require_contest_action``, and ``entry_refusal``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock
from consult.communities.models import Place
from consult.db.ids import find
from consult.errors import Conflict, FieldErrors, NotFound
from consult.i18n import N_, Msg
from consult.media.images import ImageError, process_upload, store
from consult.permissions import Actor
from consult.ratings import rules
from consult.ratings.models import (
    Campaign,
    Contest,
    ContestEntry,
    ContestRating,
    Subject,
)
from consult.ratings.services.campaigns import may_manage, require_campaign_action
from consult.ratings.services.common import _get, _require, photo_message
from consult.surveys import rules as survey_rules
from consult.surveys.services import acting_path


def entry_refusal(db: Session, contest: Contest, now: datetime) -> Msg | None:
    """Why no entry can be added to the contest now, or None."""
    if problem := rules.contest_action_problem("add_entry", contest_state(contest, now)):
        return problem
    if db.exec(select(ContestRating.id).join(ContestEntry, ContestEntry.id == ContestRating.entry_id)
               .where(ContestEntry.contest_id == contest.id).limit(1)).first() is not None:
        return Msg(HAS_RATINGS)
    return None


HAS_RATINGS = N_("Stars have been given in this public vote: entries can no longer be added.")


def contest_state(contest: Contest, now: datetime) -> str:
    return survey_rules.state(contest.opens_at, contest.closes_at, now)


def require_contest_action(contest: Contest, action: str, now: datetime | None = None) -> str:
    state = contest_state(contest, now or clock.utcnow())
    if problem := rules.contest_action_problem(action, state):
        raise Conflict(problem, code=rules.CONTEST_CODES[state])
    return state


def get_contest(db: Session, contest_id) -> tuple[Contest, Place]:
    contest = _get(db, Contest, contest_id)
    return contest, db.get(Place, contest.place_id)


def list_contests(db: Session) -> list[tuple[Contest, Place]]:
    return list(db.exec(select(Contest, Place).join(Place, Place.id == Contest.place_id)
                        .order_by(Contest.opens_at.desc()).limit(50)).all())


def create_contest(db: Session, actor: Actor, *, place_id, title: str, description: str,
                   opens_at: datetime | None, closes_at: datetime | None, campaign_id=None,
                   now: datetime | None = None) -> Contest:
    place = _get(db, Place, place_id) if str(place_id or "").strip() else None
    if place is None:
        raise FieldErrors({"place_id": Msg(N_("Please choose a place."))})
    _require(actor, "manage_campaign", place.ids_from_root)
    problems: dict[str, Msg] = {}
    if problem := rules.text_problem(title, rules.NAME_MAX, N_("Please give the contest a title.")):
        problems["title"] = problem
    if opens_at is None:
        problems["opens_at"] = Msg(N_("Please give a valid date and time."))
    if closes_at is None:
        problems["closes_at"] = Msg(N_("Please give a valid date and time."))
    elif opens_at and closes_at <= opens_at:
        problems["closes_at"] = Msg(N_("The vote must close after it opens."))
    campaign = None
    if str(campaign_id or "").strip():
        campaign = find(db, Campaign, campaign_id)
        if campaign is None or not may_manage(db, actor, campaign):
            problems["campaign_id"] = Msg(N_("Please choose a campaign."))
        else:  # its votes count for the campaign: only while it is prepared (said before
            # any slip on the form, which correcting would not help)
            require_campaign_action(campaign, "attach_contest", now)
    if problems:
        raise FieldErrors(problems)
    contest = Contest(title=title.strip(), description=description.strip()[:2000], place_id=place.id,
                      opens_at=opens_at, closes_at=closes_at, campaign_id=campaign.id if campaign else None,
                      created_by=actor.user_id)
    db.add(contest)
    db.flush()
    return contest


def add_entry(db: Session, actor: Actor, contest: Contest, *, title: str, text: str = "", place_id=None,
              subject_id=None, photo: bytes | None = None, media_dir: Path | None = None,
              now: datetime | None = None) -> ContestEntry:
    """An entry joins the ballot until the contest closes and before the first star is given."""
    scope = db.get(Place, contest.place_id)
    _require(actor, "manage_campaign", scope.ids_from_root)
    require_contest_action(contest, "add_entry", now)
    if entry_refusal(db, contest, now or clock.utcnow()) is not None:  # the first star is given
        raise Conflict(HAS_RATINGS, code="contest_has_ratings")
    errors: dict[str, Msg] = {}
    if problem := rules.text_problem(title, rules.NAME_MAX, N_("Please give the entry a title.")):
        errors["title"] = problem
    if len(text.strip()) > 500:
        errors["text"] = Msg(N_("Please write at most %(max)s characters (you wrote %(count)s)."),
                             {"max": 500, "count": len(text.strip())})
    place = None
    if str(place_id or "").strip():
        place = find(db, Place, place_id)
        if place is None or not place.path.startswith(scope.path):
            errors["place_id"] = Msg(N_("Please choose a place inside %(place)s."), {"place": scope.name})
    subject = None
    if str(subject_id or "").strip():
        subject = find(db, Subject, subject_id)
        if subject is None or subject.campaign_id != contest.campaign_id:
            errors["subject_id"] = Msg(N_("Please choose a subject of the contest's campaign."))
    key = None
    if photo and not errors:
        try:
            key = store(process_upload(photo), media_dir)
        except ImageError as exc:
            errors["photo"] = photo_message(exc)
    if errors:
        raise FieldErrors(errors)
    last = db.exec(select(func.max(ContestEntry.position)).where(ContestEntry.contest_id == contest.id)).one()
    entry = ContestEntry(contest_id=contest.id, position=(last or 0) + 1, title=title.strip(),
                         text=text.strip(), place_id=place.id if place else None,
                         subject_id=subject.id if subject else None, photo_key=key)
    db.add(entry)
    db.flush()
    return entry


@dataclass
class EntryRow:
    entry: ContestEntry
    place: Place | None
    count: int
    mean: Fraction | None
    mine: int | None
    rank: int = 0


def entries(db: Session, contest: Contest, user_id: int | None) -> list[EntryRow]:
    """Entries with their vote counts, means and the reader's own stars (three queries)."""
    rows = db.exec(select(ContestEntry, Place).outerjoin(Place, Place.id == ContestEntry.place_id)
                   .where(ContestEntry.contest_id == contest.id)
                   .order_by(ContestEntry.position, ContestEntry.id)).all()
    ids = [e.id for e, _ in rows]
    totals: dict[int, tuple[int, int]] = {}
    mine: dict[int, int] = {}
    if ids:
        totals = {eid: (int(total), n) for eid, total, n in db.exec(
            select(ContestRating.entry_id, func.sum(ContestRating.stars), func.count())
            .where(ContestRating.entry_id.in_(ids)).group_by(ContestRating.entry_id)).all()}
        if user_id is not None:
            mine = dict(db.exec(select(ContestRating.entry_id, ContestRating.stars).where(
                ContestRating.entry_id.in_(ids), ContestRating.user_id == user_id)).all())
    return [EntryRow(entry=e, place=p, count=totals.get(e.id, (0, 0))[1],
                     mean=survey_rules.mean(*totals.get(e.id, (0, 0))), mine=mine.get(e.id))
            for e, p in rows]


def ranked(rows: list[EntryRow]) -> list[EntryRow]:
    """Results order: highest mean first, then most votes; equal means and counts share a rank."""
    out = sorted(rows, key=lambda r: (-(r.mean or 0), -r.count, r.entry.position))
    previous, rank = None, 0
    for position, row in enumerate(out, start=1):
        key = (row.mean, row.count)
        if key != previous:
            rank, previous = position, key
        row.rank = rank
    return out


def rate_entry(db: Session, actor: Actor, contest: Contest, entry_id, stars: str, now: datetime) -> ContestRating:
    """A verified resident gives an entry 1–5 stars, once (the UNIQUE constraint decides)."""
    entry = _get(db, ContestEntry, entry_id)
    if entry.contest_id != contest.id:
        raise NotFound()
    require_contest_action(contest, "rate_entry", now)
    scope = db.get(Place, contest.place_id)
    _require(actor, "rate_contest_entry", acting_path(db, actor, "resident", scope))
    value, problem = rules.stars_problem(stars)
    if problem:
        raise FieldErrors({f"e{entry.id}": problem})
    rating = ContestRating(entry_id=entry.id, user_id=actor.user_id, stars=value, created_at=now)
    try:
        with db.begin_nested():
            db.add(rating)
    except IntegrityError:
        raise Conflict(N_("You have already rated this entry."), code="already_rated") from None
    return rating
