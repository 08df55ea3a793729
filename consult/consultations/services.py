"""Consultation services: the only code here that touches the session.

Every function that changes something takes the acting :class:`Actor` and checks
``permissions.allowed`` itself, so pages and the JSON API share one set of rules.
Reads are shaped for pages: a bounded number of queries whatever the number of ideas.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib import import_module
from pathlib import Path

from sqlalchemy import and_, bindparam, delete, exists, func, insert, literal, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from sqlmodel import select

from consult import clock, permissions
from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities import services as communities
from consult.communities.models import Place
from consult.consultations import rules
from consult.consultations.diff import FieldDiff, diff_fields
from consult.consultations.models import (
    Category,
    Comment,
    CommentReport,
    Consultation,
    Idea,
    IdeaPhoto,
    IdeaRound,
    IdeaVersion,
    Round,
    RoundChange,
    Support,
    TimelineEntry,
)
from consult.db.ids import find
from consult.db.ids import parse_id as _int
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.media.images import ImageError, process_upload, store
from consult.notifications import services as notifications
from consult.permissions import Actor

PER_PAGE = 20

#: ImageError codes → translatable messages (the media module's English templates use
#: ``{name}``; the catalogue uses ``%(name)s``).
PHOTO_MESSAGES = {
    "too_large": N_("The photo is %(size_mb)s MB; photos can be at most %(max_mb)s MB."),
    "not_an_image": N_("This file could not be opened as a photo. Please choose a JPEG, PNG, WebP or GIF picture."),
    "unsupported_format": N_("Pictures in %(format)s format are not accepted. Please choose a JPEG, PNG, WebP or GIF picture."),
    "too_many_pixels": N_("The picture has too many pixels; at most %(max_megapixels)s million are allowed."),
}


def photo_message(error: ImageError) -> Msg:
    return Msg(PHOTO_MESSAGES[error.code], dict(error.params))


# -- consultations ------------------------------------------------------------------------


def get_consultation(db: Session, consultation_id: int) -> Consultation:
    consultation = db.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound()
    return consultation


def list_header(db: Session, consultation_id: int):
    """What the idea list needs of its consultation, as a light row (id, title,
    scope_place_id, ideas_version): plain values that may outlive the request.

    On the busiest page this is often the only statement (the list itself comes from
    the page cache when ``ideas_version`` has not moved), so it is a Core statement
    built once, with no ORM entity to load.
    """
    row = db.execute(_list_header_select(), {"cid": consultation_id}).first()
    if row is None:
        raise NotFound()
    return row


@lru_cache(maxsize=1)
def _list_header_select():
    table = Consultation.__table__
    return (select(table.c.id, table.c.title, table.c.scope_place_id, table.c.ideas_version)
            .where(table.c.id == bindparam("cid")))


def ideas_changed(db: Session, consultation_id: int) -> None:
    """Raise the consultation's ``ideas_version`` in the caller's transaction.

    Cached idea lists (``routes.ideas_page``) are keyed by this number, so every
    service that changes what a list shows (an idea's text, state, category, place,
    cost or photos, its supports or visible comments, the categories, the title)
    calls this: once the change commits no list is served from before it. Call it
    before the first write, so that writers always lock the consultation row before
    idea rows (one lock order, no deadlocks on PostgreSQL).
    """
    db.execute(update(Consultation).where(Consultation.id == consultation_id)
               .values(ideas_version=Consultation.ideas_version + 1))


def scope_of(db: Session, consultation: Consultation) -> Place:
    return db.get(Place, consultation.scope_place_id)


def categories_of(db: Session, consultation_id: int) -> list[Category]:
    return list(db.exec(select(Category).where(Category.consultation_id == consultation_id)
                        .order_by(Category.position, Category.id)).all())


def rounds_of(db: Session, consultation_id: int) -> list[Round]:
    return list(db.exec(select(Round).where(Round.consultation_id == consultation_id)
                        .order_by(Round.position)).all())


def get_round(db: Session, round_id: int, *, lock: bool = False) -> Round:
    """The round; with ``lock``, read anew under a lock on its row (``SELECT … FOR
    UPDATE`` on PostgreSQL) held until the transaction ends, for an action on it that
    depends on the time: read the clock after this (see ``voting.services.lock_round``)."""
    item = (db.get(Round, round_id, with_for_update=True, populate_existing=True) if lock
            else db.get(Round, round_id))
    if item is None:
        raise NotFound()
    return item


def round_state(item: Round, now: datetime) -> str:
    return rules.round_state(item.opens_at, item.closes_at, now)


def open_round(rounds: list[Round], now: datetime, kind: str | None = None) -> Round | None:
    for item in rounds:
        if round_state(item, now) == "open" and (kind is None or item.kind == kind):
            return item
    return None


def manageable_scopes(db: Session, actor: Actor) -> list[Place]:
    """Places where the actor may run a consultation: their areas, or the sub-district for admins."""
    ids = [place for role, place in actor.roles if role in permissions.STAFF]
    if not ids:
        return []
    places = db.exec(select(Place).where(Place.id.in_(ids))).all()
    found = {p.id: p for p in places}
    # an admin of the sub-district may also run consultations for any of its areas
    areas = db.exec(select(Place).where(Place.kind == "area").order_by(Place.position, Place.id)).all()
    choices = [p for p in places if p.kind in ("subdistrict", "area")]
    choices += [a for a in areas if a.id not in found
                and permissions.allowed("manage_consultation", actor, a.ids_from_root)]
    return sorted(choices, key=lambda p: (p.kind != "subdistrict", p.path))


def _consultation_values(title: str, year: str, description: str, budget: str,
                         categories: str) -> dict:
    title, description = rules.clean_text(title), rules.clean_text(description)
    budget_fen, budget_problem = rules.parse_money(rules.clean_text(budget))
    parsed_year, errors = rules.consultation_problems(title, rules.clean_text(year), description,
                                                      budget_problem)
    names, problem = rules.parse_categories(categories)
    if problem:
        errors["categories"] = problem
    if errors:
        raise FieldErrors(errors)
    return {"title": title, "year": parsed_year, "description": description,
            "budget_fen": budget_fen, "categories": names}


def create_consultation(db: Session, actor: Actor, *, scope_place_id, title: str, year: str,
                        description: str = "", budget: str = "",
                        categories: str = "\n".join(rules.DEFAULT_CATEGORIES)) -> Consultation:
    scope = find(db, Place, scope_place_id)
    if scope is None or scope.kind not in ("subdistrict", "area"):
        raise FieldErrors({"scope_place_id": Msg(N_("Please choose a residential area or the whole sub-district."))})
    if not permissions.allowed("manage_consultation", actor, scope.ids_from_root):
        raise Forbidden()
    values = _consultation_values(title, year, description, budget, categories)
    names = values.pop("categories")
    consultation = Consultation(scope_place_id=scope.id, created_by=actor.user_id, **values)
    db.add(consultation)
    db.flush()
    for position, name in enumerate(names):
        db.add(Category(consultation_id=consultation.id, name=name, position=position))
    audit.record(db, actor_id=actor.user_id, action="create_consultation",
                 target_type="consultation", target_id=consultation.id, place_id=scope.id,
                 title=consultation.title)
    db.flush()
    return consultation


def update_consultation(db: Session, actor: Actor, consultation: Consultation, *, title: str,
                        year: str, description: str, budget: str, categories: str) -> Consultation:
    """Edit the consultation; a category that ideas use cannot be removed (rename it instead? no:
    a rename is a removal plus an addition, so only unused categories may go)."""
    scope = scope_of(db, consultation)
    if not permissions.allowed("manage_consultation", actor, scope.ids_from_root):
        raise Forbidden()
    values = _consultation_values(title, year, description, budget, categories)
    names = values.pop("categories")
    if values["budget_fen"] != consultation.budget_fen:
        try:
            for item in rounds_of(db, consultation.id):
                check_round_action(db, item, "change_budget", clock.utcnow())
        except Conflict as refused:
            raise FieldErrors({"budget": refused.msg}) from None
    existing = {c.name: c for c in categories_of(db, consultation.id)}
    removed = [c for name, c in existing.items() if name not in names]
    if removed:
        used = set(db.exec(select(Idea.category_id).where(
            Idea.category_id.in_([c.id for c in removed])).distinct()).all())
        if used:
            names_used = "、".join(c.name for c in removed if c.id in used)
            raise FieldErrors({"categories": Msg(
                N_("These categories have ideas and cannot be removed: %(names)s"),
                {"names": names_used})})
    ideas_changed(db, consultation.id)  # the title and category names appear in the lists
    if removed:
        for category in removed:
            db.delete(category)
        db.flush()
    for position, name in enumerate(names):
        category = existing.get(name) or Category(consultation_id=consultation.id, name=name)
        category.position = position
        db.add(category)
    for key, value in values.items():
        setattr(consultation, key, value)
    db.add(consultation)
    audit.record(db, actor_id=actor.user_id, action="update_consultation",
                 target_type="consultation", target_id=consultation.id, place_id=scope.id)
    db.flush()
    return consultation


@dataclass
class ConsultationSummary:
    consultation: Consultation
    scope: Place
    current: Round | None
    idea_count: int
    mine: bool


def consultations_overview(db: Session, actor: Actor, now: datetime) -> list[ConsultationSummary]:
    """Every consultation, those that concern the actor's places first (a handful of queries)."""
    rows = db.exec(select(Consultation, Place).join(Place, Place.id == Consultation.scope_place_id)
                   .order_by(Consultation.year.desc(), Consultation.id.desc())).all()
    ids = [c.id for c, _ in rows]
    rounds = db.exec(select(Round).where(Round.consultation_id.in_(ids))
                     .order_by(Round.position)).all() if ids else []
    by_consultation: dict[int, list[Round]] = {}
    for item in rounds:
        by_consultation.setdefault(item.consultation_id, []).append(item)
    counts = dict(db.exec(select(Idea.consultation_id, func.count()).where(
        Idea.consultation_id.in_(ids), Idea.state != "draft").group_by(Idea.consultation_id)).all()
    ) if ids else {}
    my_places = {place for _, place in actor.roles}
    result = [
        ConsultationSummary(
            consultation=c, scope=scope,
            current=open_round(by_consultation.get(c.id, []), now),
            idea_count=counts.get(c.id, 0),
            mine=scope.kind == "subdistrict" and bool(my_places) or scope.id in my_places,
        )
        for c, scope in rows
    ]
    return sorted(result, key=lambda s: not s.mine)


