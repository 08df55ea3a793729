"""Voting tables: a vote round's settings, ballots and their choices, paper entry, results.

One ballot per voter per round is the database's job: ``UNIQUE(round_id, voter_key)``
on :class:`Ballot`, whatever the channel. ``voter_key`` names the voter, not the
channel, so one constraint covers the web and paper. It is an HMAC under the ballot
key, which is not in the database (``consult.voting.secrecy``), of

- ``round:<round>:user:<user id>``: a verified resident with an account, voting on the
  web or on a paper ballot that staff enter for them (a paper-only resident linked to
  the account they opened later votes under the account's key);
- ``round:<round>:home:<home id>``: one ballot per home (owner eligibility);
- ``round:<round>:paper:<paper voter id>``: a resident without an account, registered by staff
  before voting_0009 (since then a paper-only voter is a managed resident, an account
  record without a login, and votes under ``user``; the migration re-keyed these);

or ``import:<voter id>`` for a ballot read from a pabulib file (no person behind it).

Ballot secrecy (see the README's "What the platform guarantees"): no ballot row names
an account; ballot ids are random, so neither ids nor, on SQLite, the tables' physical
order tell the order of voting (``ballot_choice`` is a WITHOUT ROWID table keyed by
ballot id); ballot times are kept to the day. A changed web ballot is the same row
with its choices replaced. Paper serials are unique per round (``UNIQUE(round_id,
serial)``; NULL for web ballots never collides).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from consult.clock import utcnow
from consult.db.ids import RANDOM_ID, random_id
from consult.voting.rules import ballot_day

#: ballot ids: random 63-bit numbers (``consult.db.ids.random_id``), so that neither the ids
#: nor (on SQLite) the order of the rows tells in which order ballots were cast
BALLOT_ID = RANDOM_ID


def new_ballot_id() -> int:
    return random_id()


def today() -> datetime:
    return ballot_day(utcnow())


class VoteSettings(SQLModel, table=True):
    """How one vote round is voted and counted (see ``consult.voting.rules``)."""

    __tablename__ = "vote_settings"

    round_id: int = Field(primary_key=True, foreign_key="consultation_round.id",
                          ondelete="CASCADE")
    #: approval | approval_budget | cumulative | ordinal | choose_one
    ballot_kind: str = Field(default="approval_budget", max_length=20)
    min_choices: int = Field(default=0)
    max_choices: int | None = None
    #: cumulative: the points a voter distributes, and at most this many on one idea
    max_points: int | None = None
    max_points_per_idea: int | None = None
    #: ordinal: rank up to ``ranking_length`` ideas; the idea ranked r-th gets points_per_rank[r]
    ranking_length: int | None = None
    points_per_rank: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    #: a rule of ``consult.voting.tally.RULES``
    rule: str = Field(default="greedy", max_length=40)
    #: only ideas scoring at least this can be selected, whatever the rule (an idea's
    #: score is its votes, or points); 1 for new rounds, so nobody's-choice is never funded;
    #: None (rounds saved before, imports whose file has no threshold): no minimum
    min_score: int | None = 1
    k: int | None = None
    #: the budget of this vote, when not the consultation's
    budget_fen: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    #: residents | owners (one ballot per home)
    eligibility: str = Field(default="residents", max_length=12)
    #: paper ballots count only once a second staff member keyed them identically
    double_key: bool = Field(default=False)
    #: length of the notice period (公示期) after publication, in days
    notice_days: int = Field(default=7)
    #: a linked family member (亲情账号) may cast the ballot of a resident they act for;
    #: such a ballot is flagged ``Ballot.assisted`` (residents' rounds only; issue 17)
    assisted_voting: bool = Field(default=False)
    #: what an import brought along: the file's META and its project ids by idea id
    source: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    #: raised by the database, never by the app: triggers on ``ballot`` (migration
    #: voting_0013) add one whenever a ballot of the round is inserted or deleted or changes
    #: what turnout counts, in the writer's transaction, whoever the writer is (a web
    #: ballot, paper entry, a dispute decided, an import, the demo, a deletion). The open
    #: round's turnout is kept per process under it (``services.results.turnout``): it is
    #: read with the round, so every worker sees a change on its next request
    ballots_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class RegisterVersion(SQLModel, table=True):
    """How often each table the eligible counts are read from has changed: one row per
    table (``place``, ``role_assignment``, ``home``, ``paper_voter``), raised by the
    database's triggers (migration voting_0013) in the writer's transaction.

    The eligible residents and homes of a round's turnout change without a ballot (a
    resident verified, a paper voter registered, a home added, a place moved). The
    turnout kept per process (``services.results.turnout``) is keyed by these numbers too,
    read in the request, so no worker shows the register as it was. A counter per table
    rather than one for all: writers of different tables never wait for each other's row.
    """

    __tablename__ = "register_version"

    name: str = Field(primary_key=True, max_length=40)
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class PaperVoter(SQLModel, table=True):
    """A resident who votes only on paper, registered by staff: the voting register's entry
    for a managed resident (``user_id``: their record without a login, or the account
    they opened and were linked to later)."""

    __tablename__ = "paper_voter"
    __table_args__ = (
        UniqueConstraint("area_id", "name", "id_last4"),
        Index("uq_paper_voter_user_id", "user_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="place.id", index=True)
    building_group_id: int | None = Field(default=None, foreign_key="place.id")
    name: str = Field(max_length=40)
    #: the last four characters of the identity card, to tell namesakes apart
    id_last4: str = Field(max_length=4)
    note: str = Field(default="", max_length=100)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    #: the person: their managed resident record (no login), or the account they opened
    #: themselves and staff linked once (``services.link_paper_voter``); they vote as it,
    #: on paper or online. None only for rows from before voting_0009
    user_id: int | None = Field(default=None, foreign_key="user.id")


class Ballot(SQLModel, table=True):
    """One voter's ballot in one round; its choices are :class:`BallotChoice` rows."""

    __table_args__ = (
        UniqueConstraint("round_id", "voter_key"),
        UniqueConstraint("round_id", "serial"),
        # Only the ballots waiting for a second key or disputed are looked up by status; a
        # web ballot (counted) is not indexed here, one B-tree page fewer written per ballot.
        Index("ix_ballot_round_uncounted", "round_id", "status",
              sqlite_where=text("status <> 'counted'"), postgresql_where=text("status <> 'counted'")),
    )

    id: int = Field(default_factory=new_ballot_id,
                    sa_column=Column(BALLOT_ID, primary_key=True, autoincrement=False))
    round_id: int = Field(foreign_key="consultation_round.id", ondelete="CASCADE")
    #: the voter's key (see the module's docstring): no account id is stored with a ballot
    voter_key: str = Field(max_length=40)
    #: web | paper | import
    channel: str = Field(max_length=8)
    #: counted | pending (waiting for the second key) | disputed (the two keys differ)
    status: str = Field(default="counted", max_length=10)
    #: a home's web ballot: the key of the owner who cast it (``secrecy.user_key``), so that
    #: only they change it; None for every other ballot (the voter key is the voter's)
    cast_by: str | None = Field(default=None, max_length=40)
    #: where the voter lives, for turnout by area and building group
    area_id: int | None = Field(default=None, foreign_key="place.id")
    building_group_id: int | None = Field(default=None, foreign_key="place.id")
    serial: str | None = Field(default=None, max_length=40)
    #: the receipt code is shown once; only its SHA-256 and a short prefix are kept
    receipt_prefix: str | None = Field(default=None, max_length=8)
    receipt_hash: str | None = Field(default=None, max_length=64, unique=True)
    #: the day (its start in Beijing time, ``rules.ballot_day``), never the time of day
    created_at: datetime = Field(default_factory=today)
    updated_at: datetime = Field(default_factory=today)
    entered_by: int | None = Field(default=None, foreign_key="user.id")
    #: cast (last) by a family member acting for the voter (``VoteSettings.assisted_voting``):
    #: counted in turnout as 代办. It names nobody: the person's record does not log the
    #: ballot (``consult.accounts.acting.UNLOGGED_FOR_FAMILY``), their own page finds it by
    #: their key
    assisted: bool = Field(default=False)
    #: the ballot as counted (``rules.counted_line``), written with its choices: counting a
    #: city's million ballots sorts this one column instead of aggregating the choices of
    #: each. None: not written (ballots stored before voting_0011 by code that did not);
    #: counting then builds it from the choices. A recount always does.
    line: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class BallotChoice(SQLModel, table=True):
    """An idea on a ballot: approval 1 point, cumulative its points, ordinal its rank's points.

    Keyed by (ballot, idea), no id of its own: on SQLite a WITHOUT ROWID table, stored in
    the order of the random ballot ids rather than in the order ballots were cast."""

    __tablename__ = "ballot_choice"
    __table_args__ = ({"sqlite_with_rowid": False},)

    ballot_id: int = Field(sa_column=Column(BALLOT_ID, ForeignKey("ballot.id", ondelete="CASCADE"),
                                            primary_key=True, autoincrement=False))
    idea_id: int = Field(foreign_key="idea.id", primary_key=True, index=True)
    points: int = Field(default=1)
    #: 1 for the first choice of an ordinal ballot; None otherwise
    rank: int | None = None


