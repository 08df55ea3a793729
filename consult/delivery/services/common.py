"""What every delivery service shares: loading a project with its place, the one check
of who may act and whether the project's state allows it, and the timeline entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from consult import permissions
from consult.communities.models import Place
from consult.db.ids import find
from consult.delivery import rules
from consult.delivery.models import Project, ProjectEvent
from consult.errors import Conflict, Forbidden, NotFound, NotSignedIn
from consult.i18n import N_, Msg
from consult.permissions import Actor


@dataclass
class Loaded:
    project: Project
    place: Place

    @property
    def path(self) -> tuple[int, ...]:
        return self.place.ids_from_root


def load(db: Session, project_id, *, lock: bool = False) -> Loaded:
    """The project and its place (ASCII digits only as ids); ``lock`` takes a row lock on
    PostgreSQL (``FOR UPDATE``) for the steps that check a sum before adding to it."""
    project = find(db, Project, project_id)
    if project is None:
        raise NotFound()
    if lock:
        db.refresh(project, with_for_update=True)
    return Loaded(project, db.get(Place, project.place_id))


_NOT_HERE = N_("Only staff of %(place)s or above may do this for this project.")


def require(actor: Actor, loaded: Loaded, permission: str, action: str | None = None) -> None:
    """Refuse unless ``actor`` may ``permission`` at the project's place and its state
    allows ``action`` (``rules.PROJECT_ACTIONS``): the one check every service makes."""
    require_at(actor, loaded.place, permission)
    if action is not None and (problem := rules.action_problem(action, loaded.project.state)):
        raise Conflict(problem, code="project_state")


def require_at(actor: Actor, place: Place, permission: str) -> None:
    if not permissions.allowed(permission, actor, place.ids_from_root):
        if not actor.authenticated:
            raise NotSignedIn()
        raise Forbidden(Msg(_NOT_HERE, {"place": place.name}))


def event(db: Session, project: Project, actor_id: int | None, action: str, now: datetime,
          note: str = "", **params) -> None:
    db.add(ProjectEvent(project_id=project.id, at=now, actor_id=actor_id, action=action,
                        note=note[:500], params=params))
    project.updated_at = now
    db.add(project)
