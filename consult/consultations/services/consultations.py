"""Running consultations: who may run one where, creating and editing it, and the
overview page's list (the consultation itself; its rounds are in :mod:`.rounds`), and a
consultation whose vote was held elsewhere, written for the voting domain's import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock, permissions
from consult.audit import services as audit
from consult.communities.models import Place
from consult.consultations import rules
from consult.consultations.models import Category, Consultation, Idea, IdeaRound, Round
from consult.consultations.services.authoring import _area_of
from consult.consultations.services.common import (
    categories_of,
    ideas_changed,
    open_round,
    rounds_of,
    scope_of,
)
from consult.consultations.services.rounds import check_round_action
from consult.db.ids import find
from consult.errors import Conflict, FieldErrors, Forbidden
from consult.i18n import N_, Msg
from consult.permissions import Actor


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


@dataclass(frozen=True)
class HeldVote:
    """What :func:`create_held_vote` wrote: the consultation, its one vote round and the
    ideas' ids, in the order they were given."""

    consultation: Consultation
    round: Round
    idea_ids: list[int]


def create_held_vote(db: Session, *, scope: Place, title: str, year: int, budget_fen: int | None,
                     description: str, category_name: str, round_title: str, opens_at: datetime,
                     closes_at: datetime, author_id: int,
                     ideas: Sequence[tuple[str, str, int | None]], now: datetime) -> HeldVote:
    """A consultation whose vote was held elsewhere (voting's open-data import): one
    category, one vote round, and the ``ideas`` (title, description, estimated cost in
    fen) shortlisted in that round.

    These are this domain's tables, so the rows are written here rather than by the
    importer; they go in bulk, since a file may hold thousands of projects. The caller
    adds the round's settings and ballots and audits the import; it checks no
    permission, as the import is a command run by whoever runs the server.
    """
    consultation = Consultation(title=title, year=year, scope_place_id=scope.id,
                                budget_fen=budget_fen, created_at=now, description=description)
    db.add(consultation)
    db.flush()
    category = Category(consultation_id=consultation.id, name=category_name, position=0)
    item = Round(consultation_id=consultation.id, position=1, kind="vote", title=round_title,
                 opens_at=opens_at, closes_at=closes_at, settings={})
    db.add_all([category, item])
    db.flush()
    area_id = _area_of(scope)
    rows = [{
        "consultation_id": consultation.id, "author_id": author_id, "title": idea_title,
        "description": idea_description, "category_id": category.id, "place_id": scope.id,
        "area_id": area_id, "estimated_cost_fen": cost, "state": "shortlisted",
        "current_round_id": item.id, "support_count": 0, "version": 0,
        "created_at": now, "updated_at": now, "submitted_at": now,
    } for idea_title, idea_description, cost in ideas]
    ids = [row.id for row in db.execute(insert(Idea).returning(Idea.id, sort_by_parameter_order=True),
                                        rows)] if rows else []
    if ids:
        db.execute(insert(IdeaRound), [{"idea_id": i, "round_id": item.id, "at": now} for i in ids])
    return HeldVote(consultation, item, ids)
