"""Time, in one place: UTC in the database, Beijing time on the page.

Rules take ``now`` as an argument; only the edges (services, routes) ask for it.
Timestamps are aware UTC datetimes, to the microsecond: SQLModel's ``UTCDateTime``
column type stores them the same way on SQLite and PostgreSQL. Whole seconds would let
two events of the same second look simultaneous, so a ballot accepted just before a
close could not be told from one after it (ballot times are cut to the day on purpose,
``voting.rules.ballot_day``; the round's own times keep their precision).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "CST")


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_local(value: datetime) -> datetime:
    """UTC → Beijing time, for display."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(BEIJING)


def from_local(value: datetime) -> datetime:
    """Beijing wall time (as typed in a form, naive) → aware UTC."""
    return value.replace(tzinfo=BEIJING).astimezone(UTC)
