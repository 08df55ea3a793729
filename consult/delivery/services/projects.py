"""Projects: made from a confirmed vote's selected ideas (or by a moderator for projects
decided outside a vote), their responsible parties, states and the overviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import consultations
from consult.audit import services as audit
from consult.communities.models import Place
from consult.consultations import Consultation, Idea
from consult.db.ids import find
from consult.delivery import rules
from consult.delivery.models import Project, ProjectEvent
from consult.delivery.services.common import event, load, require, require_at
from consult.errors import Conflict, FieldErrors
from consult.i18n import N_, Msg
from consult.parsing import clean_text, parse_money
from consult.permissions import Actor

DEFAULT_DELIVERY, DEFAULT_UPKEEP = "juweihui", "wuye"


def from_outcome(db: Session, actor: Actor | None, round_id: int, selected: list[int],
                 now: datetime) -> list[Project]:
    """Each selected idea of a confirmed outcome becomes a planned project (once: an idea
    that already has one is left as it is). Registered in ``voting.OUTCOME_HOOKS``."""
    if not selected:
        return []
    have = set(db.exec(select(Project.idea_id).where(Project.idea_id.in_(selected))).all())
    rows = db.exec(select(Idea, Consultation).join(Consultation, Consultation.id == Idea.consultation_id)
                   .where(Idea.id.in_(selected)).order_by(Idea.id)).all()
    made = []
    for idea, consultation in rows:
        if idea.id in have:
            continue
        place = db.get(Place, idea.place_id)
        project = Project(
            idea_id=idea.id, round_id=round_id, consultation_id=consultation.id,
            proposer_id=idea.author_id, place_id=place.id, area_id=rules.area_of(place.ids_from_root),
            title=idea.title[:rules.TITLE_MAX], description=idea.description, category="zizhi",
            year=consultation.year, budget_fen=idea.estimated_cost_fen or 0,
            delivery_party=DEFAULT_DELIVERY, upkeep_party=DEFAULT_UPKEEP,
            created_by=actor.user_id if actor else None, created_at=now, updated_at=now)
        db.add(project)
        db.flush()
        event(db, project, project.created_by, "created", now, round_id=round_id)
        made.append(project)
    db.flush()
    return made


@dataclass
class ProjectInput:
    title: str = ""
    description: str = ""
    category: str = ""
    kind: str = "other"
    location: str = ""
    budget: str = ""
    delivery_party: str = ""
    delivery_unit: str = ""
    upkeep_party: str = ""
    upkeep_unit: str = ""
    contact_name: str = ""
    contact_phone: str = ""


def _values(data: ProjectInput, place_ok: bool) -> dict:
    values = {k: clean_text(getattr(data, k)) for k in (
        "title", "description", "category", "kind", "location", "delivery_party", "delivery_unit",
        "upkeep_party", "upkeep_unit", "contact_name", "contact_phone")}
    budget, problem = parse_money(clean_text(data.budget))
    errors = rules.project_problems(
        title=values["title"], category=values["category"], delivery_party=values["delivery_party"],
        delivery_unit=values["delivery_unit"], upkeep_party=values["upkeep_party"],
        upkeep_unit=values["upkeep_unit"], budget_problem=problem, place_ok=place_ok,
        kind=values["kind"])
    for field, limit in (("location", 120), ("delivery_unit", 80), ("upkeep_unit", 80),
                         ("contact_name", 40), ("contact_phone", 20), ("description", 2000)):
        if len(values[field]) > limit:
            errors[field] = Msg(N_("At most %(max)s characters."), {"max": limit})
    if errors:
        raise FieldErrors(errors)
    values["budget_fen"] = budget or 0
    return values


def create(db: Session, actor: Actor, *, place_id, year: int, data: ProjectInput,
           now: datetime) -> Project:
    """A project decided outside a vote (a moderator of the place)."""
    place = find(db, Place, place_id)
    values = _values(data, place is not None and place.kind != "home")
    require_at(actor, place, "manage_project")
    project = Project(place_id=place.id, area_id=rules.area_of(place.ids_from_root), year=year,
                      created_by=actor.user_id, created_at=now, updated_at=now, **values)
    db.add(project)
    db.flush()
    event(db, project, actor.user_id, "created", now)
    audit.record(db, actor_id=actor.user_id, action="create_project", target_type="project",
                 target_id=project.id, place_id=place.id)
    db.flush()
    return project


def edit(db: Session, actor: Actor, project_id, data: ProjectInput, now: datetime) -> Project:
    loaded = load(db, project_id)
    require(actor, loaded, "manage_project", "edit")
    values = _values(data, True)
    project = loaded.project
    changed = sorted(k for k, v in values.items() if getattr(project, k) != v)
    for key, value in values.items():
        setattr(project, key, value)
    if changed:
        event(db, project, actor.user_id, "edited", now, fields=changed)
    db.flush()
    return project


def move(db: Session, actor: Actor, project_id, action: str, now: datetime, note: str = "") -> Project:
    """start (实施中), put_in_use (into the register) or retire; the idea follows."""
    if action not in rules.MOVES:
        raise KeyError(action)
    loaded = load(db, project_id)
    require(actor, loaded, "manage_project", action)
    note = clean_text(note)
    if action == "retire" and not note:
        raise FieldErrors({"note": Msg(N_("Please say why the project is retired."))})
    project = loaded.project
    project.state = rules.MOVES[action]
    if action == "put_in_use" and project.next_check_due is None:
        project.next_check_due = rules.next_due(project.accepted_on or now.date(),
                                                project.check_interval_days)
    if action == "retire":
        project.next_check_due = None
    event(db, project, actor.user_id, project.state, now, note=note)
    follow(db, actor.user_id, project, now)
    db.flush()
    return project


def follow(db: Session, actor_id: int | None, project: Project, now: datetime) -> None:
    """The idea's own state follows the project's (实施中, 已完成)."""
    action = rules.IDEA_FOLLOWS.get(project.state)
    if project.idea_id is not None and action is not None:
        consultations.record_delivery(db, actor_id, project.idea_id, action, now)


def record_meeting(db: Session, actor: Actor, project_id, *, meeting_on: date | None,
                   record_key: str | None, public_appeal: bool, appeal_partner: str,
                   now: datetime) -> Project:
    """The legal gate of a 共筹 project: the residents' meeting decision, and the 公募
    partner of a public appeal beyond the area."""
    loaded = load(db, project_id)
    require(actor, loaded, "manage_project", "record_meeting")
    partner = clean_text(appeal_partner)
    errors = {}
    if meeting_on is None:
        errors["meeting_on"] = Msg(N_("Please give the date of the residents' meeting, as 2026-12-31."))
    if public_appeal and not partner:
        errors["appeal_partner"] = Msg(N_("A public appeal beyond the residential area needs a partner organisation qualified for public fundraising (公募)."))
    if len(partner) > 80:
        errors["appeal_partner"] = Msg(N_("At most %(max)s characters."), {"max": 80})
    if errors:
        raise FieldErrors(errors)
    project = loaded.project
    project.meeting_on, project.public_appeal, project.appeal_partner = meeting_on, public_appeal, partner
    if record_key:
        project.meeting_record = record_key
    event(db, project, actor.user_id, "meeting", now, on=meeting_on.isoformat(), partner=partner)
    db.flush()
    return project


def money_gate(project: Project) -> None:
    if problem := rules.money_gate_problem(project.category, project.meeting_on,
                                           project.public_appeal, project.appeal_partner):
        raise Conflict(problem, code="cofunding_gate")


# -- reading -----------------------------------------------------------------------------


def timeline(db: Session, project_id: int) -> list[tuple[ProjectEvent, str | None]]:
    from consult.accounts.models import User

    return list(db.exec(select(ProjectEvent, User.display_name)
                        .outerjoin(User, User.id == ProjectEvent.actor_id)
                        .where(ProjectEvent.project_id == project_id)
                        .order_by(ProjectEvent.at, ProjectEvent.id)).all())


def listing(db: Session, *, area_id: int | None = None, state: str | None = None,
            limit: int = 200) -> list[tuple[Project, str]]:
    query = select(Project, Place.name).join(Place, Place.id == Project.place_id)
    if area_id is not None:
        query = query.where(Project.area_id == area_id)
    if state in rules.STATES:
        query = query.where(Project.state == state)
    return list(db.exec(query.order_by(Project.year.desc(), Project.id).limit(limit)).all())


@dataclass
class Overview:
    """Count and budget by state and by category, per area and in all (a fixed number of
    grouped queries, whatever the number of projects)."""

    areas: list[tuple[int | None, str]]
    #: (area id or None, state) → (count, budget fen); likewise by category
    by_state: dict[tuple[int | None, str], tuple[int, int]]
    by_category: dict[tuple[int | None, str], tuple[int, int]]

    def total(self, table: dict, key: str) -> tuple[int, int]:
        rows = [v for (area, k), v in table.items() if k == key]
        return sum(c for c, _ in rows), sum(b for _, b in rows)


def overview(db: Session, year: int | None = None) -> Overview:
    where = [Project.year == year] if year else []
    cells = {}
    for column, name in ((Project.state, "by_state"), (Project.category, "by_category")):
        rows = db.exec(select(Project.area_id, column, func.count(), func.coalesce(func.sum(Project.budget_fen), 0))
                       .where(*where).group_by(Project.area_id, column)).all()
        cells[name] = {(a, k): (int(c), int(b)) for a, k, c, b in rows}
    area_ids = {a for a, _ in cells["by_state"]} | {a for a, _ in cells["by_category"]}
    names = dict(db.exec(select(Place.id, Place.name).where(Place.id.in_([a for a in area_ids if a]))).all()) \
        if area_ids else {}
    areas = sorted(((a, names.get(a, "—")) for a in area_ids), key=lambda x: (x[0] is None, x[0] or 0))
    return Overview(areas, cells["by_state"], cells["by_category"])
