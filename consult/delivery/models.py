"""Delivery tables: projects, their budget entries, co-funding pledges, milestones,
acceptance sign-offs, residents' ratings, and the register's safety checks and repairs.

Money is integer fen everywhere. Budget entries and pledge entries are append-only: a
correction is a new entry (a negative amount), so the sums of the entries are the
figures, and ``Pledge.received``/``used`` are kept equal to the sums of its entries in
the same transaction (a guarded UPDATE, so two staff recording receipts at once never
receive more than was pledged). The project's timeline is ``ProjectEvent``: every state,
milestone, budget entry, pledge step, sign-off and check, with who, when and why.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from consult.clock import utcnow


class Project(SQLModel, table=True):
    __tablename__ = "delivery_project"

    id: int | None = Field(default=None, primary_key=True)
    #: the idea it delivers (one project per idea), the round and consultation it came from
    idea_id: int | None = Field(default=None, unique=True)
    round_id: int | None = Field(default=None, index=True)
    consultation_id: int | None = Field(default=None, index=True)
    #: who proposed the idea: they never sign its acceptance (nobody decides their own request)
    proposer_id: int | None = Field(default=None, foreign_key="user.id")
    place_id: int = Field(foreign_key="place.id", index=True)
    #: the residential area (the place path's second id), for per-area overviews
    area_id: int | None = Field(default=None, foreign_key="place.id", index=True)
    title: str = Field(max_length=80)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    category: str = Field(max_length=16)  # rules.CATEGORIES
    kind: str = Field(default="other", max_length=16)  # rules.KINDS (the checklist)
    location: str = Field(default="", max_length=120)
    year: int
    budget_fen: int = Field(default=0, ge=0)
    state: str = Field(default="planned", max_length=12, index=True)  # rules.STATES
    delivery_party: str = Field(max_length=16)  # rules.PARTIES
    delivery_unit: str = Field(default="", max_length=80)
    upkeep_party: str = Field(max_length=16)
    upkeep_unit: str = Field(default="", max_length=80)
    contact_name: str = Field(default="", max_length=40)
    contact_phone: str = Field(default="", max_length=20)
    #: 共筹: the residents' meeting decision (the legal gate before money is taken)
    meeting_on: date | None = None
    meeting_record: str | None = Field(default=None, max_length=64)  # a scanned record (photo key)
    public_appeal: bool = False
    appeal_partner: str = Field(default="", max_length=80)  # the 公募 organisation
    accepted_on: date | None = None
    #: the register: a check every ``check_interval_days`` from acceptance
    check_interval_days: int = Field(default=365, gt=0)
    next_check_due: date | None = Field(default=None, index=True)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ProjectEvent(SQLModel, table=True):
    """The timeline, append-only."""

    __tablename__ = "delivery_event"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="delivery_project.id", index=True, ondelete="CASCADE")
    at: datetime = Field(default_factory=utcnow)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=24)  # rules.EVENTS
    note: str = Field(default="", max_length=500)
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class BudgetLine(SQLModel, table=True):
    __tablename__ = "delivery_budget_line"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="delivery_project.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=60)
    required: bool = True
    position: int = 0


class BudgetEntry(SQLModel, table=True):
    """One change of a line's planned, committed or spent money from one source."""

    __tablename__ = "delivery_budget_entry"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="delivery_project.id", index=True, ondelete="CASCADE")
    line_id: int = Field(foreign_key="delivery_budget_line.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=12)  # planned | committed | spent
    source: str = Field(max_length=16)  # rules.SOURCES
    amount_fen: int  # a correction is negative
    reason: str = Field(max_length=200)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


class Pledge(SQLModel, table=True):
    """A 共筹 pledge: money (fen) or goods, labour hours, a venue or equipment (whole units)."""

    __tablename__ = "delivery_pledge"
    __table_args__ = (
        CheckConstraint("received >= 0 AND received <= quantity", name="ck_pledge_received"),
        CheckConstraint("used >= 0 AND used <= received", name="ck_pledge_used"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="delivery_project.id", index=True, ondelete="CASCADE")
    pledger_kind: str = Field(max_length=16)  # household | organisation | unit
    pledger_name: str = Field(max_length=80)
    #: the pledger's account (a household pledging online); None when staff entered it
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    kind: str = Field(max_length=12)  # rules.PLEDGE_KINDS
    unit: str = Field(max_length=16)
    quantity: int = Field(gt=0)
    received: int = 0
    used: int = 0
    returned: bool = False
    state: str = Field(default="pledged", max_length=12)  # rules.PLEDGE_STATES
    show_name: bool = False  # the pledger's consent to be named publicly
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class PledgeEntry(SQLModel, table=True):
    """Each step of a pledge, with its receipt."""

    __tablename__ = "delivery_pledge_entry"

    id: int | None = Field(default=None, primary_key=True)
    pledge_id: int = Field(foreign_key="delivery_pledge.id", index=True, ondelete="CASCADE")
    action: str = Field(max_length=12)  # pledge | change | confirm | receive | use | return | withdraw
    quantity: int = 0
    receipt: str = Field(default="", max_length=12)  # paper | account | ""
    receipt_key: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=200)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)
    #: a receipt confirmed (four eyes): by the pledger in their account, or by a second
    #: staff member, never by who recorded it (``confirmed_how``: pledger | staff)
    confirmed_by: int | None = Field(default=None, foreign_key="user.id")
    confirmed_how: str = Field(default="", max_length=8)
    confirmed_at: datetime | None = None


