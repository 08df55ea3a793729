"""The count of one matter: quorum on the whole register, majority among the voters,
by exact integer cross-multiplication (no floats, no rounding).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from consult.owners.rules.homes import Home, OwnerKey, TallyError, cents_to_area, holdings
from consult.owners.rules.matters import QUORUM, Choice, MatterKind, is_major, majority_rule


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