# -- rounds -------------------------------------------------------------------------------


#: The lifecycle of rounds of a kind, kept by the domain that runs them (voting registers
#: "vote"): ``guard(db, round, action, now)`` raises ``Conflict`` when ``action``
#: ("reschedule", "extend", "close_early", "carry_from", "carry_into", "change_budget") may
#: not be done to that round now. ``GUARDED_KINDS`` names the module that registers each
#: guard; it is imported when needed, so a guard is never skipped.
ROUND_GUARDS: dict[str, Callable[[Session, Round, str, datetime], None]] = {}
GUARDED_KINDS = {"vote": "consult.voting.services"}


def check_round_action(db: Session, item: Round, action: str, now: datetime) -> None:
    if item.kind in GUARDED_KINDS and item.kind not in ROUND_GUARDS:
        import_module(GUARDED_KINDS[item.kind])
    guard = ROUND_GUARDS.get(item.kind)
    if guard is not None:
        guard(db, item, action, now)
    elif item.kind in GUARDED_KINDS:
        raise RuntimeError(f"{GUARDED_KINDS[item.kind]} did not register the guard of {item.kind} rounds")


def _manage(db: Session, actor: Actor, consultation: Consultation) -> Place:
    scope = scope_of(db, consultation)
    if not permissions.allowed("manage_consultation", actor, scope.ids_from_root):
        raise Forbidden()
    return scope


def _round_settings(kind: str, ideas_per_resident, supports_needed, base: dict | None = None) -> dict:
    settings = dict(base or {})
    if kind == "collect":
        limit = rules.parse_count(ideas_per_resident, 100)
        needed = rules.parse_count(supports_needed, 10000)
        errors = {}
        if limit is None:
            errors["ideas_per_resident"] = Msg(N_("Please enter a whole number from 0 to %(max)s."), {"max": 100})
        if needed is None:
            errors["supports_needed"] = Msg(N_("Please enter a whole number from 0 to %(max)s."), {"max": 10000})
        if errors:
            raise FieldErrors(errors)
        settings.update(ideas_per_resident=limit, supports_needed=needed)
    return settings


def add_round(db: Session, actor: Actor, consultation: Consultation, *, kind: str,
              opens_at: datetime | None, closes_at: datetime | None, title: str = "",
              ideas_per_resident="3", supports_needed="0") -> Round:
    scope = _manage(db, actor, consultation)
    errors: dict[str, Msg] = {}
    if kind not in rules.ROUND_KINDS:
        errors["kind"] = Msg(N_("Please choose the kind of round."))
    if opens_at is None:
        errors["opens_at"] = Msg(N_("Please enter a date and time."))
    if closes_at is None:
        errors["closes_at"] = Msg(N_("Please enter a date and time."))
    title = rules.clean_text(title)
    if len(title) > 80:
        errors["title"] = Msg(N_("This can have at most %(max)s characters."), {"max": 80})
    if errors:
        raise FieldErrors(errors)
    settings = _round_settings(kind, ideas_per_resident, supports_needed)
    rounds = rounds_of(db, consultation.id)
    times = [(r.opens_at, r.closes_at) for r in rounds] + [(opens_at, closes_at)]
    if problem := rules.schedule_problem(times):
        raise FieldErrors({"opens_at": problem})
    item = Round(consultation_id=consultation.id, position=len(rounds) + 1, kind=kind,
                 title=title, opens_at=opens_at, closes_at=closes_at, settings=settings)
    db.add(item)
    db.flush()
    audit.record(db, actor_id=actor.user_id, action="add_round", target_type="round",
                 target_id=item.id, place_id=scope.id, kind=kind)
    return item


def update_round(db: Session, actor: Actor, item: Round, *, opens_at: datetime | None,
                 closes_at: datetime | None, title: str, ideas_per_resident="3",
                 supports_needed="0", now: datetime) -> Round:
    """Change a round that has not opened yet (an open round is extended or closed instead)."""
    consultation = get_consultation(db, item.consultation_id)
    scope = _manage(db, actor, consultation)
    if round_state(item, now) != "upcoming":
        raise Conflict(N_("Only a round that has not opened yet can be changed; extend or close an open round instead."))
    check_round_action(db, item, "reschedule", now)
    if opens_at is None or closes_at is None:
        raise FieldErrors({"opens_at" if opens_at is None else "closes_at":
                           Msg(N_("Please enter a date and time."))})
    if opens_at < now:
        raise FieldErrors({"opens_at": Msg(N_("The opening time cannot be in the past."))})
    title = rules.clean_text(title)
    if len(title) > 80:
        raise FieldErrors({"title": Msg(N_("This can have at most %(max)s characters."), {"max": 80})})
    settings = _round_settings(item.kind, ideas_per_resident, supports_needed, item.settings)
    rounds = rounds_of(db, consultation.id)
    times = [(opens_at, closes_at) if r.id == item.id else (r.opens_at, r.closes_at) for r in rounds]
    if problem := rules.schedule_problem(times):
        raise FieldErrors({"opens_at": problem})
    item.opens_at, item.closes_at, item.title, item.settings = opens_at, closes_at, title, settings
    db.add(item)
    audit.record(db, actor_id=actor.user_id, action="update_round", target_type="round",
                 target_id=item.id, place_id=scope.id)
    db.flush()
    return item


