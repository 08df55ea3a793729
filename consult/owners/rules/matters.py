"""What is decided and when: ballots' choices and channels, the nine kinds of matter
of Civil Code art. 278 with the majority each needs, and a matter's voting period.

What each state of a matter allows is asked here by every service, never by comparing
states: once voting has closed the result is published and every input of the count
(ballots, voidings, the matter's copy of the register, its documents) is frozen.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from fractions import Fraction

# typing.TYPE_CHECKING without importing typing: the recount command starts faster.
TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from datetime import datetime


class Choice(StrEnum):
    """A ballot's choice; abstaining is voting without agreeing."""

    AGREE = "agree"
    DISAGREE = "disagree"
    ABSTAIN = "abstain"


class Channel(StrEnum):
    """How a ballot reached us; it never changes the count, only the audit trail."""

    WEB = "web"
    PAPER = "paper"
    PROXY = "proxy"


class MatterKind(StrEnum):
    """What is being decided; it fixes the majority needed (art. 278 para. 2).

    Declared in the order of art. 278 para. 1, items (1)–(9).
    """

    #: (1) 制定和修改业主大会议事规则
    RULES_OF_PROCEDURE = "rules_of_procedure"
    #: (2) 制定和修改管理规约
    MANAGEMENT_STATUTE = "management_statute"
    #: (3) 选举业主委员会或者更换业主委员会成员
    COMMITTEE_ELECTION = "committee_election"
    #: (4) 选聘和解聘物业服务企业或者其他管理人
    PROPERTY_MANAGER = "property_manager"
    #: (5) 使用建筑物及其附属设施的维修资金 — an ordinary matter.
    MAINTENANCE_FUND_USE = "maintenance_fund_use"
    #: (6) 筹集建筑物及其附属设施的维修资金
    MAINTENANCE_FUND_RAISE = "maintenance_fund_raise"
    #: (7) 改建、重建建筑物及其附属设施
    REBUILD = "rebuild"
    #: (8) 改变共有部分的用途或者利用共有部分从事经营活动
    COMMON_USE_CHANGE = "common_use_change"
    #: (9) 有关共有和共同管理权利的其他重大事项 — despite its name, a half majority.
    OTHER_COMMON_MATTER = "other_common_matter"
    #: Any of the half-majority items, when the caller does not say which.
    ORDINARY = "ordinary"
    #: Any of items 6–8, when the caller does not say which.
    MAJOR = "major"


#: The kinds needing three quarters: art. 278 para. 2, items 6–8.
MAJOR_KINDS: frozenset[MatterKind] = frozenset(
    {
        MatterKind.MAINTENANCE_FUND_RAISE,
        MatterKind.REBUILD,
        MatterKind.COMMON_USE_CHANGE,
        MatterKind.MAJOR,
    }
)

QUORUM = Fraction(2, 3)
MAJOR_MAJORITY = Fraction(3, 4)
ORDINARY_MAJORITY = Fraction(1, 2)


def is_major(kind: MatterKind | str) -> bool:
    """Whether ``kind`` needs the 3/4 majority; unknown kinds raise ``ValueError``."""
    return MatterKind(kind) in MAJOR_KINDS


def majority_rule(kind: MatterKind | str) -> tuple[Fraction, bool]:
    """The agreement threshold for ``kind`` and whether it must be strictly exceeded.

    Major matters need "3/4 or more" (以上 includes the bound); the others need
    "more than half" (过半数 excludes it).
    """
    if is_major(kind):
        return MAJOR_MAJORITY, False
    return ORDINARY_MAJORITY, True


class MatterState(StrEnum):
    """Where a matter stands; a pure function of its period and the time."""

    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


#: How long an owners' result stays posted after the close unless the matter says otherwise.
#: Neither the Civil Code nor the guidance for owners' assemblies (业主大会和业主委员会指导规则,
#: art. 24: decisions are announced 公告 in the estate) fixes a length; seven days is the
#: platform's choice, the same week the residents' votes use, and a matter may set 1 to 60.
NOTICE_DAYS = 7
NOTICE_DAYS_RANGE = (1, 60)


def notice_ends(closes_at: datetime, notice_days: int) -> datetime:
    """The end of the notice period (公告期): ``notice_days`` whole days after the close."""
    from datetime import timedelta

    return closes_at + timedelta(days=notice_days)


def matter_state(opens_at: datetime, closes_at: datetime, now: datetime) -> MatterState:
    """Voting runs from ``opens_at`` (included) to ``closes_at`` (excluded)."""
    if now < opens_at:
        return MatterState.SCHEDULED
    if now < closes_at:
        return MatterState.OPEN
    return MatterState.CLOSED


# What each state of a matter allows.  Once voting has closed the result is
# published (it is public from the close) and every input of the count is frozen:
# ballots, voidings, the matter's copy of the register, its documents.  Every
# service asks these instead of comparing states itself.


def accepts_ballots(state: MatterState) -> bool:
    """Web, paper and proxy ballots are taken only while voting is open."""
    return state is MatterState.OPEN


def ballots_may_change(state: MatterState) -> bool:
    """Voiding a ballot or settling two differing keyings: only while voting is open."""
    return state is MatterState.OPEN


def result_published(state: MatterState) -> bool:
    """The count (and how each owner voted, 实名表决) is public from the close."""
    return state is MatterState.CLOSED


def choices_visible(state: MatterState) -> bool:
    """Staff see how an owner voted only once the result is published."""
    return result_published(state)


def inputs_frozen(state: MatterState) -> bool:
    """Nothing the count depends on may change any more."""
    return result_published(state)


def register_may_change(states: Iterable[MatterState]) -> bool:
    """The estate's register moves only when no matter of it is open.

    A scheduled matter is counted against the register as it then stands (its copy is
    refreshed), a closed one keeps its frozen copy; an open one must not see it move.
    """
    return not any(state is MatterState.OPEN for state in states)


def documents_may_change(state: MatterState) -> bool:
    """Documents are published with a matter until it closes."""
    return not inputs_frozen(state)


def link_needs_the_owner(states: Iterable[MatterState]) -> bool:
    """While a matter of the estate is open, linking an owner record to an account needs
    the owner's own confirmation: a second staff member is not enough."""
    return any(state is MatterState.OPEN for state in states)
