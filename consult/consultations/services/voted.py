"""What a vote said of an idea, for the idea page and its printed notice.

Consultations never import voting: the voting domain registers, in ``IDEA_OUTCOMES``,
a function telling an idea's published outcome (selected or not, its score, the end of
the notice period 公示 while it runs); the idea page asks it through ``vote_outcome``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class VoteOutcome:
    """An idea's outcome in a published vote."""

    round_id: int
    selected: bool
    score: int
    #: the end of the notice period (公示) while it runs; None once the outcome is final
    notice_until: datetime | None


#: functions (db, idea_id, now) → the outcome of the latest published vote carrying the idea
IDEA_OUTCOMES: list[Callable[[Session, int, datetime], VoteOutcome | None]] = []


def vote_outcome(db: Session, idea_id: int, now: datetime) -> VoteOutcome | None:
    for source in IDEA_OUTCOMES:
        found = source(db, idea_id, now)
        if found is not None:
            return found
    return None