def close_round(db: Session, actor: Actor, item: Round, *, reason: str, now: datetime,
                open_next: bool = True) -> int:
    """Close an open round now, with a public reason, and carry its ideas on.

    With ``open_next`` the next round, if it has not opened, opens now. Returns the
    number of ideas carried.
    """
    consultation = get_consultation(db, item.consultation_id)
    scope = _manage(db, actor, consultation)
    reason = rules.clean_text(reason)
    if problem := rules.reason_problem(reason):
        raise FieldErrors({"reason": problem})
    if round_state(item, now) != "open":
        raise Conflict(N_("Only an open round can be closed early."))
    check_round_action(db, item, "close_early", now)
    db.add(RoundChange(round_id=item.id, kind="close_early", old_closes_at=item.closes_at,
                       new_closes_at=now, reason=reason, at=now, by=actor.user_id))
    item.closes_at = now
    item.closed_early_at = now
    db.add(item)
    audit.record(db, actor_id=actor.user_id, action="close_round_early", target_type="round",
                 target_id=item.id, place_id=scope.id, reason=reason)
    rounds = rounds_of(db, consultation.id)
    following = next((r for r in rounds if r.position == item.position + 1), None)
    if open_next and following is not None and round_state(following, now) == "upcoming":
        following.opens_at = now
        db.add(following)
    db.flush()
    if following is None or not _may_carry(db, item, following, now):
        return 0  # a vote round's ideas go on once its results are published
    return carry_forward(db, actor, item, now)


def _may_carry(db: Session, item: Round, following: Round, now: datetime) -> bool:
    try:
        check_round_action(db, item, "carry_from", now)
        check_round_action(db, following, "carry_into", now)
    except Conflict:
        return False
    return True


def extend_round(db: Session, actor: Actor, item: Round, *, closes_at: datetime | None,
                 reason: str, now: datetime) -> Round:
    """Give an open round more time, or reopen a closed one; a vote round only until its
    results are published (``ROUND_GUARDS``)."""
    consultation = get_consultation(db, item.consultation_id)
    scope = _manage(db, actor, consultation)
    check_round_action(db, item, "extend", now)
    reason = rules.clean_text(reason)
    errors: dict[str, Msg] = {}
    if problem := rules.reason_problem(reason):
        errors["reason"] = problem
    if closes_at is None or closes_at <= max(now, item.closes_at):
        errors["closes_at"] = Msg(N_("The new closing time must be later than the current one and in the future."))
    if errors:
        raise FieldErrors(errors)
    if item.carried_at is not None:
        raise Conflict(N_("This round's ideas have already been carried into the next round."))
    rounds = rounds_of(db, consultation.id)
    times = [(r.opens_at, closes_at if r.id == item.id else r.closes_at) for r in rounds]
    if problem := rules.schedule_problem(times):
        raise FieldErrors({"closes_at": problem})
    db.add(RoundChange(round_id=item.id, kind="extend", old_closes_at=item.closes_at,
                       new_closes_at=closes_at, reason=reason, at=now, by=actor.user_id))
    item.closes_at = closes_at
    item.extended = True
    item.closed_early_at = None
    db.add(item)
    audit.record(db, actor_id=actor.user_id, action="extend_round", target_type="round",
                 target_id=item.id, place_id=scope.id, reason=reason)
    db.flush()
    return item


def round_changes(db: Session, consultation_id: int) -> dict[int, list[RoundChange]]:
    rows = db.exec(select(RoundChange).join(Round, Round.id == RoundChange.round_id)
                   .where(Round.consultation_id == consultation_id).order_by(RoundChange.id)).all()
    changes: dict[int, list[RoundChange]] = {}
    for change in rows:
        changes.setdefault(change.round_id, []).append(change)
    return changes


def carry_forward(db: Session, actor: Actor | None, item: Round, now: datetime) -> int:
    """Hand the ideas a closed round ends with to the next round (see ``rules.carry_states``).

    After a collect round, an idea needs the round's ``supports_needed``. Ideas carried
    into a vote round tell their authors that voting opens. Returns how many were carried.
    """
    consultation = get_consultation(db, item.consultation_id)
    if actor is not None:
        _manage(db, actor, consultation)
    if round_state(item, now) != "closed":
        raise Conflict(N_("A round's ideas can be carried on only after it has closed."))
    if item.carried_at is not None:
        raise Conflict(N_("This round's ideas have already been carried into the next round."))
    following = db.exec(select(Round).where(Round.consultation_id == item.consultation_id,
                                            Round.position == item.position + 1)).first()
    if following is None:
        raise Conflict(N_("This is the last round; there is no round to carry ideas into."))
    check_round_action(db, item, "carry_from", now)
    check_round_action(db, following, "carry_into", now)
    states = rules.carry_states(item.kind, following.kind)
    query = select(Idea).where(Idea.current_round_id == item.id, Idea.state.in_(states))
    if item.kind == "collect" and (needed := int(item.settings.get("supports_needed") or 0)):
        query = query.where(Idea.support_count >= needed)
    ideas = list(db.exec(query.order_by(Idea.id)).all())
    ideas_changed(db, consultation.id)
    for idea in ideas:
        idea.current_round_id = following.id
        db.add(idea)
        db.add(IdeaRound(idea_id=idea.id, round_id=following.id, at=now))
        db.add(TimelineEntry(idea_id=idea.id, at=now, actor_role="system", action="carried",
                             round_id=following.id,
                             details={"round": following.position, "kind": following.kind}))
    if following.kind == "vote" and ideas:
        _tell_voting_opens(db, consultation, following, [i.id for i in ideas],
                           {i.author_id for i in ideas})
    item.carried_at = now
    db.add(item)
    audit.record(db, actor_id=actor.user_id if actor else None, action="carry_forward",
                 target_type="round", target_id=item.id, place_id=consultation.scope_place_id,
                 carried=len(ideas), into=following.id)
    db.flush()
    return len(ideas)


def _tell_voting_opens(db: Session, consultation: Consultation, vote_round: Round,
                       idea_ids: list[int], authors: set[int]) -> None:
    """The authors and the supporters of the ideas on the ballot hear that voting opens:
    one notification each, however many of those ideas they wrote or supported."""
    supporters = set(db.exec(select(Support.user_id).where(Support.idea_id.in_(idea_ids))).all())
    for user_id in sorted(authors | supporters):
        notifications.notify(db, user_id=user_id, kind="vote_opened",
                             params={"title": consultation.title},
                             link=f"/rounds/{vote_round.id}/vote")


@dataclass
class PipelineStep:
    round: Round
    state: str
    carried: int
    counts: dict[str, int]
    changes: list[RoundChange] = field(default_factory=list)


def pipeline(db: Session, consultation: Consultation, now: datetime) -> list[PipelineStep]:
    """Round by round: ideas carried, and what happened to them there (three queries)."""
    rounds = rounds_of(db, consultation.id)
    ids = [r.id for r in rounds]
    carried = dict(db.exec(select(IdeaRound.round_id, func.count()).where(
        IdeaRound.round_id.in_(ids)).group_by(IdeaRound.round_id)).all()) if ids else {}
    actions = {"submitted": "submitted", "shortlisted": "shortlisted", "merged": "merged",
               "rejected": "rejected", "withdrawn": "withdrawn"}
    rows = db.exec(select(TimelineEntry.round_id, TimelineEntry.action,
                          func.count(TimelineEntry.idea_id.distinct()))
                   .where(TimelineEntry.round_id.in_(ids), TimelineEntry.action.in_(actions))
                   .group_by(TimelineEntry.round_id, TimelineEntry.action)).all() if ids else []
    counts: dict[int, Counter] = {}
    for round_id, action, n in rows:
        counts.setdefault(round_id, Counter())[actions[action]] = n
    changes = round_changes(db, consultation.id)
    return [PipelineStep(round=r, state=round_state(r, now), carried=carried.get(r.id, 0),
                         counts={k: counts.get(r.id, Counter())[k] for k in rules.PIPELINE_COUNTS},
                         changes=changes.get(r.id, []))
            for r in rounds]


