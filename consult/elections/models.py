"""Owners' committee elections: the election, its frozen register, candidates, ballots
and proxy forms.

**One ballot per owner** is the database's job: ``UNIQUE(election_id, voter_key,
active)``; ``active`` is NULL on a ballot set aside (a paper keying replaced), and NULLs
never collide. Paper serials are unique per election the same way.

**Secrecy.** A ballot row names nobody: ``voter_key`` is an HMAC, under the ballot key
(``consult.secrecy``, never in the database), of ``owner_election:<id>:owner:<owner
digest>`` (:func:`consult.elections.rules.voter_message`). It holds no home, account,
area or time of day: its id is random (on SQLite the rows lie in the order of their ids),
its day is the day in Beijing time. The app finds whether an owner has voted, and which
homes a ballot counts for, by computing the keys of the register's owners; a copy of the
database without the key tells how many voted, by channel, and every ballot's choices,
not whose ballot is whose. Proxy forms (委托书) are kept apart, in :class:`ElectionProxy`,
with no reference to the ballot.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from consult.clock import utcnow
from consult.db.ids import RANDOM_ID, random_id
from consult.elections.rules import ballot_day


def _today() -> datetime:
    return ballot_day(utcnow())


class OwnerElection(SQLModel, table=True):
    """An election of an estate's owners' committee (业主委员会)."""

    __tablename__ = "owner_election"

    id: int | None = Field(default=None, primary_key=True)
    estate_id: int = Field(foreign_key="place.id", index=True)
    title: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    seats: int
    #: ``headcount`` or ``area`` (:class:`consult.elections.rules.Rank`), stated before voting
    rank: str = Field(default="headcount", max_length=16)
    opens_at: datetime
    closes_at: datetime
    #: Paper ballots count only once two staff members have keyed them identically.
    paper_double_key: bool = Field(default=True)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class OwnerElectionRegister(SQLModel, table=True):
    """The register the election is counted against, as ``homes.csv`` text: taken when
    the election is created, refreshed until voting opens, then frozen."""

    __tablename__ = "owner_election_register"

    election_id: int = Field(foreign_key="owner_election.id", primary_key=True, ondelete="CASCADE")
    homes_csv: str = Field(sa_column=Column(Text, nullable=False))
    taken_at: datetime = Field(default_factory=utcnow)


class ElectionCandidate(SQLModel, table=True):
    """A candidate on the ballot paper; fixed once voting opens."""

    __tablename__ = "election_candidate"

    id: int | None = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="owner_election.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    statement: str = Field(default="", sa_column=Column(Text, nullable=False))
    #: stored name of the photo under media/elections/ (re-encoded, EXIF stripped), if any
    photo: str | None = Field(default=None, max_length=80)
    created_at: datetime = Field(default_factory=utcnow)


class ElectionBallot(SQLModel, table=True):
    """One owner's ballot, whichever way it reached us (see the module docstring).

    ``status``: ``final`` (web, proxy, single-keyed paper) and ``confirmed`` (paper keyed
    twice, identically) count; ``awaiting_second`` and ``mismatch`` hold the owner's
    place and are not counted until a second (or third) person keys the paper."""

    __tablename__ = "election_ballot"
    __table_args__ = (
        UniqueConstraint("election_id", "voter_key", "active"),
        UniqueConstraint("election_id", "paper_serial", "active"),
    )

    id: int = Field(default_factory=random_id,
                    sa_column=Column(RANDOM_ID, primary_key=True, autoincrement=False))
    election_id: int = Field(foreign_key="owner_election.id", index=True, ondelete="CASCADE")
    voter_key: str = Field(max_length=40)
    #: the approved candidate ids, ascending, separated by ``;`` (empty: no one)
    candidates: str = Field(default="", max_length=1000)
    channel: str = Field(max_length=8)
    status: str = Field(default="final", max_length=16)
    active: bool | None = Field(default=True)
    paper_serial: str | None = Field(default=None, max_length=40)
    #: staff who keyed a paper ballot (they saw the paper); never set for a web ballot
    keyed_by: int | None = Field(default=None, foreign_key="user.id")
    second_voter_key: str | None = Field(default=None, max_length=40)
    second_candidates: str | None = Field(default=None, max_length=1000)
    second_by: int | None = Field(default=None, foreign_key="user.id")
    #: the day (its start in Beijing time), never the time of day
    cast_day: datetime = Field(default_factory=_today)


class ElectionProxy(SQLModel, table=True):
    """A written proxy (委托书) handed in for a home: who held it and the scanned form.
    Not linked to the ballot it brought."""

    __tablename__ = "election_proxy"

    id: int | None = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="owner_election.id", index=True, ondelete="CASCADE")
    home_code: str = Field(max_length=40)
    holder: str = Field(max_length=80)
    scan: str | None = Field(default=None, max_length=80)
    entered_by: int | None = Field(default=None, foreign_key="user.id")
    entered_day: datetime = Field(default_factory=_today)


class ResidentElection(SQLModel, table=True):
    """An election of a residents' committee (居民委员会), by the registered voters of a
    residential area, by one representative per household, or by representatives of the
    residents' groups (``mode``: voters, households, groups)."""

    __tablename__ = "resident_election"

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="place.id", index=True)
    title: str = Field(max_length=120)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    mode: str = Field(default="voters", max_length=16)
    seats: int
    #: local rules allow as many candidates as seats (等额); otherwise more are needed (差额)
    allow_equal_list: bool = Field(default=False)
    #: a further round (另行选举) for unfilled seats: the threshold, not "more than half"
    further_round: bool = Field(default=False)
    threshold_numerator: int = Field(default=1)
    threshold_denominator: int = Field(default=3)
    #: the final list of candidates is published at least this many days before voting opens
    list_notice_days: int = Field(default=5)
    #: a candidate is nominated by at least this many voters, or by at least
    #: ``nominations_households`` household representatives
    nominations_voters: int = Field(default=10)
    nominations_households: int = Field(default=5)
    election_day: date
    opens_at: datetime
    closes_at: datetime
    candidates_published_at: datetime | None = None
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class ResidentVoter(SQLModel, table=True):
    """One entry of the voter register (选民登记), published for objections before the
    election; a removal keeps the row with who removed it and why.

    The mode's limits stand in the database too, not only in the service: a household's
    representative (mode ``households``) holds ``household_seat`` 1 and a residents'
    group's representative (mode ``groups``) one of ``group_seat`` 1-3; a partial unique
    index over the register's active rows lets one person hold each seat, so two staff
    adding at once cannot put two representatives on one household or four on a group."""

    __tablename__ = "resident_voter"
    __table_args__ = (
        CheckConstraint("household_seat IS NULL OR (household_seat = 1 AND household IS NOT NULL)",
                        name="ck_resident_voter_household_seat"),
        CheckConstraint("group_seat IS NULL OR (group_seat BETWEEN 1 AND 3 AND residents_group IS NOT NULL)",
                        name="ck_resident_voter_group_seat"),
        Index("uix_resident_voter_household_seat", "election_id", "household", "household_seat", unique=True,
              sqlite_where=text("removed_at IS NULL AND household_seat IS NOT NULL"),
              postgresql_where=text("removed_at IS NULL AND household_seat IS NOT NULL")),
        Index("uix_resident_voter_group_seat", "election_id", "residents_group", "group_seat", unique=True,
              sqlite_where=text("removed_at IS NULL AND group_seat IS NOT NULL"),
              postgresql_where=text("removed_at IS NULL AND group_seat IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="resident_election.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    birth_date: date
    #: the voter's account, when they have one (to vote online); None for managed residents
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    #: the household (e.g. its address 3-201) the voter represents or belongs to, if recorded
    household: str | None = Field(default=None, max_length=40)
    #: the residents' group (居民小组) the voter represents (mode ``groups``)
    residents_group: str | None = Field(default=None, max_length=40)
    #: 1 for a household's representative (mode ``households``), else None
    household_seat: int | None = None
    #: 1, 2 or 3 for a residents' group's representative (mode ``groups``), else None
    group_seat: int | None = None
    added_by: int | None = Field(default=None, foreign_key="user.id")
    added_at: datetime = Field(default_factory=utcnow)
    removed_by: int | None = Field(default=None, foreign_key="user.id")
    removed_at: datetime | None = None
    removal_reason: str | None = Field(default=None, max_length=200)


class ResidentCandidate(SQLModel, table=True):
    __tablename__ = "resident_candidate"

    id: int | None = Field(default=None, primary_key=True)
    election_id: int = Field(foreign_key="resident_election.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    statement: str = Field(default="", sa_column=Column(Text, nullable=False))
    #: ``voters`` or ``households``: who nominated the candidate (see
    #: :class:`ResidentNominator`); None only for candidates entered before nominations
    nominated_by: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow)


class ResidentNominator(SQLModel, table=True):
    """A registered voter who nominated a candidate; each counted once (the key)."""

    __tablename__ = "resident_nominator"

    candidate_id: int = Field(foreign_key="resident_candidate.id", primary_key=True, ondelete="CASCADE")
    voter_id: int = Field(foreign_key="resident_voter.id", primary_key=True)


class ResidentBallot(SQLModel, table=True):
    """One voter's secret ballot: ``voter_key`` is an HMAC under the ballot key of
    ``resident_election:<id>:voter:<register entry>``; no account, name or time of day."""

    __tablename__ = "resident_ballot"
    __table_args__ = (UniqueConstraint("election_id", "voter_key"),)

    id: int = Field(default_factory=random_id,
                    sa_column=Column(RANDOM_ID, primary_key=True, autoincrement=False))
    election_id: int = Field(foreign_key="resident_election.id", index=True, ondelete="CASCADE")
    voter_key: str = Field(max_length=40)
    candidates: str = Field(default="", max_length=1000)
    channel: str = Field(max_length=8)
    keyed_by: int | None = Field(default=None, foreign_key="user.id")
    cast_day: datetime = Field(default_factory=_today)