class Milestone(SQLModel, table=True):
    __tablename__ = "delivery_milestone"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="delivery_project.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=80)
    happened_on: date
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    phase: str = Field(default="during", max_length=8)  # before | during | after
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class DeliveryPhoto(SQLModel, table=True):
    """A photo (re-encoded, EXIF stripped) of a milestone or of a checked item."""

    __tablename__ = "delivery_photo"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="delivery_project.id", index=True, ondelete="CASCADE")
    milestone_id: int | None = Field(default=None, foreign_key="delivery_milestone.id", index=True,
                                     ondelete="CASCADE")
    check_item_id: int | None = Field(default=None, foreign_key="delivery_check_item.id", index=True,
                                      ondelete="CASCADE")
    key: str = Field(max_length=64)
    position: int = 0


class DeliveryDocument(SQLModel, table=True):
    """A PDF of a milestone (a plan, an invoice, a report), kept as uploaded under
    ``media/delivery/<key>.pdf`` and served only as a download."""

    __tablename__ = "delivery_document"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="delivery_project.id", index=True, ondelete="CASCADE")
    milestone_id: int = Field(foreign_key="delivery_milestone.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=64)
    filename: str = Field(max_length=120)
    size: int
    position: int = 0


class SignOff(SQLModel, table=True):
    """Acceptance (验收): one sign-off by staff and one by a residents' representative,
    two different people; the second makes the project accepted."""

    __tablename__ = "delivery_signoff"
    __table_args__ = (UniqueConstraint("project_id", "capacity"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="delivery_project.id", index=True, ondelete="CASCADE")
    capacity: str = Field(max_length=12)  # staff | residents
    user_id: int = Field(foreign_key="user.id")
    note: str = Field(default="", max_length=500)
    record_key: str | None = Field(default=None, max_length=64)
    at: datetime = Field(default_factory=utcnow)


class ProjectRating(SQLModel, table=True):
    """1–5 stars after completion, one per resident and wave (30 or 180 days); a paper card
    entered by staff has its serial instead of an account."""

    __tablename__ = "delivery_rating"
    __table_args__ = (
        UniqueConstraint("project_id", "wave", "user_id", name="uq_delivery_rating_user"),
        UniqueConstraint("project_id", "wave", "card", name="uq_delivery_rating_card"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="ck_delivery_rating_stars"),
    )

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="delivery_project.id", index=True, ondelete="CASCADE")
    wave: int  # 30 | 180
    user_id: int | None = Field(default=None, foreign_key="user.id")
    card: str | None = Field(default=None, max_length=20)
    channel: str = Field(max_length=8)  # app | sms | paper
    stars: int
    comment: str = Field(default="", max_length=300)
    entered_by: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


class RatingInvitation(SQLModel, table=True):
    """The invitation to rate a project at 30 or 180 days, sent once per project and wave
    (by ``checks-due``): how many residents were told in the app and by text message."""

    __tablename__ = "delivery_rating_invitation"
    __table_args__ = (UniqueConstraint("project_id", "wave", name="uq_delivery_invitation"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="delivery_project.id", index=True, ondelete="CASCADE")
    wave: int  # 30 | 180
    told: int = 0
    texted: int = 0
    sent_at: datetime = Field(default_factory=utcnow)


class SafetyCheck(SQLModel, table=True):
    __tablename__ = "delivery_check"

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="delivery_project.id", index=True, ondelete="CASCADE")
    checked_on: date
    checker_id: int | None = Field(default=None, foreign_key="user.id")
    failed: int = 0
    #: the repair this check re-checks, if it is one
    repair_id: int | None = Field(default=None)
    at: datetime = Field(default_factory=utcnow)


class CheckItem(SQLModel, table=True):
    __tablename__ = "delivery_check_item"

    id: int | None = Field(default=None, primary_key=True)
    check_id: int = Field(foreign_key="delivery_check.id", index=True, ondelete="CASCADE")
    item: str = Field(max_length=24)  # a key of rules.CHECKLISTS
    result: str = Field(max_length=4)  # pass | fail | na
    note: str = Field(default="", max_length=200)


class Repair(SQLModel, table=True):
    """What a failed item opens: who repairs it by when; a re-check that passes closes it."""

    __tablename__ = "delivery_repair"
    __table_args__ = (Index("ix_delivery_repair_open", "state", "due_on"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="delivery_project.id", index=True, ondelete="CASCADE")
    check_item_id: int = Field(foreign_key="delivery_check_item.id", ondelete="CASCADE")
    item: str = Field(max_length=24)
    party: str = Field(max_length=16)
    unit: str = Field(default="", max_length=80)
    due_on: date
    state: str = Field(default="open", max_length=8)  # open | closed
    opened_by: int | None = Field(default=None, foreign_key="user.id")
    closed_by: int | None = Field(default=None, foreign_key="user.id")
    closed_at: datetime | None = None