# -- ideas: reading -----------------------------------------------------------------------


def get_idea(db: Session, idea_id: int) -> Idea:
    idea = db.get(Idea, idea_id)
    if idea is None:
        raise NotFound()
    return idea


def visible_idea(db: Session, actor: Actor, idea_id: int) -> Idea:
    """A draft is its author's alone; everything else is public."""
    idea = get_idea(db, idea_id)
    if idea.state == "draft" and idea.author_id != actor.user_id:
        raise NotFound()
    return idea


def places_in_scope(db: Session, scope: Place) -> list[Place]:
    return list(db.exec(select(Place).where(Place.path.startswith(scope.path),
                                            Place.kind != "home")
                        .order_by(Place.path)).all())


def idea_place_choices(db: Session, actor: Actor, scope: Place) -> list[Place]:
    """Places an idea may be about, limited to where the actor may submit."""
    return [p for p in places_in_scope(db, scope)
            if permissions.allowed("submit_idea", actor, p.ids_from_root)
            or permissions.allowed("review_idea", actor, p.ids_from_root)]


def _area_of(place: Place) -> int | None:
    ids = place.ids_from_root
    return ids[1] if len(ids) > 1 else None


@dataclass
class IdeaRow:
    """One line of an idea list: the idea and what the list shows next to it."""

    idea: Idea
    category_name: str
    place_name: str
    photo_key: str | None = None
    comment_count: int = 0


@dataclass
class IdeaPage:
    rows: list[IdeaRow]
    total: int
    page: int
    pages: int


def _first_photos(db: Session, idea_ids: list[int]) -> dict[int, str]:
    if not idea_ids:
        return {}
    return dict(db.exec(select(IdeaPhoto.idea_id, IdeaPhoto.key).where(
        IdeaPhoto.idea_id.in_(idea_ids), IdeaPhoto.position == 0)).all())


def _rows(db: Session, results, with_comments: bool = True) -> list[IdeaRow]:
    rows = [IdeaRow(idea=i, category_name=c, place_name=p) for i, c, p in results]
    ids = [r.idea.id for r in rows]
    photos = _first_photos(db, ids)
    comments = dict(db.exec(select(Comment.idea_id, func.count()).where(
        Comment.idea_id.in_(ids), Comment.hidden_at.is_(None)).group_by(Comment.idea_id)).all()
    ) if ids and with_comments else {}
    for row in rows:
        row.photo_key = photos.get(row.idea.id)
        row.comment_count = comments.get(row.idea.id, 0)
    return rows


def _with_names():
    return (select(Idea, Category.name, Place.name)
            .join(Category, Category.id == Idea.category_id)
            .join(Place, Place.id == Idea.place_id))


#: a page number beyond any list: asking for it shows the last page
_LAST_PAGE = 1_000_000


