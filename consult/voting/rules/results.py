"""A published result: the notice period, objections, the bars of the results page, turnout shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from consult.i18n import N_, Msg
from consult.voting.rules.texts import MAX_OBJECTION


def notice_until(published_at: datetime, notice_days: int) -> datetime:
    return published_at + timedelta(days=notice_days)


def notice_open(notice_until_: datetime, finalized_at: datetime | None, now: datetime) -> bool:
    """Objections are taken while the notice period runs and the outcome is not final."""
    return finalized_at is None and now < notice_until_


def finalize_problem(notice_until_: datetime, finalized_at: datetime | None, unanswered: int,
                     now: datetime) -> Msg | None:
    if finalized_at is not None:
        return Msg(N_("The outcome has already been confirmed."))
    if now < notice_until_:
        return Msg(N_("The notice period has not ended yet."))
    if unanswered:
        return Msg(N_("Answer every objection before confirming the outcome (%(n)s unanswered)."),
                   {"n": unanswered})
    return None


def objection_problem(body: str, limit: int = MAX_OBJECTION) -> Msg | None:
    if not body:
        return Msg(N_("Please write your objection."))
    if len(body) > limit:
        return Msg(N_("This can have at most %(max)s characters."), {"max": limit})
    return None


def bar_items(ideas: Sequence[tuple[int, str, int | None]], scores: Mapping[str, int],
              selected: Iterable[int]) -> list[tuple[int, str, int, bool]]:
    """Ideas (id, title, cost) best first, ties as the tally breaks them: (id, title, score, selected)."""
    chosen = set(selected)
    order = {i: n for n, (i, _, _) in enumerate(ideas)}
    cost = {i: c or 0 for i, _, c in ideas}
    rows = [(i, title, int(scores.get(str(i), 0)), i in chosen) for i, title, _ in ideas]
    return sorted(rows, key=lambda r: (-r[2], cost[r[0]], order[r[0]]))


def turnout_share(voted: int, eligible: int | None) -> str:
    """``12.5%`` with one decimal, exactly rounded half up; blank when unknown."""
    if not eligible:
        return ""
    tenths = (voted * 1000 * 2 + eligible) // (2 * eligible)
    return f"{tenths // 10}.{tenths % 10}%"


def titles_by_id(ideas: Iterable[tuple[int, str]]) -> dict[str, str]:
    return {str(i): f"“{title}”" for i, title in ideas}
