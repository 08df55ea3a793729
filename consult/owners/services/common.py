"""What every owners' service needs: the limits, the register's refusal, the estate,
matter and ballot looked up by id, the permission check, and the rule that the register
does not move while a matter is open for voting."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.communities.models import Place
from consult.errors import Conflict, Forbidden, NotFound, NotSignedIn, UserError
from consult.i18n import N_, Msg
from consult.owners import rules
from consult.owners.models import OwnerBallot, OwnerMatter
from consult.permissions import Actor

#: Ballots in these states are counted; the others hold the owner's place only.
COUNTED = ("final", "confirmed")
MAX_TITLE = 120
MAX_DESCRIPTION = 5000
MAX_NAME = 80
MAX_FIELD = 40
MAX_REASON = 200
MAX_FILE_BYTES = 10 * 1024 * 1024
PAGE_SIZE = 100


class RegisterRejected(UserError):
    """The uploaded register is wrong; ``messages`` lists every problem, translatable."""

    status = 422
    code = "invalid_register"

    def __init__(self, messages: Sequence[Msg], lines: Sequence[int | None] | None = None):
        self.messages = list(messages)
        #: The line each message is about (None: the whole file), for the API.
        self.lines = list(lines) if lines is not None else [None] * len(self.messages)
        super().__init__(Msg(N_("Nothing was imported. Please correct every problem listed and upload the file again.")))


def get_estate(db: Session, estate_id: int) -> Place:
    estate = db.get(Place, estate_id)
    if estate is None or estate.kind != "estate":
        raise NotFound()
    return estate


def _check(action: str, actor: Actor, estate: Place) -> None:
    if not permissions.allowed(action, actor, estate.ids_from_root):
        raise Forbidden() if actor.authenticated else NotSignedIn()


def may(action: str, actor: Actor, estate: Place) -> bool:
    return permissions.allowed(action, actor, estate.ids_from_root)


def _current_matters(db: Session, estate: Place, now: datetime) -> list[tuple[OwnerMatter, rules.MatterState]]:
    """The estate's matters that have not closed yet, with their state."""
    return [(m, state_of(m, now)) for m in db.exec(select(OwnerMatter).where(
        OwnerMatter.estate_id == estate.id, OwnerMatter.closes_at > now)
        .order_by(OwnerMatter.id)).all()]


def _refuse_while_voting(db: Session, estate: Place, now: datetime) -> None:
    """The register a vote is counted against must not move under the voters."""
    current = _current_matters(db, estate, now)
    if not rules.register_may_change(state for _, state in current):
        matter = next(m for m, state in current if state is rules.MatterState.OPEN)
        raise Conflict(N_("The register cannot change while “%(title)s” is open for voting."),
                       code="voting_open", title=matter.title)


def get_matter(db: Session, matter_id: int) -> tuple[OwnerMatter, Place]:
    matter = db.get(OwnerMatter, matter_id)
    if matter is None:
        raise NotFound()
    return matter, get_estate(db, matter.estate_id)


def state_of(matter: OwnerMatter, now: datetime) -> rules.MatterState:
    return rules.matter_state(matter.opens_at, matter.closes_at, now)


def get_ballot(db: Session, ballot_id: int) -> tuple[OwnerBallot, OwnerMatter, Place]:
    ballot = db.get(OwnerBallot, ballot_id)
    if ballot is None:
        raise NotFound()
    matter, estate = get_matter(db, ballot.matter_id)
    return ballot, matter, estate
