"""What every consultation service reads or raises: the consultation, its scope,
rounds and categories, and the ``ideas_version`` each change to a list moves.

The concept modules beside this one depend on it, and on each other only where one
concept builds on another (authoring on reading ideas, review on supports), so the
package has no import circle.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.communities.models import Place
from consult.consultations import rules
from consult.consultations.models import Category, Consultation, Idea, Round
from consult.errors import NotFound
from consult.permissions import Actor


def get_consultation(db: Session, consultation_id: int) -> Consultation:
    consultation = db.get(Consultation, consultation_id)
    if consultation is None:
        raise NotFound()
    return consultation


def list_header(db: Session, consultation_id: int, now: datetime):
    """What the idea list needs of its consultation, as a light row (id, title,
    scope_place_id, ideas_version, collect_settings: the settings of the collect round
    open at ``now``, or None): plain values that may outlive the request.

    On the busiest page this is often the only statement (the list itself comes from
    the page cache when ``ideas_version`` has not moved), so it is a Core statement
    built once, with no ORM entity to load.
    """
    row = db.execute(_list_header_select(), {"cid": consultation_id, "now": now}).first()
    if row is None:
        raise NotFound()
    return row


@lru_cache(maxsize=1)
def _list_header_select():
    table = Consultation.__table__
    rounds = Round.__table__
    collect = (select(rounds.c.settings).where(
        rounds.c.consultation_id == table.c.id, rounds.c.kind == "collect",
        rounds.c.opens_at <= bindparam("now"), rounds.c.closes_at > bindparam("now"))
        .order_by(rounds.c.position).limit(1).scalar_subquery())
    return (select(table.c.id, table.c.title, table.c.scope_place_id, table.c.ideas_version,
                   collect.label("collect_settings"))
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


def _current(db: Session, idea: Idea, now: datetime) -> tuple[str | None, str | None]:
    current = db.get(Round, idea.current_round_id) if idea.current_round_id else None
    return (current.kind, round_state(current, now)) if current else (None, None)


def _staff_role(actor: Actor, path: tuple[int, ...]) -> str:
    return "admin" if actor.holds({"admin"}, path) else "moderator"