class PaperEntry(SQLModel, table=True):
    """One staff member's keying of a paper ballot (two of them in double-key mode)."""

    __tablename__ = "paper_entry"
    __table_args__ = (UniqueConstraint("round_id", "serial", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="consultation_round.id", index=True, ondelete="CASCADE")
    serial: str = Field(max_length=40)
    position: int
    voter_key: str = Field(max_length=40)
    #: the choices keyed, canonical: [[idea id, points, rank or null], ...]
    choices: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    entered_by: int = Field(foreign_key="user.id")
    entered_at: datetime = Field(default_factory=utcnow)


class VoteResult(SQLModel, table=True):
    """A published result: computed once, at publication, and recountable from the ballots."""

    __tablename__ = "vote_result"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="consultation_round.id", unique=True, ondelete="CASCADE")
    rule: str = Field(max_length=40)
    parameters: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: idea id (as text) → score
    scores: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: idea ids in the order the rule selected them
    selected: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    ballot_digest: str = Field(max_length=64)
    ballots: int
    tie_breaking: str = Field(max_length=200)
    published_at: datetime = Field(default_factory=utcnow)
    published_by: int | None = Field(default=None, foreign_key="user.id")
    notice_until: datetime
    finalized_at: datetime | None = None
    finalized_by: int | None = Field(default=None, foreign_key="user.id")
    #: turnout when published (``services.results.turnout_snapshot``): counts by channel,
    #: status, area and building group, with the eligible; None for results published
    #: before it was kept (their turnout is counted from the ballots)
    turnout: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class PublishJob(SQLModel, table=True):
    """Publishing a round's result, run off the request (``services.jobs``): counting a
    city's million ballots takes a minute or more, which no request should wait for.

    One row per round (a retry after a failure reuses it): the unique round makes two
    publications of one round at once impossible, whatever the workers do. Its state is
    queued → running → done or failed; publication itself stays one transaction (the
    round's row locked, ``services.results.publish``), so a job whose worker died left
    nothing half-published and is simply run again.
    """

    __tablename__ = "vote_publish_job"

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="consultation_round.id", unique=True, ondelete="CASCADE")
    #: queued | running | done | failed
    state: str = Field(default="queued", max_length=8)
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    requested_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    #: the counted ballots when it was asked for (what the page says it is counting)
    ballots: int = 0
    attempts: int = 0
    #: a failure's message (msgid) and its parameters, translated when shown
    error: str | None = Field(default=None, max_length=500)
    error_params: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class VoteExport(SQLModel, table=True):
    """A published round's ballots as a file, built once at publication (``services.exports``):
    the file's name in the exports directory, its SHA-256 and size."""

    __tablename__ = "vote_export"

    round_id: int = Field(primary_key=True, foreign_key="consultation_round.id", ondelete="CASCADE")
    #: pb | csv
    format: str = Field(primary_key=True, max_length=4)
    name: str = Field(max_length=120)
    sha256: str = Field(max_length=64)
    size: int
    created_at: datetime = Field(default_factory=utcnow)


class Objection(SQLModel, table=True):
    """A resident's objection during the notice period, answered publicly by a moderator.

    One open (unanswered) objection per resident and round: ``uq_objection_open``, partial
    on ``answered_at IS NULL``; the resident edits it (``edited_at``) instead of adding more."""

    __table_args__ = (
        Index("uq_objection_open", "round_id", "user_id", unique=True,
              sqlite_where=text("answered_at IS NULL"), postgresql_where=text("answered_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="consultation_round.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", index=True)
    body: str = Field(max_length=4000)
    created_at: datetime = Field(default_factory=utcnow)
    edited_at: datetime | None = None
    answer: str | None = Field(default=None, max_length=1000)
    answered_at: datetime | None = None
    answered_by: int | None = Field(default=None, foreign_key="user.id")
