"""The register of delivered projects and their yearly safety self-checks (安全自查): a
checklist by kind, each item pass / fail / not applicable with photos; a failed item
opens a repair with a responsible party and a due date, closed by a re-check that passes.
Due and overdue lists per area, and the daily reminder (``checks-due``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.accounts.models import User
from consult.communities.models import Place, RoleAssignment
from consult.db.ids import find
from consult.delivery import rules
from consult.delivery.models import CheckItem, DeliveryPhoto, Project, Repair, SafetyCheck
from consult.delivery.services.common import event, load, require
from consult.delivery.services.works import processed_photos, store_photos
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.notifications.models import Notification
from consult.parsing import clean_text
from consult.permissions import Actor

REGISTERED = ("accepted", "in_use")


@dataclass
class ItemInput:
    result: str = ""
    note: str = ""
    photos: list[bytes] = field(default_factory=list)
    repair_party: str = ""
    repair_unit: str = ""
    repair_due: date | None = None


def record_check(db: Session, actor: Actor, project_id, *, checked_on: date | None,
                 items: dict[str, ItemInput], media_dir: Path, now: datetime) -> SafetyCheck:
    """A check of every item of the project's checklist; each failed item opens a repair
    (who repairs it, by when). The next check falls due one interval later."""
    loaded = load(db, project_id)
    require(actor, loaded, "record_safety_check", "check")
    project = loaded.project
    checklist = rules.CHECKLISTS[project.kind]
    errors = rules.check_problems(project.kind, {k: v.result for k, v in items.items()})
    if checked_on is None:
        errors["checked_on"] = Msg(N_("Please give the date of the check, as 2026-12-31."))
    elif checked_on > now.date():
        errors["checked_on"] = Msg(N_("A check cannot be dated in the future."))
    processed = {}
    for key, _label in checklist:
        given = items.get(key, ItemInput())
        if len(clean_text(given.note)) > 200:
            errors[f"note_{key}"] = Msg(N_("At most %(max)s characters."), {"max": 200})
        if given.result == "fail" and checked_on is not None:
            errors.update({f"{k}_{key}": v for k, v in rules.repair_problems(
                given.repair_party, clean_text(given.repair_unit), given.repair_due, checked_on).items()})
        try:
            processed[key] = processed_photos(given.photos, f"photos_{key}", 3)
        except FieldErrors as exc:
            errors.update(exc.errors)
    if errors:
        raise FieldErrors(errors)
    check = SafetyCheck(project_id=project.id, checked_on=checked_on, checker_id=actor.user_id, at=now,
                        failed=sum(1 for k, _ in checklist if items[k].result == "fail"))
    db.add(check)
    db.flush()
    for key, _label in checklist:
        given = items[key]
        item = CheckItem(check_id=check.id, item=key, result=given.result, note=clean_text(given.note))
        db.add(item)
        db.flush()
        for position, photo in enumerate(store_photos(processed[key], media_dir)):
            db.add(DeliveryPhoto(project_id=project.id, check_item_id=item.id, key=photo, position=position))
        if given.result == "fail":
            repair = Repair(project_id=project.id, check_item_id=item.id, item=key,
                            party=given.repair_party, unit=clean_text(given.repair_unit),
                            due_on=given.repair_due, opened_by=actor.user_id)
            db.add(repair)
            db.flush()
            event(db, project, actor.user_id, "repair_opened", now, item=key, repair=repair.id,
                  party=repair.party, unit=repair.unit, due=repair.due_on.isoformat())
    project.next_check_due = rules.next_due(checked_on, project.check_interval_days)
    event(db, project, actor.user_id, "check", now, check=check.id, failed=check.failed,
          on=checked_on.isoformat())
    db.flush()
    return check


def recheck_repair(db: Session, actor: Actor, repair_id, *, result: str, note: str,
                   photos: list[bytes], media_dir: Path, now: datetime) -> Repair:
    """The repaired item checked again: a pass closes the repair, a fail leaves it open."""
    repair = find(db, Repair, repair_id)
    if repair is None:
        raise NotFound()
    loaded = load(db, repair.project_id)
    require(actor, loaded, "recheck_repair", "check")
    if not permissions.may_decide("recheck_repair", actor, loaded.path, repair.opened_by):
        raise Forbidden(N_("You recorded this failure, so another staff member re-checks its repair."),
                        code="own_request")
    if repair.state != "open":
        raise Conflict(N_("This repair has already been closed."))
    if result not in ("pass", "fail"):
        raise FieldErrors({"result": Msg(N_("Please mark the repaired item pass or fail."))})
    processed = processed_photos(photos, "photos", 3)
    check = SafetyCheck(project_id=repair.project_id, checked_on=now.date(), checker_id=actor.user_id,
                        failed=1 if result == "fail" else 0, repair_id=repair.id, at=now)
    db.add(check)
    db.flush()
    item = CheckItem(check_id=check.id, item=repair.item, result=result, note=clean_text(note)[:200])
    db.add(item)
    db.flush()
    for position, photo in enumerate(store_photos(processed, media_dir)):
        db.add(DeliveryPhoto(project_id=repair.project_id, check_item_id=item.id, key=photo, position=position))
    if result == "pass":
        repair.state, repair.closed_by, repair.closed_at = "closed", actor.user_id, now
        db.add(repair)
        event(db, loaded.project, actor.user_id, "repair_closed", now, item=repair.item, repair=repair.id)
    else:
        event(db, loaded.project, actor.user_id, "check", now, check=check.id, failed=1,
              repair=repair.id, on=now.date().isoformat())
    db.flush()
    return repair


def repair_project_id(db: Session, repair_id) -> int:
    repair = find(db, Repair, repair_id)
    if repair is None:
        raise NotFound()
    return repair.project_id


def checks(db: Session, project_id: int) -> list[tuple[SafetyCheck, list[CheckItem], str | None]]:
    rows = list(db.exec(select(SafetyCheck, User.display_name)
                        .outerjoin(User, User.id == SafetyCheck.checker_id)
                        .where(SafetyCheck.project_id == project_id)
                        .order_by(SafetyCheck.checked_on.desc(), SafetyCheck.id.desc())).all())
    ids = [c.id for c, _ in rows]
    items: dict[int, list[CheckItem]] = {}
    if ids:
        for item in db.exec(select(CheckItem).where(CheckItem.check_id.in_(ids)).order_by(CheckItem.id)).all():
            items.setdefault(item.check_id, []).append(item)
    return [(c, items.get(c.id, []), name) for c, name in rows]


def repairs(db: Session, project_id: int, open_only: bool = False) -> list[Repair]:
    query = select(Repair).where(Repair.project_id == project_id)
    if open_only:
        query = query.where(Repair.state == "open")
    return list(db.exec(query.order_by(Repair.id)).all())


# -- due and overdue -------------------------------------------------------------------


@dataclass
class Due:
    project_id: int
    title: str
    area_id: int | None
    place_name: str
    due_on: date
    party: str
    what: str  # check | repair
    overdue: bool


def due_list(db: Session, today: date, *, area_ids: list[int] | None = None,
             soon_days: int = 30) -> list[Due]:
    """Checks due within ``soon_days`` or overdue, and open repairs, in two queries."""
    limit = today + timedelta(days=soon_days)
    query = (select(Project.id, Project.title, Project.area_id, Place.name, Project.next_check_due,
                    Project.upkeep_party)
             .join(Place, Place.id == Project.place_id)
             .where(Project.state.in_(REGISTERED), Project.next_check_due <= limit))
    repair_query = (select(Project.id, Project.title, Project.area_id, Place.name, Repair.due_on, Repair.party)
                    .join(Project, Project.id == Repair.project_id).join(Place, Place.id == Project.place_id)
                    .where(Repair.state == "open", Project.state.in_(REGISTERED)))
    if area_ids is not None:
        query = query.where(Project.area_id.in_(area_ids))
        repair_query = repair_query.where(Project.area_id.in_(area_ids))
    found = [Due(*row, what="check", overdue=row[4] < today) for row in db.execute(query).all()]
    found += [Due(*row, what="repair", overdue=row[4] < today) for row in db.execute(repair_query).all()]
    return sorted(found, key=lambda d: (d.due_on, d.project_id, d.what))


def checks_due(db: Session, now: datetime, soon_days: int = 30) -> tuple[list[Due], int]:
    """The daily reminder: everything due or overdue, and one notification per area to
    each of its moderators (the staff answering for its checks and repairs). Returns
    the list and the number of notifications written."""
    found = due_list(db, now.date(), soon_days=soon_days)
    by_area: dict[int | None, list[Due]] = {}
    for d in found:
        by_area.setdefault(d.area_id, []).append(d)
    areas = [a for a in by_area if a is not None]
    staff = db.execute(select(RoleAssignment.user_id, RoleAssignment.place_id)
                       .where(RoleAssignment.role == "moderator", RoleAssignment.place_id.in_(areas))).all() \
        if areas else []
    rows = []
    for user_id, area_id in staff:
        items = by_area[area_id]
        rows.append({"user_id": user_id, "kind": "safety_checks_due", "link": "/staff/register",
                     "created_at": now,
                     "params": {"due": sum(1 for d in items if not d.overdue),
                                "overdue": sum(1 for d in items if d.overdue)}})
    if rows:
        db.execute(insert(Notification), rows)
    return found, len(rows)


def register_counts(db: Session, today: date) -> dict[str, int]:
    registered = db.exec(select(func.count()).select_from(Project)
                         .where(Project.state.in_(REGISTERED))).one()
    overdue = db.exec(select(func.count()).select_from(Project).where(
        Project.state.in_(REGISTERED), Project.next_check_due < today)).one()
    open_repairs = db.exec(select(func.count()).select_from(Repair).where(Repair.state == "open")).one()
    return {"registered": registered, "overdue": overdue, "open_repairs": open_repairs}
