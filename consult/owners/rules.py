"""Counting an owners' vote (业主表决) exactly, under PRC Civil Code art. 278.

Pure functions over plain values: no database, no I/O, no floats. Areas are kept
as integer hundredths of a square metre ("cents") while counting, so every sum and
every comparison is exact; ratios are reported as :class:`fractions.Fraction`.

Who counts as one owner (SPC interpretation on building co-ownership, art. 9):

* one home counts as one owner;
* every home held by the developer (unsold, or sold but not delivered) together
  counts as one owner, :data:`DEVELOPER`.  A home flagged ``developer_held`` is the
  developer's even if buyers are listed on it: until delivery the buyer is not yet
  an owner of it, so the developer wins;
* the same buyer with several homes counts as one owner, and casts one ballot
  that covers all of those homes;
* the co-owners of a home are one owner, identified by the *set* of their names,
  so ``("Li", "Wang")`` and ``("Wang", "Li")`` are the same owner wherever they
  appear.  The exact set matters: "Li" alone on one home and "Li" with "Wang" on
  another are two different owners, because neither can bind the other.

Names are compared exactly as given (after the register trims whitespace); a name
repeated within one home is the same person, so it does not change the set.

Civil Code art. 278 lists nine matters the owners decide together (para. 1) and
fixes their majorities (para. 2): items 6–8 — raising the maintenance fund,
rebuilding or reconstructing buildings and their facilities, changing the use of
common parts or running a business on them — need three quarters or more of the
voting area and of the voting owners; every other item, *using* the maintenance fund
(item 5) and the "other major matters" of item 9 included, needs more than half of
both.  :class:`MatterKind` names all nine by their legal names; ``ordinary`` and
``major`` stand for "one of the half-majority items" and "one of items 6–8" when the
caller (the recount command) does not say which.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from enum import Enum, StrEnum
from fractions import Fraction

# typing.TYPE_CHECKING without importing typing: the recount command starts faster.
TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from datetime import datetime


class Developer(Enum):
    """The single owner standing for all developer-held homes together."""

    DEVELOPER = "developer"

    def __repr__(self) -> str:
        return "DEVELOPER"


DEVELOPER = Developer.DEVELOPER

#: An owner is either the developer or the exact set of a home's co-owners.
OwnerKey = frozenset[str] | Developer


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


class TallyError(ValueError):
    """The inputs to a count are inconsistent (e.g. a ballot from a non-owner)."""


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


# Enough precision that multiplying a register area by 100 can never round.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
#: No home is a square kilometre; a bound also keeps absurd exponents from eating memory.
MAX_AREA = Decimal(10) ** 9


def area_to_cents(area: Decimal | int) -> int:
    """Convert a floor area to exact hundredths of a m², refusing anything inexact.

    Floats are refused outright: a binary fraction is never the registered area.
    """
    if isinstance(area, bool) or not isinstance(area, (Decimal, int)):
        raise TypeError(f"area must be a Decimal, not {type(area).__name__}")
    if isinstance(area, Decimal) and not area.is_finite():
        raise ValueError(f"area is not a finite number: {area}")
    if abs(area) >= MAX_AREA:
        raise ValueError(f"area is implausibly large: {area}")
    scaled = _EXACT.multiply(area, 100)
    cents = int(scaled)
    if scaled != cents:
        raise ValueError(f"area has more than two decimals: {area}")
    return cents


def cents_to_area(cents: int) -> Decimal:
    """An area in hundredths back to a Decimal with exactly two decimals."""
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True, slots=True)
class Home:
    """One home (专有部分) as registered: its area and who holds it."""

    home_id: str
    building: str
    room: str
    area: Decimal
    owners: tuple[str, ...]
    developer_held: bool
    #: The area in exact hundredths of a m², computed once from ``area``.
    area_cents: int = field(init=False, repr=False, compare=False)
    #: Whose vote this home is (see :func:`owner_key`), computed once: every count asks.
    owner: OwnerKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "area_cents", area_to_cents(self.area))
        if isinstance(self.owners, str):
            raise TypeError("owners must be a sequence of names, not one string")
        if not isinstance(self.owners, tuple):
            object.__setattr__(self, "owners", tuple(self.owners))
        if not self.home_id:
            raise ValueError("home_id must not be empty")
        if self.area_cents <= 0:
            raise ValueError(f"home {self.home_id}: area must be positive")
        for name in self.owners:
            if not isinstance(name, str) or not name or name != name.strip():
                raise ValueError(f"home {self.home_id}: bad owner name {name!r}")
        if not self.developer_held and not self.owners:
            raise ValueError(f"home {self.home_id}: no owners and not developer-held")
        object.__setattr__(
            self, "owner", DEVELOPER if self.developer_held else frozenset(self.owners)
        )


def owner_key(home: Home) -> OwnerKey:
    """Who this home's vote belongs to: the developer wins over any listed buyers."""
    return home.owner


