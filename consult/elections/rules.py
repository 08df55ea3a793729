"""Counting elections exactly: owners' committees (业主委员会) and residents' committees
(居民委员会). Pure functions over plain values: no database, no clock, no floats.

**Owners' committee** (Civil Code art. 278 para. 1 item 3, 选举业主委员会: an ordinary
matter). The owners taking part must hold two thirds or more (三分之二以上, the bound
included: art. 1259) of the total area *and* be two thirds or more of all owners. A
candidate passes when the owners approving them hold more than half (过半数, the bound
excluded) of the area taking part *and* are more than half of the owners taking part.
Owners are counted as for every joint decision (the developer's homes one owner, a
multi-home owner one owner, a set of co-owners one owner): the caller hands in each
owner's total area, keyed however it likes. If more candidates pass than there are seats,
they are ranked by a rule stated before voting: headcount then area (the default), or
area then headcount. Candidates equal on both at the last seat are *tied*: none of them
is elected and their seats stay open for a further vote among them; seats not filled are
*unfilled*.

**Residents' committee** (城市居民委员会组织法 art. 8, with the election rules Shanghai
applies): valid only if more than half of the registered voters (or representatives)
vote; a candidate needs more than half of the ballots cast; if more pass than seats, the
most votes win; a tie at the last seat leaves those seats open. In a further round
(另行选举) for unfilled seats a candidate needs at least a threshold of the ballots cast
(default one third, 不得少于三分之一) and the most votes.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

# typing.TYPE_CHECKING without importing typing: the recount commands start faster.
TYPE_CHECKING = False
if TYPE_CHECKING:  # annotations only
    from datetime import date, datetime

QUORUM = Fraction(2, 3)
MAJORITY = Fraction(1, 2)
#: A further round of a residents' committee election: at least a third of ballots cast.
FURTHER_ROUND_THRESHOLD = Fraction(1, 3)
MIN_SEATS, MAX_SEATS = 1, 99


class Rank(StrEnum):
    """How passed candidates are ordered when more pass than there are seats."""

    #: Headcount first, then area (the default; Shanghai practice).
    HEADCOUNT = "headcount"
    #: Area first, then headcount.
    AREA = "area"


class CountError(ValueError):
    """The inputs of a count do not fit together (a ballot from someone not registered,
    more names than seats, a name twice)."""


def candidate_order(candidate_id: str) -> tuple[int, int, str]:
    """Sort key of candidate ids: numbers by value (``"9"`` before ``"10"``), then text."""
    if candidate_id.isascii() and candidate_id.isdigit():
        return (0, int(candidate_id), candidate_id)
    return (1, 0, candidate_id)


def reaches(part: int, whole: int, bound: Fraction, *, strict: bool) -> bool:
    """``part / whole`` ≥ bound (or > bound when ``strict``), by integer cross-multiplying;
    never true of an empty whole."""
    if whole <= 0:
        return False
    lhs, rhs = part * bound.denominator, whole * bound.numerator
    return lhs > rhs if strict else lhs >= rhs


def check_ballot(choices: Iterable[str], seats: int) -> frozenset[str]:
    """One ballot's approved candidates: at most ``seats``, none named twice."""
    names = list(choices)
    chosen = frozenset(names)
    if len(chosen) != len(names):
        raise CountError("a candidate is named twice on one ballot")
    if len(chosen) > seats:
        raise CountError(f"a ballot names {len(chosen)} candidates for {seats} seats")
    return chosen


def fill_seats(passed: list[str], score: Mapping[str, tuple], seats: int
               ) -> tuple[list[str], list[str]]:
    """(elected in rank order, tied) from the passed candidates ranked by ``score``
    (higher first; equal scores keep id order). Candidates whose score equals that of the
    last seat's and who straddle the cut are tied: none of them is elected."""
    ranked = sorted(passed, key=lambda c: (tuple(-s for s in score[c]), candidate_order(c)))
    if len(ranked) <= seats:
        return ranked, []
    last = score[ranked[seats - 1]]
    if score[ranked[seats]] != last:
        return ranked[:seats], []
    tied = [c for c in ranked if score[c] == last]
    elected = [c for c in ranked[:seats] if score[c] != last]
    return elected, sorted(tied, key=candidate_order)


@dataclass(frozen=True, slots=True)
class CandidateCount:
    """One candidate's figures in an owners' committee election."""

    id: str
    area_agree_cents: int
    owners_agree: int
    passed: bool


@dataclass(frozen=True, slots=True)
class CommitteeOutcome:
    """Every figure of an owners' committee election, as printed for the 公示."""

    seats: int
    rank: Rank
    area_total_cents: int
    owners_total: int
    area_voted_cents: int
    owners_voted: int
    quorum_met: bool
    candidates: tuple[CandidateCount, ...]
    elected: tuple[str, ...]
    tied: tuple[str, ...]

    @property
    def unfilled(self) -> int:
        return self.seats - len(self.elected)

    @property
    def area_turnout(self) -> Fraction:
        return Fraction(self.area_voted_cents, self.area_total_cents) if self.area_total_cents else Fraction(0)

    @property
    def owners_turnout(self) -> Fraction:
        return Fraction(self.owners_voted, self.owners_total) if self.owners_total else Fraction(0)