def list_ideas(db: Session, consultation: Consultation, *, category_id=None, state=None,
               place_id=None, sort: str = "newest", page=1, per_page: int = PER_PAGE) -> IdeaPage:
    """A page of the public idea list with filters: one statement however many ideas
    (three when the page asked for lies past the end: a count, then the last page)."""
    params = {"cid": consultation.id, "per_page": per_page}
    if (category := _int(category_id)) is not None:
        params["category"] = category
    if state in rules.IDEA_STATES and state != "draft":
        params["state"] = state
    if (place := _int(place_id)) is not None:
        params["place"] = place
    page_select, count_select = _list_statements(
        sort == "supported", "category" in params, "state" in params, "place" in params)

    def rows_of(number: int) -> list:
        return db.execute(page_select, {**params, "skip": (number - 1) * per_page}).all()

    page = min(max(_int(page) or 1, 1), _LAST_PAGE)
    results = rows_of(page)
    if results:
        total = results[0].total
    elif page == 1:
        total = 0
    else:  # past the end: show the last page, as the pager's links would
        total = db.execute(count_select, params).scalar_one()
        page = max(1, -(-total // per_page))
        results = rows_of(page) if total else []
    rows = [IdeaRow(idea=r[0], category_name=r.category_name, place_name=r.place_name,
                    photo_key=r.photo_key, comment_count=r.comment_count) for r in results]
    return IdeaPage(rows=rows, total=total, page=page, pages=max(1, -(-total // per_page)))


@lru_cache(maxsize=16)
def _list_statements(by_support: bool, by_category: bool, by_state: bool, by_place: bool):
    """The statements of one kind of list page, built once (building them took longer
    than running them); values come as parameters: cid, category, state, place,
    skip and per_page.

    The page statement picks the page's ids first from the ideas' own columns (an
    index serves each order), then looks up names, first photo and comment count for
    those rows only; on each row, ``total`` counts every match (an uncorrelated
    subquery, computed once). The count statement is for a page past the end.
    """
    conditions = [Idea.consultation_id == bindparam("cid"), Idea.state != "draft"]
    if by_category:
        conditions.append(Idea.category_id == bindparam("category"))
    if by_state:
        conditions.append(Idea.state == bindparam("state"))
    if by_place:
        place_path = select(Place.path).where(Place.id == bindparam("place")).scalar_subquery()
        conditions.append(Idea.place_id.in_(select(Place.id).where(Place.path.startswith(place_path))))
    order = ((Idea.support_count.desc(), Idea.id.desc()) if by_support
             else (Idea.submitted_at.desc(), Idea.id.desc()))
    ids = (select(Idea.id).where(*conditions).order_by(*order)
           .offset(bindparam("skip")).limit(bindparam("per_page")).correlate(None))
    count = select(func.count()).select_from(Idea).where(*conditions)
    photo = (select(IdeaPhoto.key).where(IdeaPhoto.idea_id == Idea.id, IdeaPhoto.position == 0)
             .limit(1).scalar_subquery())
    comments = (select(func.count()).select_from(Comment)
                .where(Comment.idea_id == Idea.id, Comment.hidden_at.is_(None)).scalar_subquery())
    page = (select(Idea, Category.name.label("category_name"), Place.name.label("place_name"),
                   photo.label("photo_key"), comments.label("comment_count"),
                   count.correlate(None).scalar_subquery().label("total"))
            .select_from(Idea)
            .join(Category, Category.id == Idea.category_id)
            .join(Place, Place.id == Idea.place_id)
            .where(Idea.id.in_(ids)).order_by(*order))
    return page, count


@dataclass(frozen=True)
class ListMenus:
    """What the idea list's filter form offers, as light rows (plain values)."""

    scope: tuple  # (id, kind, name, path) of the consultation's scope
    categories: list  # (id, name)
    places: list  # (id, name)


def list_menus(db: Session, consultation, chosen_place=None) -> ListMenus:
    """The filter form's menus (three or four small statements, built once).

    Places: the building groups of an area's consultation; for the whole sub-district
    its areas, plus the building groups of the chosen area (or of the chosen group's
    area), so the menu stays short.
    """
    statements = _menu_statements()
    scope = db.execute(statements["scope"], {"scope_id": consultation.scope_place_id}).one()
    categories = db.execute(statements["categories"], {"cid": consultation.id}).all()
    inside = {"scope_path": scope.path, "scope_id": scope.id}
    if scope.kind != "subdistrict":
        places = db.execute(statements["groups"], inside).all()
    else:
        chosen = _int(chosen_place)
        path = db.execute(statements["path"], {"place_id": chosen}).scalar() \
            if chosen is not None else None
        ids = path.strip("/").split("/") if path else []
        if len(ids) > 1:
            area_path = f"/{ids[0]}/{ids[1]}/"
            places = db.execute(statements["areas_and_groups"],
                                {**inside, "area_path": area_path}).all()
        else:
            places = db.execute(statements["areas"], inside).all()
    return ListMenus(scope=scope, categories=categories, places=places)


@lru_cache(maxsize=1)
def _menu_statements() -> dict:
    inside = and_(Place.path.startswith(bindparam("scope_path")), Place.id != bindparam("scope_id"))
    places = select(Place.id, Place.name).order_by(Place.path)
    return {
        "scope": select(Place.id, Place.kind, Place.name, Place.path)
        .where(Place.id == bindparam("scope_id")),
        "categories": select(Category.id, Category.name)
        .where(Category.consultation_id == bindparam("cid"))
        .order_by(Category.position, Category.id),
        "path": select(Place.path).where(Place.id == bindparam("place_id")),
        "groups": places.where(inside, Place.kind == "building_group"),
        "areas": places.where(inside, Place.kind == "area"),
        "areas_and_groups": places.where(inside, or_(
            Place.kind == "area",
            and_(Place.kind == "building_group", Place.path.startswith(bindparam("area_path"))))),
    }


def my_ideas(db: Session, user: User) -> list[tuple[IdeaRow, Consultation]]:
    results = db.exec(_with_names().add_columns(Consultation)
                      .join(Consultation, Consultation.id == Idea.consultation_id)
                      .where(Idea.author_id == user.id).order_by(Idea.id.desc())).all()
    rows = _rows(db, [(i, c, p) for i, c, p, _ in results], with_comments=False)
    return [(row, consultation) for row, (_, _, _, consultation) in zip(rows, results, strict=True)]


def similar_ideas(db: Session, consultation_id: int, title: str, *,
                  exclude: int | None = None, limit: int = 5) -> list[Idea]:
    """Ideas in the running whose titles resemble ``title``: offered to cut duplicates."""
    title = rules.clean_text(title)
    if not title:
        return []
    candidates = db.exec(select(Idea.id, Idea.title).where(
        Idea.consultation_id == consultation_id, Idea.state.in_(rules.ACTIVE | {"selected"}))).all()
    ids = rules.similar_titles(title, candidates, exclude=exclude, limit=limit)
    if not ids:
        return []
    found = {i.id: i for i in db.exec(select(Idea).where(Idea.id.in_(ids))).all()}
    return [found[i] for i in ids]


@dataclass
class CommentView:
    comment: Comment
    author_name: str
    replies: list[CommentView] = field(default_factory=list)
    report_count: int = 0


@dataclass
class IdeaDetail:
    idea: Idea
    consultation: Consultation
    category: Category
    place: Place
    author: User
    current_round: Round | None
    round_state: str | None
    photos: list[IdeaPhoto]
    timeline: list[TimelineEntry]
    versions: list[IdeaVersion]
    comments: list[CommentView]
    merged_into: Idea | None
    merged_from: list[tuple[Idea, str]]
    supported: bool


def idea_detail(db: Session, idea: Idea, user: User | None, now: datetime) -> IdeaDetail:
    consultation = db.get(Consultation, idea.consultation_id)
    current = db.get(Round, idea.current_round_id) if idea.current_round_id else None
    comments = db.exec(select(Comment, User.display_name).join(User, User.id == Comment.author_id)
                       .where(Comment.idea_id == idea.id).order_by(Comment.id)).all()
    reports = dict(db.exec(select(CommentReport.comment_id, func.count()).join(
        Comment, Comment.id == CommentReport.comment_id).where(Comment.idea_id == idea.id)
        .group_by(CommentReport.comment_id)).all())
    tops: dict[int, CommentView] = {}
    ordered: list[CommentView] = []
    for comment, name in comments:
        view = CommentView(comment=comment, author_name=name, report_count=reports.get(comment.id, 0))
        if comment.parent_id is None:
            tops[comment.id] = view
            ordered.append(view)
        elif comment.parent_id in tops:
            tops[comment.parent_id].replies.append(view)
    merged_from = db.exec(select(Idea, User.display_name).join(User, User.id == Idea.author_id)
                          .where(Idea.merged_into_id == idea.id).order_by(Idea.id)).all()
    supported = bool(user and db.exec(select(Support.id).where(
        Support.idea_id == idea.id, Support.user_id == user.id)).first())
    return IdeaDetail(
        idea=idea, consultation=consultation, category=db.get(Category, idea.category_id),
        place=db.get(Place, idea.place_id), author=db.get(User, idea.author_id),
        current_round=current, round_state=round_state(current, now) if current else None,
        photos=photos_of(db, idea.id), timeline=timeline(db, idea.id),
        versions=versions(db, idea.id), comments=ordered,
        merged_into=db.get(Idea, idea.merged_into_id) if idea.merged_into_id else None,
        merged_from=list(merged_from), supported=supported,
    )


def photos_of(db: Session, idea_id: int) -> list[IdeaPhoto]:
    return list(db.exec(select(IdeaPhoto).where(IdeaPhoto.idea_id == idea_id)
                        .order_by(IdeaPhoto.position)).all())


def timeline(db: Session, idea_id: int) -> list[TimelineEntry]:
    return list(db.exec(select(TimelineEntry).where(TimelineEntry.idea_id == idea_id)
                        .order_by(TimelineEntry.at, TimelineEntry.id)).all())


def versions(db: Session, idea_id: int) -> list[IdeaVersion]:
    return list(db.exec(select(IdeaVersion).where(IdeaVersion.idea_id == idea_id)
                        .order_by(IdeaVersion.number)).all())


DIFF_FIELDS = ("title", "description", "category", "place", "estimated_cost", "photos")
DIFF_LABELS = {
    "title": N_("Title"), "description": N_("Description"), "category": N_("Category"),
    "place": N_("Place"), "estimated_cost": N_("Estimated cost (yuan)"),
    "photos": N_("Number of photos"),
}


def _version_fields(version: IdeaVersion) -> dict:
    return {"title": version.title, "description": version.description,
            "category": version.category_name, "place": version.place_name,
            "estimated_cost": rules.format_yuan(version.estimated_cost_fen),
            "photos": len(version.photo_keys)}


def diff_versions(db: Session, idea: Idea, old: int, new: int) -> list[FieldDiff]:
    """What changed between two versions (any two, in either order)."""
    found = {v.number: v for v in db.exec(select(IdeaVersion).where(
        IdeaVersion.idea_id == idea.id, IdeaVersion.number.in_([old, new]))).all()}
    if old not in found or new not in found:
        raise NotFound()
    return diff_fields(_version_fields(found[old]), _version_fields(found[new]), DIFF_FIELDS)


# -- ideas: writing -----------------------------------------------------------------------


def _current(db: Session, idea: Idea, now: datetime) -> tuple[str | None, str | None]:
    current = db.get(Round, idea.current_round_id) if idea.current_round_id else None
    return (current.kind, round_state(current, now)) if current else (None, None)


def _staff_role(actor: Actor, path: tuple[int, ...]) -> str:
    return "admin" if actor.holds({"admin"}, path) else "moderator"


def _process_photos(photos: list[bytes]) -> list:
    processed = []
    for data in photos:
        try:
            processed.append(process_upload(data))
        except ImageError as exc:
            raise FieldErrors({"photos": photo_message(exc)}) from None
    return processed


def _idea_values(db: Session, consultation: Consultation, *, title, description, category_id,
                 place_id, estimated_cost) -> dict:
    title, description = rules.clean_text(title), rules.clean_text(description)
    category = find(db, Category, category_id)
    category_ok = category is not None and category.consultation_id == consultation.id
    place = find(db, Place, place_id)
    scope = scope_of(db, consultation)
    place_ok = place is not None and place.path.startswith(scope.path) and place.kind != "home"
    cost_fen, cost_problem = rules.parse_money(rules.clean_text(estimated_cost))
    errors = rules.idea_problems(title, description, category_ok, place_ok, cost_problem)
    if errors:
        raise FieldErrors(errors)
    return {"title": title, "description": description, "category": category, "place": place,
            "estimated_cost_fen": cost_fen}


def _store_photos(db: Session, idea: Idea, processed: list, media_dir: Path,
                  start: int) -> None:
    for offset, image in enumerate(processed):
        key = store(image, media_dir)
        db.add(IdeaPhoto(idea_id=idea.id, key=key, position=start + offset, width=image.width,
                         height=image.height))


def create_draft(db: Session, actor: Actor, user: User, consultation: Consultation, *,
                 title: str, description: str, category_id, place_id, estimated_cost: str = "",
                 photos: list[bytes] = (), media_dir: Path, now: datetime) -> Idea:
    """A new idea starts as the author's private draft; submitting it makes it public."""
    values = _idea_values(db, consultation, title=title, description=description,
                          category_id=category_id, place_id=place_id, estimated_cost=estimated_cost)
    place = values["place"]
    if not permissions.allowed("submit_idea", actor, place.ids_from_root):
        raise Forbidden(N_("Only verified residents of this area can submit ideas here."))
    if open_round(rounds_of(db, consultation.id), now, "collect") is None:
        raise Conflict(N_("Ideas can only be submitted while a collection round is open."))
    if len(photos) > rules.MAX_PHOTOS:
        raise FieldErrors({"photos": Msg(N_("At most %(max)s photos."), {"max": rules.MAX_PHOTOS})})
    processed = _process_photos(list(photos))
    idea = Idea(consultation_id=consultation.id, author_id=user.id, title=values["title"],
                description=values["description"], category_id=values["category"].id,
                place_id=place.id, area_id=_area_of(place),
                estimated_cost_fen=values["estimated_cost_fen"], state="draft",
                created_at=now, updated_at=now)
    db.add(idea)
    db.flush()
    _store_photos(db, idea, processed, media_dir, 0)
    db.flush()
    return idea


def _snapshot(db: Session, idea: Idea, *, by: Actor, by_moderator: bool, now: datetime) -> IdeaVersion:
    category = db.get(Category, idea.category_id)
    place = db.get(Place, idea.place_id)
    idea.version += 1
    version = IdeaVersion(
        idea_id=idea.id, number=idea.version, title=idea.title, description=idea.description,
        category_name=category.name, place_name=place.name,
        estimated_cost_fen=idea.estimated_cost_fen,
        photo_keys=[p.key for p in photos_of(db, idea.id)], round_id=idea.current_round_id,
        created_at=now, created_by=by.user_id, author_is_moderator=by_moderator)
    db.add(version)
    db.add(idea)
    return version


def submit_idea(db: Session, actor: Actor, idea: Idea, now: datetime) -> Idea:
    if idea.author_id != actor.user_id:
        raise Forbidden()
    place = db.get(Place, idea.place_id)
    if not permissions.allowed("submit_idea", actor, place.ids_from_root):
        raise Forbidden(N_("Only verified residents of this area can submit ideas here."))
    if problem := rules.transition_problem(idea.state, "submit"):
        raise Conflict(problem)
    collect = open_round(rounds_of(db, idea.consultation_id), now, "collect")
    submitted = db.exec(select(func.count()).select_from(Idea).where(
        Idea.consultation_id == idea.consultation_id, Idea.author_id == idea.author_id,
        Idea.state.notin_(("draft", "withdrawn")))).one()
    limit = int((collect.settings if collect else {}).get("ideas_per_resident") or 0)
    if problem := rules.submit_problem(collect is not None, submitted, limit):
        raise Conflict(problem)
    ideas_changed(db, idea.consultation_id)
    idea.state = "submitted"
    idea.submitted_at = idea.updated_at = now
    idea.current_round_id = collect.id
    db.add(IdeaRound(idea_id=idea.id, round_id=collect.id, at=now))
    db.flush()
    _snapshot(db, idea, by=actor, by_moderator=False, now=now)
    db.add(TimelineEntry(idea_id=idea.id, at=now, actor_id=actor.user_id, actor_role="author",
                         action="submitted", round_id=collect.id))
    db.flush()
    return idea


def update_idea(db: Session, actor: Actor, idea: Idea, *, title: str, description: str,
                category_id, place_id, estimated_cost: str = "", photos: list[bytes] = (),
                remove_photos: list[int] = (), media_dir: Path, now: datetime) -> Idea:
    """Edit an idea. After submission every edit is a new immutable version; an edit in
    answer to a revision request sends the idea back for review."""
    consultation = get_consultation(db, idea.consultation_id)
    is_author = idea.author_id == actor.user_id
    old_place = db.get(Place, idea.place_id)
    by_moderator = not is_author
    if by_moderator and not permissions.allowed("review_idea", actor, old_place.ids_from_root):
        raise Forbidden()
    kind, state = _current(db, idea, now)
    if problem := rules.edit_problem(idea.state, kind, state, by_moderator):
        raise Conflict(problem)
    values = _idea_values(db, consultation, title=title, description=description,
                          category_id=category_id, place_id=place_id, estimated_cost=estimated_cost)
    place = values["place"]
    if is_author and not permissions.allowed("submit_idea", actor, place.ids_from_root):
        raise FieldErrors({"place_id": Msg(N_("Please choose a place within this consultation's area."))})
    if by_moderator and not permissions.allowed("review_idea", actor, place.ids_from_root):
        raise FieldErrors({"place_id": Msg(N_(
            "You can only move an idea to a place you moderate. Ask a moderator of the other "
            "place or of the sub-district to move it."))})
    existing = photos_of(db, idea.id)
    remove = {int(p) for p in remove_photos if _int(p) is not None}
    kept = [p for p in existing if p.id not in remove]
    if len(kept) + len(photos) > rules.MAX_PHOTOS:
        raise FieldErrors({"photos": Msg(N_("At most %(max)s photos."), {"max": rules.MAX_PHOTOS})})
    processed = _process_photos(list(photos))
    changed = (values["title"] != idea.title or values["description"] != idea.description
               or values["category"].id != idea.category_id or place.id != idea.place_id
               or values["estimated_cost_fen"] != idea.estimated_cost_fen
               or bool(processed) or len(kept) != len(existing))
    if not changed:
        return idea
    ideas_changed(db, idea.consultation_id)
    idea.title, idea.description = values["title"], values["description"]
    idea.category_id, idea.place_id, idea.area_id = values["category"].id, place.id, _area_of(place)
    idea.estimated_cost_fen = values["estimated_cost_fen"]
    idea.updated_at = now
    for photo in existing:
        db.delete(photo)
    db.flush()
    for position, photo in enumerate(kept):
        db.add(IdeaPhoto(idea_id=idea.id, key=photo.key, position=position, width=photo.width,
                         height=photo.height))
    _store_photos(db, idea, processed, media_dir, len(kept))
    db.flush()
    if idea.state == "draft":
        db.add(idea)
        return idea
    revising = is_author and idea.state == "revision_requested"
    if revising:
        idea.state, idea.state_note = "submitted", None
    version = _snapshot(db, idea, by=actor, by_moderator=by_moderator, now=now)
    role = _staff_role(actor, place.ids_from_root) if by_moderator else "author"
    db.add(TimelineEntry(idea_id=idea.id, at=now, actor_id=actor.user_id, actor_role=role,
                         action="revised" if revising else "edited", round_id=idea.current_round_id,
                         details={"version": version.number}))
    if by_moderator:
        audit.record(db, actor_id=actor.user_id, action="edit_idea", target_type="idea",
                     target_id=idea.id, place_id=place.id, version=version.number)
    db.flush()
    return idea


def withdraw_idea(db: Session, actor: Actor, idea: Idea, now: datetime) -> Idea:
    if idea.author_id != actor.user_id:
        raise Forbidden()
    kind, _ = _current(db, idea, now)
    if problem := rules.withdraw_problem(idea.state, kind):
        raise Conflict(problem)
    was_draft = idea.state == "draft"
    ideas_changed(db, idea.consultation_id)
    idea.state, idea.updated_at = "withdrawn", now
    db.add(idea)
    if not was_draft:
        db.add(TimelineEntry(idea_id=idea.id, at=now, actor_id=actor.user_id, actor_role="author",
                             action="withdrawn", round_id=idea.current_round_id))
    db.flush()
    return idea


# -- supports and comments ----------------------------------------------------------------


def _refresh_support_count(db: Session, idea: Idea) -> None:
    idea.support_count = db.exec(select(func.count()).select_from(Support)
                                 .where(Support.idea_id == idea.id)).one()
    db.add(idea)


def support_idea(db: Session, actor: Actor, idea: Idea, now: datetime) -> Idea:
    """Add the actor's support; supporting twice still leaves one (a UNIQUE constraint)."""
    place = db.get(Place, idea.place_id)
    if not permissions.allowed("support_idea", actor, place.ids_from_root):
        raise Forbidden(N_("Only verified residents of this area can support ideas here."))
    if idea.author_id == actor.user_id:
        raise Conflict(N_("You cannot support your own idea."))
    kind, state = _current(db, idea, now)
    if problem := rules.support_problem(idea.state, kind, state):
        raise Conflict(problem)
    ideas_changed(db, idea.consultation_id)
    try:
        with db.begin_nested():
            db.add(Support(idea_id=idea.id, user_id=actor.user_id, created_at=now))
    except IntegrityError:
        pass  # already supported: the constraint keeps it to one
    _refresh_support_count(db, idea)
    db.flush()
    return idea


def unsupport_idea(db: Session, actor: Actor, idea: Idea, now: datetime) -> Idea:
    if not actor.authenticated:
        raise Forbidden()
    kind, state = _current(db, idea, now)
    if problem := rules.support_problem(idea.state, kind, state):
        raise Conflict(problem)
    ideas_changed(db, idea.consultation_id)
    db.exec(delete(Support).where(Support.idea_id == idea.id, Support.user_id == actor.user_id))
    _refresh_support_count(db, idea)
    db.flush()
    return idea


def add_comment(db: Session, actor: Actor, idea: Idea, *, body: str, parent_id=None,
                now: datetime) -> Comment:
    place = db.get(Place, idea.place_id)
    path = place.ids_from_root
    if idea.state == "draft" or not permissions.allowed("comment", actor, path):
        raise Forbidden(N_("Only verified residents, experts and staff of this area can comment here."))
    body = rules.clean_text(body)
    if problem := rules.comment_problem(body):
        raise FieldErrors({"body": problem})
    parent = None
    if parent_id not in (None, ""):
        parent = find(db, Comment, parent_id)
        if parent is None or parent.idea_id != idea.id or parent.parent_id is not None:
            raise FieldErrors({"body": Msg(N_("You can only reply to a comment on this idea."))})
    is_expert = actor.holds({"expert"}, path) and permissions.allowed("advise_idea", actor, path)
    ideas_changed(db, idea.consultation_id)  # the lists show comment counts
    comment = Comment(idea_id=idea.id, author_id=actor.user_id, parent_id=parent.id if parent else None,
                      body=body, is_expert=is_expert, created_at=now)
    db.add(comment)
    if is_expert:
        db.add(TimelineEntry(idea_id=idea.id, at=now, actor_id=actor.user_id, actor_role="expert",
                             action="advice", round_id=idea.current_round_id))
    db.flush()
    return comment


def report_comment(db: Session, actor: Actor, comment_id: int, *, reason: str, now: datetime) -> Comment:
    comment = db.get(Comment, comment_id)
    if comment is None:
        raise NotFound()
    if not permissions.allowed("report_comment", actor, ()):
        raise Forbidden()
    reason = rules.clean_text(reason)
    if len(reason) > 200:
        raise FieldErrors({"reason": Msg(N_("This can have at most %(max)s characters."), {"max": 200})})
    try:
        with db.begin_nested():
            db.add(CommentReport(comment_id=comment.id, user_id=actor.user_id, reason=reason,
                                 created_at=now))
    except IntegrityError:
        pass  # reported before: once is enough
    return comment


def _moderated_comment(db: Session, actor: Actor, comment_id: int) -> tuple[Comment, Idea, Place]:
    """A comment a moderator of its idea's place may hide or show again."""
    comment = db.get(Comment, comment_id)
    if comment is None:
        raise NotFound()
    idea = db.get(Idea, comment.idea_id)
    place = db.get(Place, idea.place_id)
    communities.check_decision("hide_comment", actor, place.ids_from_root, comment.author_id,
                               OWN_COMMENT)
    return comment, idea, place


def hide_comment(db: Session, actor: Actor, comment_id: int, *, reason: str, now: datetime) -> Comment:
    comment, idea, place = _moderated_comment(db, actor, comment_id)
    reason = rules.clean_text(reason)
    if problem := rules.reason_problem(reason):
        raise FieldErrors({"reason": problem})
    if len(reason) > 200:
        raise FieldErrors({"reason": Msg(N_("This can have at most %(max)s characters."), {"max": 200})})
    if comment.hidden_at is not None:
        raise Conflict(N_("This comment is already hidden."))
    ideas_changed(db, idea.consultation_id)
    comment.hidden_at, comment.hidden_reason, comment.hidden_by = now, reason, actor.user_id
    db.add(comment)
    audit.record(db, actor_id=actor.user_id, action="hide_comment", target_type="comment",
                 target_id=comment.id, place_id=place.id, reason=reason, idea_id=idea.id,
                 body=comment.body)
    db.flush()
    return comment


def unhide_comment(db: Session, actor: Actor, comment_id: int, *, now: datetime) -> Comment:
    """Show a hidden comment again (hidden by mistake, or the matter was cleared up); the
    audit log keeps when it was hidden, by whom and why."""
    comment, idea, place = _moderated_comment(db, actor, comment_id)
    if comment.hidden_at is None:
        raise Conflict(N_("This comment is not hidden."))
    audit.record(db, actor_id=actor.user_id, action="unhide_comment", target_type="comment",
                 target_id=comment.id, place_id=place.id, idea_id=idea.id,
                 hidden_reason=comment.hidden_reason, hidden_by=comment.hidden_by,
                 hidden_at=comment.hidden_at.isoformat())
    ideas_changed(db, idea.consultation_id)
    comment.hidden_at = comment.hidden_reason = comment.hidden_by = None
    db.add(comment)
    db.flush()
    return comment


# -- review -------------------------------------------------------------------------------


def _notify_review(db: Session, idea: Idea, action: str, note: str, target: Idea | None) -> None:
    link = f"/ideas/{idea.id}"
    if action == "shortlist":
        notifications.notify(db, user_id=idea.author_id, kind="idea_shortlisted",
                             params={"title": idea.title}, link=link)
    elif action == "request_revision":
        notifications.notify(db, user_id=idea.author_id, kind="idea_revision_requested",
                             params={"title": idea.title, "note": note}, link=link)
    elif action == "merge":
        notifications.notify(db, user_id=idea.author_id, kind="idea_merged",
                             params={"title": idea.title, "target": target.title},
                             link=f"/ideas/{target.id}")
    elif action == "reject":
        notifications.notify(db, user_id=idea.author_id, kind="idea_rejected",
                             params={"title": idea.title, "reason": note}, link=link)


def _merge_supports(db: Session, source: Idea, target: Idea, now: datetime) -> None:
    """Supports of ``source`` (and its author) join ``target``, nobody twice, never its author."""
    other = aliased(Support)
    already = exists().where(other.idea_id == target.id, other.user_id == Support.user_id)
    db.exec(insert(Support).from_select(
        ["idea_id", "user_id", "created_at"],
        select(literal(target.id), Support.user_id, Support.created_at).where(
            Support.idea_id == source.id, Support.user_id != target.author_id, ~already),
    ))
    if source.author_id != target.author_id:
        try:
            with db.begin_nested():
                db.add(Support(idea_id=target.id, user_id=source.author_id, created_at=now))
        except IntegrityError:
            pass
    _refresh_support_count(db, target)


OWN_IDEA = N_("This is your own idea, so another moderator of this area or of the "
              "sub-district reviews it. It stays in the review queue for them.")
OWN_MERGE_TARGET = N_("That idea is your own, so another moderator of this area or of the "
                      "sub-district decides whether ideas are merged into it.")
OWN_COMMENT = N_("This is your own comment, so another moderator of this area or of the "
                 "sub-district decides whether it is hidden or shown.")


def review_idea(db: Session, actor: Actor, idea: Idea, action: str, *, note: str = "",
                target_id=None, now: datetime) -> Idea:
    """Shortlist, request a revision, merge, reject or restore one idea, on its public timeline.

    Never the reviewer's own idea, nor a merge into it: another moderator decides those."""
    place = db.get(Place, idea.place_id)
    path = place.ids_from_root
    communities.check_decision("review_idea", actor, path, idea.author_id, OWN_IDEA)
    kind, state = _current(db, idea, now)
    if problem := rules.review_problem(action, idea.state, kind, state):
        raise Conflict(problem)
    note = rules.clean_text(note)
    required = action in ("reject", "request_revision")
    if problem := rules.reason_problem(note, required=required):
        raise FieldErrors({"note": problem})
    target = None
    if action == "merge":
        target = find(db, Idea, target_id)
        if (target is None or target.id == idea.id or target.consultation_id != idea.consultation_id
                or target.state not in rules.ACTIVE):
            raise FieldErrors({"target_id": Msg(N_("Please choose another idea of this consultation that is still in the running."))})
        target_place = db.get(Place, target.place_id)
        communities.check_decision("review_idea", actor, target_place.ids_from_root,
                                   target.author_id, OWN_MERGE_TARGET)
    ideas_changed(db, idea.consultation_id)
    idea.state = rules.next_state(idea.state, action)
    idea.state_note = note or None
    idea.updated_at = now
    role = _staff_role(actor, path)
    timeline_action = {"shortlist": "shortlisted", "merge": "merged", "reject": "rejected",
                       "restore": "restored", "request_revision": "request_revision"}[action]
    details = {"target": target.title, "target_id": target.id} if target else {}
    if target is not None:
        idea.merged_into_id = target.id
        _merge_supports(db, idea, target, now)
        db.add(TimelineEntry(idea_id=target.id, at=now, actor_id=actor.user_id, actor_role=role,
                             action="merged_in", note=note or None, round_id=target.current_round_id,
                             details={"source": idea.title, "source_id": idea.id}))
    if action == "restore":
        idea.merged_into_id = None
    db.add(idea)
    db.add(TimelineEntry(idea_id=idea.id, at=now, actor_id=actor.user_id, actor_role=role,
                         action=timeline_action, note=note or None, round_id=idea.current_round_id,
                         details=details))
    audit.record(db, actor_id=actor.user_id, action=f"idea_{action}", target_type="idea",
                 target_id=idea.id, place_id=place.id, reason=note or None,
                 merged_into=target.id if target else None)
    _notify_review(db, idea, action, note, target)
    db.flush()
    return idea


def bulk_review(db: Session, actor: Actor, consultation: Consultation, idea_ids: list,
                action: str, *, note: str = "", now: datetime) -> int:
    """The same decision for several ideas: all of them, or none when one cannot be done."""
    if action not in ("shortlist", "request_revision", "reject"):
        raise FieldErrors({"action": Msg(N_("Please choose an action."))})
    ids = sorted({i for i in (_int(x) for x in idea_ids) if i is not None})
    if not ids:
        raise FieldErrors({"ideas": Msg(N_("Please tick at least one idea."))})
    ideas = list(db.exec(select(Idea).where(Idea.id.in_(ids),
                                            Idea.consultation_id == consultation.id)).all())
    if len(ideas) != len(ids):
        raise NotFound()
    note = rules.clean_text(note)
    if problem := rules.reason_problem(note, required=action != "shortlist"):
        raise FieldErrors({"note": problem})
    rounds = {r.id: r for r in rounds_of(db, consultation.id)}
    place_paths = dict(db.exec(select(Place.id, Place.path).where(
        Place.id.in_({i.place_id for i in ideas}))).all())
    failed = []
    for idea in ideas:
        path = tuple(int(x) for x in place_paths[idea.place_id].strip("/").split("/"))
        communities.check_decision("review_idea", actor, path, idea.author_id, OWN_IDEA)
        current = rounds.get(idea.current_round_id)
        if rules.review_problem(action, idea.state, current.kind if current else None,
                                round_state(current, now) if current else None):
            failed.append(idea)
    if failed:
        raise Conflict(Msg(N_("Nothing was changed: these ideas cannot take that action now: %(ids)s"),
                           {"ids": ", ".join(f"#{i.id}" for i in failed)}))
    for idea in ideas:
        review_idea(db, actor, idea, action, note=note, now=now)
    return len(ideas)


def review_queue(db: Session, actor: Actor, consultation: Consultation,
                 states: tuple[str, ...] = ("submitted", "revision_requested", "shortlisted"),
                 limit: int = 200) -> list[IdeaRow]:
    """Ideas awaiting a decision, limited to the places the actor reviews."""
    places = [p for p in _staff_places(db, actor)]
    if not places:
        return []
    inside = or_(*(Place.path.startswith(p.path) for p in places))
    results = db.exec(_with_names().where(Idea.consultation_id == consultation.id,
                                          Idea.state.in_(states), inside)
                      .order_by(Idea.state, Idea.id).limit(limit)).all()
    return _rows(db, results)


def _staff_places(db: Session, actor: Actor) -> list[Place]:
    ids = [place for role, place in actor.roles if role in permissions.STAFF]
    if not ids:
        return []
    return list(db.exec(select(Place).where(Place.id.in_(ids))).all())


def may_review_in(db: Session, actor: Actor, consultation: Consultation) -> bool:
    """Does the actor review ideas somewhere inside (or above) the consultation's scope?"""
    scope = scope_of(db, consultation)
    return any(p.path.startswith(scope.path) or scope.path.startswith(p.path)
               for p in _staff_places(db, actor))


def reported_comments(db: Session, actor: Actor, consultation: Consultation) -> list[tuple]:
    """Visible comments someone reported, in the places the actor moderates."""
    places = _staff_places(db, actor)
    if not places:
        return []
    inside = or_(*(Place.path.startswith(p.path) for p in places))
    return list(db.exec(
        select(Comment, Idea, func.count(CommentReport.id))
        .join(CommentReport, CommentReport.comment_id == Comment.id)
        .join(Idea, Idea.id == Comment.idea_id).join(Place, Place.id == Idea.place_id)
        .where(Idea.consultation_id == consultation.id, Comment.hidden_at.is_(None), inside)
        .group_by(Comment.id, Idea.id).order_by(Comment.id)).all())


# -- rounds for the voting domain --------------------------------------------------------


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
                      support_count=i.support_count, state=i.state)
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
    db.flush()


# -- committee figures and exports --------------------------------------------------------


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