@dataclass(frozen=True, slots=True)
class Holding:
    """Everything one owner holds: the homes their single ballot covers."""

    key: OwnerKey
    home_ids: tuple[str, ...]
    area_cents: int

    @property
    def area(self) -> Decimal:
        return cents_to_area(self.area_cents)


def holdings(homes: Iterable[Home]) -> dict[OwnerKey, Holding]:
    """Group homes by owner, in register order; duplicate home ids are refused."""
    seen: set[str] = set()
    home_ids: dict[OwnerKey, list[str]] = {}
    areas: dict[OwnerKey, int] = {}
    for home in homes:
        if home.home_id in seen:
            raise TallyError(f"home {home.home_id} appears twice in the register")
        seen.add(home.home_id)
        key = owner_key(home)
        home_ids.setdefault(key, []).append(home.home_id)
        areas[key] = areas.get(key, 0) + home.area_cents
    return {key: Holding(key, tuple(ids), areas[key]) for key, ids in home_ids.items()}


def owner_of_home(homes: Iterable[Home]) -> dict[str, OwnerKey]:
    """Map each home id to its owner key, so a ballot given via any home finds its owner."""
    return {home.home_id: owner_key(home) for home in homes}


@dataclass(frozen=True, slots=True)
class RegisterTotals:
    """The denominators of the quorum: total area and total headcount."""

    area_total_cents: int
    owners_total: int
    homes_total: int

    @property
    def area_total(self) -> Decimal:
        return cents_to_area(self.area_total_cents)


def register_totals(homes: Iterable[Home]) -> RegisterTotals:
    """Total area (sum over homes) and headcount (distinct owners) of an estate."""
    by_owner = holdings(homes)
    return RegisterTotals(
        area_total_cents=sum(h.area_cents for h in by_owner.values()),
        owners_total=len(by_owner),
        homes_total=sum(len(h.home_ids) for h in by_owner.values()),
    )


def _reaches(part: int, whole: int, bound: Fraction, strict: bool) -> bool:
    """``part / whole`` ≥ bound (or > bound), by exact integer cross-multiplication."""
    if whole <= 0:
        return False
    lhs = part * bound.denominator
    rhs = whole * bound.numerator
    return lhs > rhs if strict else lhs >= rhs