def check_seats(seats: int) -> int:
    if isinstance(seats, bool) or not isinstance(seats, int) or not MIN_SEATS <= seats <= MAX_SEATS:
        raise CountError(f"the number of seats must be a whole number from {MIN_SEATS} to {MAX_SEATS}")
    return seats


def count_committee(areas: Mapping[Hashable, int], ballots: Mapping[Hashable, Iterable[str]],
                    seats: int, rank: Rank | str = Rank.HEADCOUNT,
                    candidates: Iterable[str] = ()) -> CommitteeOutcome:
    """Count an owners' committee election.

    ``areas`` maps every owner of the register to the total area (hundredths of m²) of
    their homes; ``ballots`` maps each owner who took part to the candidates they
    approve (possibly none). ``candidates`` adds candidates nobody named (listed with
    zero); every candidate named on a ballot is listed anyway.
    """
    seats = check_seats(seats)
    rank = Rank(rank)
    if not areas:
        raise CountError("the register has no homes")
    if any(isinstance(a, bool) or not isinstance(a, int) or a <= 0 for a in areas.values()):
        raise CountError("every owner's area must be a positive number of hundredths of m²")
    area_agree: dict[str, int] = dict.fromkeys(candidates, 0)
    owners_agree: dict[str, int] = dict.fromkeys(area_agree, 0)
    area_voted = owners_voted = 0
    for owner, choices in ballots.items():
        if owner not in areas:
            raise CountError(f"ballot from {owner!r}, who holds no home in the register")
        area = areas[owner]
        area_voted += area
        owners_voted += 1
        for candidate in check_ballot(choices, seats):
            area_agree[candidate] = area_agree.get(candidate, 0) + area
            owners_agree[candidate] = owners_agree.get(candidate, 0) + 1
    area_total, owners_total = sum(areas.values()), len(areas)
    quorum = (reaches(area_voted, area_total, QUORUM, strict=False)
              and reaches(owners_voted, owners_total, QUORUM, strict=False))
    ids = sorted(area_agree, key=candidate_order)
    passed = {c for c in ids if quorum
              and reaches(area_agree[c], area_voted, MAJORITY, strict=True)
              and reaches(owners_agree[c], owners_voted, MAJORITY, strict=True)}
    if rank is Rank.HEADCOUNT:
        score = {c: (owners_agree[c], area_agree[c]) for c in passed}
    else:
        score = {c: (area_agree[c], owners_agree[c]) for c in passed}
    elected, tied = fill_seats(sorted(passed, key=candidate_order), score, seats)
    return CommitteeOutcome(
        seats=seats, rank=rank, area_total_cents=area_total, owners_total=owners_total,
        area_voted_cents=area_voted, owners_voted=owners_voted, quorum_met=quorum,
        candidates=tuple(CandidateCount(c, area_agree[c], owners_agree[c], c in passed) for c in ids),
        elected=tuple(elected), tied=tuple(tied))


@dataclass(frozen=True, slots=True)
class ResidentsCandidate:
    id: str
    votes: int
    passed: bool


@dataclass(frozen=True, slots=True)
class ResidentsOutcome:
    """Every figure of a residents' committee election (one round)."""

    seats: int
    further_round: bool
    threshold: Fraction
    registered: int
    voted: int
    valid: bool
    candidates: tuple[ResidentsCandidate, ...]
    elected: tuple[str, ...]
    tied: tuple[str, ...]

    @property
    def unfilled(self) -> int:
        return self.seats - len(self.elected)


def count_residents(registered: int, ballots: Iterable[Iterable[str]], seats: int, *,
                    further_round: bool = False,
                    threshold: Fraction = FURTHER_ROUND_THRESHOLD,
                    candidates: Iterable[str] = ()) -> ResidentsOutcome:
    """Count a residents' committee election: ``registered`` voters (or representatives)
    on the register, one entry of ``ballots`` per voter who voted."""
    seats = check_seats(seats)
    if not isinstance(threshold, Fraction) or not 0 < threshold <= 1:
        raise CountError("the further round's threshold must be a fraction above 0 and at most 1")
    votes: dict[str, int] = dict.fromkeys(candidates, 0)
    voted = 0
    for ballot in ballots:
        voted += 1
        for candidate in check_ballot(ballot, seats):
            votes[candidate] = votes.get(candidate, 0) + 1
    if voted > registered:
        raise CountError(f"{voted} ballots for {registered} registered voters")
    valid = reaches(voted, registered, MAJORITY, strict=True)
    ids = sorted(votes, key=candidate_order)
    if further_round:
        passed = {c for c in ids if valid and reaches(votes[c], voted, threshold, strict=False)}
    else:
        passed = {c for c in ids if valid and reaches(votes[c], voted, MAJORITY, strict=True)}
    elected, tied = fill_seats(sorted(passed, key=candidate_order),
                               {c: (votes[c],) for c in passed}, seats)
    return ResidentsOutcome(
        seats=seats, further_round=further_round, threshold=threshold, registered=registered,
        voted=voted, valid=valid,
        candidates=tuple(ResidentsCandidate(c, votes[c], c in passed) for c in ids),
        elected=tuple(elected), tied=tuple(tied))


# --- an election's period and what each state allows --------------------------------


class ElectionState(StrEnum):
    """Where an election stands: a pure function of its period and the time."""

    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


def election_state(opens_at: datetime, closes_at: datetime, now: datetime) -> ElectionState:
    """Voting runs from ``opens_at`` (included) to ``closes_at`` (excluded)."""
    if now < opens_at:
        return ElectionState.SCHEDULED
    if now < closes_at:
        return ElectionState.OPEN
    return ElectionState.CLOSED


_ANY = frozenset(ElectionState)
_SCHEDULED = frozenset({ElectionState.SCHEDULED})
_OPEN = frozenset({ElectionState.OPEN})
_CLOSED = frozenset({ElectionState.CLOSED})

#: Every privileged action on an election and the states it is allowed in. Candidates
#: (and with them the ballot paper) are fixed when voting opens; ballots come in only
#: while it is open; the result, and the per-home export, exist from the close, when
#: every input of the count is frozen. Services ask :func:`allows`, nothing else.
ELECTION_ACTIONS: dict[str, frozenset[ElectionState]] = {
    "edit_candidates": _SCHEDULED,
    "cast_ballot": _OPEN,
    "enter_paper": _OPEN,
    "enter_proxy": _OPEN,
    "resolve_paper": _OPEN,
    "view_gauge": _ANY,
    "view_door_to_door": _ANY,
    "view_result": _CLOSED,
    "export_ballots": _CLOSED,
    "export_register": _ANY,
}


def allows(action: str, state: ElectionState) -> bool:
    return state in ELECTION_ACTIONS[action]


def voter_message(election_id: int, owner_digest: str) -> str:
    """What a ballot's voter key is the HMAC of: the election and the owner (a digest of
    the developer or of the co-owners' names). Without the ballot key the key names
    nobody, and the same owner has unrelated keys in two elections."""
    return f"owner_election:{election_id}:owner:{owner_digest}"


def ballot_day(when: datetime) -> datetime:
    """The time kept with a ballot: the start of its day in Beijing time (as UTC), so that
    ballot times cannot be matched with the exact times of anything else."""
    from datetime import UTC

    from consult.clock import to_local

    return to_local(when).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


# --- residents' committee elections ------------------------------------------------------

class ResidentMode(StrEnum):
    """Who votes (城市居民委员会组织法 art. 8)."""

    VOTERS = "voters"  # all registered voters of the area
    HOUSEHOLDS = "households"  # one representative per household
    GROUPS = "groups"  # two or three representatives of each residents' group


VOTING_AGE = 18

#: What each state of a residents' committee election allows: the register and the
#: candidates change only before voting (the list once published is final), ballots only
#: while open, the result from the close.
RESIDENT_ACTIONS: dict[str, frozenset[ElectionState]] = {
    "edit_register": _SCHEDULED,
    "edit_candidates": _SCHEDULED,
    "publish_candidates": _SCHEDULED,
    "cast_ballot": _OPEN,
    "enter_paper": _OPEN,
    "view_turnout": _ANY,
    "view_result": _CLOSED,
    "export_register": _ANY,
    "export_ballots": _CLOSED,
}


def resident_allows(action: str, state: ElectionState) -> bool:
    return state in RESIDENT_ACTIONS[action]


def age_on(birth: date, day: date) -> int:
    """Whole years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def list_problem(candidates: int, seats: int, allow_equal_list: bool) -> str | None:
    """Why a candidate list cannot be published: more candidates than seats (差额) unless
    the local rules allow an equal list; never fewer than seats."""
    if candidates < seats:
        return "too_few"
    if candidates == seats and not allow_equal_list:
        return "equal_list"
    return None


def resident_voter_message(election_id: int, voter_id: int) -> str:
    return f"resident_election:{election_id}:voter:{voter_id}"


class NominatedBy(StrEnum):
    """Who nominates a candidate: registered voters, or household representatives."""

    VOTERS = "voters"
    HOUSEHOLDS = "households"


def nominator_count(by: str, nominators: Iterable[tuple[int, str | None]]) -> int:
    """How many nominators count: each voter once; by households, each household once
    (a voter with no household recorded does not represent one)."""
    if by == NominatedBy.HOUSEHOLDS:
        return len({household for _, household in nominators if household})
    return len({voter for voter, _ in nominators})


def group_problems(groups: Iterable[str | None]) -> dict[str, int]:
    """The residents' groups with fewer than two representatives on the register, and how
    many each has (mode ``groups``: two or three per group)."""
    counts: dict[str, int] = {}
    for group in groups:
        if group:
            counts[group] = counts.get(group, 0) + 1
    return {group: n for group, n in sorted(counts.items()) if n < MIN_GROUP_REPRESENTATIVES}


MIN_GROUP_REPRESENTATIVES = 2
MAX_GROUP_REPRESENTATIVES = 3