def _ratio(part: int, whole: int) -> Fraction:
    return Fraction(part, whole) if whole else Fraction(0)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Every figure of a count, as printed on the notice board."""

    kind: MatterKind
    area_total_cents: int
    owners_total: int
    area_voted_cents: int
    owners_voted: int
    area_agree_cents: int
    owners_agree: int
    area_disagree_cents: int
    owners_disagree: int
    area_abstain_cents: int
    owners_abstain: int
    quorum_met: bool
    passed: bool

    @property
    def major(self) -> bool:
        return is_major(self.kind)

    @property
    def area_total(self) -> Decimal:
        return cents_to_area(self.area_total_cents)

    @property
    def area_voted(self) -> Decimal:
        return cents_to_area(self.area_voted_cents)

    @property
    def area_agree(self) -> Decimal:
        return cents_to_area(self.area_agree_cents)

    @property
    def area_disagree(self) -> Decimal:
        return cents_to_area(self.area_disagree_cents)

    @property
    def area_abstain(self) -> Decimal:
        return cents_to_area(self.area_abstain_cents)

    @property
    def area_turnout(self) -> Fraction:
        """Voting area over total area (the quorum needs ≥ 2/3)."""
        return _ratio(self.area_voted_cents, self.area_total_cents)

    @property
    def owners_turnout(self) -> Fraction:
        """Voting owners over all owners (the quorum needs ≥ 2/3)."""
        return _ratio(self.owners_voted, self.owners_total)

    @property
    def area_agree_ratio(self) -> Fraction:
        """Agreeing area over *voting* area; 0 when nobody voted."""
        return _ratio(self.area_agree_cents, self.area_voted_cents)

    @property
    def owners_agree_ratio(self) -> Fraction:
        """Agreeing owners over *voting* owners; 0 when nobody voted."""
        return _ratio(self.owners_agree, self.owners_voted)


def tally(
    homes: Iterable[Home],
    ballots: Mapping[OwnerKey, Choice | str],
    kind: MatterKind | str,
) -> Outcome:
    """Count one matter: quorum on the whole register, majority among the voters.

    ``ballots`` maps each voting owner's key to their choice; one entry covers all
    of that owner's homes.  A ballot from a key that holds no home is an error,
    not something to drop silently.
    """
    matter = MatterKind(kind)
    by_owner = holdings(homes)
    if not by_owner:
        raise TallyError("the register has no homes")
    area = {Choice.AGREE: 0, Choice.DISAGREE: 0, Choice.ABSTAIN: 0}
    heads = {Choice.AGREE: 0, Choice.DISAGREE: 0, Choice.ABSTAIN: 0}
    for key, raw_choice in ballots.items():
        holding = by_owner.get(key)
        if holding is None:
            raise TallyError(f"ballot from {key!r}, who holds no home in the register")
        choice = Choice(raw_choice)
        area[choice] += holding.area_cents
        heads[choice] += 1

    area_total = sum(h.area_cents for h in by_owner.values())
    owners_total = len(by_owner)
    area_voted = sum(area.values())
    owners_voted = sum(heads.values())
    quorum_met = _reaches(area_voted, area_total, QUORUM, False) and _reaches(
        owners_voted, owners_total, QUORUM, False
    )
    bound, strict = majority_rule(matter)
    passed = (
        quorum_met
        and _reaches(area[Choice.AGREE], area_voted, bound, strict)
        and _reaches(heads[Choice.AGREE], owners_voted, bound, strict)
    )
    return Outcome(
        kind=matter,
        area_total_cents=area_total,
        owners_total=owners_total,
        area_voted_cents=area_voted,
        owners_voted=owners_voted,
        area_agree_cents=area[Choice.AGREE],
        owners_agree=heads[Choice.AGREE],
        area_disagree_cents=area[Choice.DISAGREE],
        owners_disagree=heads[Choice.DISAGREE],
        area_abstain_cents=area[Choice.ABSTAIN],
        owners_abstain=heads[Choice.ABSTAIN],
        quorum_met=quorum_met,
        passed=passed,
    )


# --- the voting period --------------------------------------------------------


class MatterState(StrEnum):
    """Where a matter stands; a pure function of its period and the time."""

    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


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


# --- linking an owner of record to an account ---------------------------------


class LinkMethod(StrEnum):
    """How a requested link was confirmed, by someone other than who asked for it."""

    #: The account holder confirmed it on their own page.
    OWNER = "owner"
    #: Staff typed the code the account holder is shown (read out by the owner).
    CODE = "code"
    #: A second staff member approved it (four eyes); not while a matter is open.
    SECOND_STAFF = "second_staff"


def link_refusal(method: LinkMethod, *, decider: int | None, requested_by: int | None,
                 account: int, matter_open: bool) -> str | None:
    """Why ``decider`` may not confirm a link by ``method`` (a code), or None if they may.

    Nobody decides their own request, and nobody confirms a link to their own account
    but its holder: a staff member linking their own account needs a second one.
    """
    if decider is None:
        return "not_signed_in"
    if method is LinkMethod.OWNER:
        if decider != account:
            return "not_yours"
        return "own_request" if requested_by == account else None
    if method is LinkMethod.CODE:
        # one's own code, or a staff member's own account (its code is their own)
        return "own_request" if account in (decider, requested_by) else None
    if decider in (requested_by, account):
        return "own_request"
    return "owner_must_confirm" if matter_open else None


def account_may_hold(linked: Iterable[tuple[int, str, int]], *, estate_id: int, name: str,
                     homes: Iterable[int]) -> bool:
    """May an account already linked to the owner records ``linked`` ((estate id, name,
    home id) each) also hold ``name`` of ``estate_id``, whose homes are ``homes``?

    Only if every record it holds is that owner already or a co-owner of one of the
    same homes (a couple sharing one account); one account never votes for unrelated
    owners.
    """
    shared = set(homes)
    return all((estate == estate_id and held == name) or (estate == estate_id and home in shared)
               for estate, held, home in linked)


# --- owners as stored ---------------------------------------------------------


def owner_digest(key: OwnerKey) -> str:
    """A fixed-length, unambiguous name for an owner, for a database UNIQUE constraint.

    JSON of the sorted names cannot confuse ``{"a;b"}`` with ``{"a", "b"}``, and the
    developer is tagged apart from any person, even one called "developer".
    """
    import hashlib  # here, not at the top: the recount command never needs it
    import json
    if key is DEVELOPER:
        canonical = json.dumps(["developer"])
    else:
        canonical = json.dumps(["owners", sorted(key)], ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def owner_names(key: OwnerKey) -> tuple[str, ...]:
    """The owner's names in a stable order; empty for the developer."""
    return () if key is DEVELOPER else tuple(sorted(key))
