"""Points club tables (积分制): clubs, members, activities, sign-ups, attendance, the ledger,
prizes and redemption days.

The ledger is double entry and append-only. A movement of points is a ``points_transfer``
with two (or more) ``points_entry`` rows whose amounts sum to zero: awarding points moves
them from the club's *issued* account to a member's account, redeeming a prize from the
member's account to the club's *redeemed* account. An entry is never changed or deleted
(triggers refuse ``UPDATE`` and ``DELETE`` on both databases, see migration points_0001);
a correction is a new, reversing transfer with a reason, made by one staff member and
confirmed by another.

A member's balance is the sum of their account's entries. ``PointsAccount.balance`` is a
cached copy kept only for member accounts, moved by the same statement that checks it
(``UPDATE … SET balance = balance + :n WHERE … AND balance + :n >= 0``) and held
non-negative by a CHECK constraint, so two redemptions at once cannot overdraw: on
PostgreSQL the second waits for the first's row lock and then sees the new balance; on
SQLite a write transaction holds the database's write lock. ``services.ledger.audit``
and ``python -m consult points-check`` compare the cache with the entries.

Prize stock is a whole number held non-negative by a CHECK constraint and moved the same
way, in the same transaction as the ledger; every change of stock is a
``points_stock_move`` row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from consult.clock import utcnow

ACTIVITY_KINDS = ("team", "themed", "special", "outing")
ACCOUNT_KINDS = ("member", "issued", "redeemed")
TRANSFER_KINDS = ("award", "redeem", "release", "refund", "correction", "platform")
#: what a member may earn points for on the platform (never a vote: see ``Participation``)
PARTICIPATION_KINDS = ("idea", "survey", "forum")
SIGNUP_CHANNELS = ("web", "desk", "phone")
ATTENDANCE_SOURCES = ("sheet", "card", "self")


class PointsClub(SQLModel, table=True):
    """A residential area's (or an estate's) members' club: one per place."""

    __tablename__ = "points_club"
    __table_args__ = (
        CheckConstraint("per_idea >= 0 AND per_survey >= 0 AND per_forum >= 0 AND "
                        "(participation_day_cap IS NULL OR participation_day_cap >= 0) AND "
                        "(participation_year_cap IS NULL OR participation_year_cap >= 0)",
                        name="ck_points_club_participation"),
    )

    id: int | None = Field(default=None, primary_key=True)
    place_id: int = Field(foreign_key="place.id", unique=True)
    name: str = Field(max_length=80)
    rules_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow)
    created_by: int | None = Field(default=None, foreign_key="user.id")
    #: points for taking part in the platform (issue 19 item 7), only when the club turns
    #: it on: an idea shortlisted, a (named) survey answered, a forum attended; never a vote
    participation_on: bool = Field(default=False)
    per_idea: int = Field(default=0)
    per_survey: int = Field(default=0)
    per_forum: int = Field(default=0)
    #: at most this many participation points a member earns in a day / a year (Beijing
    #: calendar); None: no cap
    participation_day_cap: int | None = None
    participation_year_cap: int | None = None


class EarningRule(SQLModel, table=True):
    """Points for one kind of activity: a fixed amount per attendance plus an amount per
    whole hour of service. Whole points only."""

    __tablename__ = "points_earning_rule"
    __table_args__ = (
        CheckConstraint("per_attendance >= 0 AND per_hour >= 0", name="ck_points_rule_positive"),
    )

    club_id: int = Field(foreign_key="points_club.id", primary_key=True, ondelete="CASCADE")
    kind: str = Field(max_length=16, primary_key=True)
    per_attendance: int = 0
    per_hour: int = 0


class Member(SQLModel, table=True):
    """A member of a club: a resident with an account, or one without (a phone-less
    resident joined at the desk, known by name and card code). ``proxy_user_id`` is a
    registered family member (亲情账号) recorded by staff, who may see the passbook,
    pre-order and collect for them."""

    __tablename__ = "points_member"
    __table_args__ = (
        UniqueConstraint("club_id", "user_id"),
        UniqueConstraint("club_id", "card_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="points_club.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    name: str = Field(max_length=40)
    card_code: str = Field(max_length=12)
    joined_at: datetime = Field(default_factory=utcnow)
    #: the staff member who joined them at the desk (None: joined online)
    joined_by: int | None = Field(default=None, foreign_key="user.id")
    proxy_user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    #: shown in the club's ranking only when the member chose it
    ranking_opt_in: bool = Field(default=False)


class PointsAccount(SQLModel, table=True):
    """An account of the ledger: one per member, and the club's issued and redeemed."""

    __tablename__ = "points_account"
    __table_args__ = (
        UniqueConstraint("member_id"),
        CheckConstraint("balance >= 0", name="ck_points_account_balance"),
        CheckConstraint("(kind = 'member') = (member_id IS NOT NULL)", name="ck_points_account_member"),
    )

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="points_club.id", index=True)
    kind: str = Field(max_length=10)
    member_id: int | None = Field(default=None, foreign_key="points_member.id")
    #: cached sum of the entries, member accounts only (club accounts keep 0 and are summed)
    balance: int = Field(default=0)


class Transfer(SQLModel, table=True):
    """One movement of points: its entries sum to zero. Never changed, never deleted."""

    __tablename__ = "points_transfer"

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="points_club.id", index=True)
    kind: str = Field(max_length=12)
    memo: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    #: who made it (staff approving, the member redeeming); a correction's proposer
    created_by: int | None = Field(default=None, foreign_key="user.id")
    #: the second person: who approved the attendance, or confirmed the correction
    approved_by: int | None = Field(default=None, foreign_key="user.id")
    attendance_id: int | None = Field(default=None, foreign_key="points_attendance.id", unique=True)
    order_id: int | None = Field(default=None, foreign_key="points_order.id", index=True)
    #: the transfer a correction reverses (at most once)
    reverses_id: int | None = Field(default=None, foreign_key="points_transfer.id", unique=True)


class Entry(SQLModel, table=True):
    """One leg of a transfer: an account and a signed whole amount (never zero)."""

    __tablename__ = "points_entry"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="ck_points_entry_amount"),
        # a balance is one index-only scan of its account's amounts
        Index("ix_points_entry_account_amount", "account_id", "amount"),
    )

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(sa_column=Column(Integer, ForeignKey("points_transfer.id"),
                                              nullable=False, index=True))
    account_id: int = Field(foreign_key="points_account.id")
    amount: int


class Activity(SQLModel, table=True):
    """A team, themed or special activity, or an outing, organised by the committee."""

    __tablename__ = "points_activity"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity > 0", name="ck_points_activity_capacity"),
        CheckConstraint("ends_at > starts_at", name="ck_points_activity_times"),
        Index("ix_points_activity_club_starts", "club_id", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="points_club.id")
    title: str = Field(max_length=120)
    kind: str = Field(max_length=16)
    starts_at: datetime
    ends_at: datetime
    venue: str = Field(default="", max_length=120)
    capacity: int | None = None
    organiser: str = Field(default="", max_length=80)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    #: the code shown at the venue; typing it creates a pending check-in only
    checkin_code: str = Field(max_length=8)
    cancelled_at: datetime | None = None
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class Signup(SQLModel, table=True):
    """A member's place on an activity (or on its waiting list), online or by staff."""

    __tablename__ = "points_signup"
    __table_args__ = (UniqueConstraint("activity_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="points_activity.id", index=True)
    member_id: int = Field(foreign_key="points_member.id", index=True)
    status: str = Field(max_length=10)  # confirmed | waiting | cancelled
    channel: str = Field(max_length=8)  # web | desk | phone
    created_at: datetime = Field(default_factory=utcnow)
    entered_by: int | None = Field(default=None, foreign_key="user.id")


class Approval(SQLModel, table=True):
    """A batch of attendance approved by the committee, with the photo of the stamped sheet."""

    __tablename__ = "points_approval"

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="points_activity.id", index=True)
    approved_by: int = Field(foreign_key="user.id")
    approved_at: datetime = Field(default_factory=utcnow)
    sheet_photo: str | None = Field(default=None, max_length=64)
    note: str = Field(default="", max_length=200)


class Attendance(SQLModel, table=True):
    """Someone was there: pending until the committee approves it, then points are posted."""

    __tablename__ = "points_attendance"
    __table_args__ = (
        UniqueConstraint("activity_id", "member_id"),
        CheckConstraint("minutes >= 0", name="ck_points_attendance_minutes"),
    )

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="points_activity.id", index=True)
    member_id: int = Field(foreign_key="points_member.id", index=True)
    status: str = Field(default="pending", max_length=10)  # pending | approved | rejected
    source: str = Field(max_length=8)  # sheet | card | self
    #: service time, kept beside the points (志愿服务 records), whole minutes
    minutes: int = 0
    recorded_by: int | None = Field(default=None, foreign_key="user.id")
    recorded_at: datetime = Field(default_factory=utcnow)
    approval_id: int | None = Field(default=None, foreign_key="points_approval.id")
    points: int = 0


class Correction(SQLModel, table=True):
    """A proposed correction: a reversal of a transfer, or an adjustment, with a reason;
    posted only when a second staff member confirms it."""

    __tablename__ = "points_correction"
    __table_args__ = (CheckConstraint("amount <> 0", name="ck_points_correction_amount"),)

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="points_club.id", index=True)
    member_id: int = Field(foreign_key="points_member.id")
    amount: int
    reason: str = Field(max_length=200)
    reverses_id: int | None = Field(default=None, foreign_key="points_transfer.id")
    status: str = Field(default="pending", max_length=10)  # pending | confirmed | refused
    proposed_by: int = Field(foreign_key="user.id")
    proposed_at: datetime = Field(default_factory=utcnow)
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    transfer_id: int | None = Field(default=None, foreign_key="points_transfer.id")


class Prize(SQLModel, table=True):
    """A good in the catalogue: a whole, positive price in points and a stock."""

    __tablename__ = "points_prize"
    __table_args__ = (
        CheckConstraint("price > 0", name="ck_points_prize_price"),
        CheckConstraint("stock >= 0", name="ck_points_prize_stock"),
    )

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="points_club.id", index=True)
    name: str = Field(max_length=80)
    price: int
    #: what is left to order (reserved items are already out of it)
    stock: int = 0


class StockMove(SQLModel, table=True):
    """Every change of a prize's stock: a delivery, a reservation, a release."""

    __tablename__ = "points_stock_move"

    id: int | None = Field(default=None, primary_key=True)
    prize_id: int = Field(foreign_key="points_prize.id", index=True)
    delta: int
    reason: str = Field(max_length=12)  # delivery | reserve | release | cancel
    order_id: int | None = Field(default=None, foreign_key="points_order.id")
    by: int | None = Field(default=None, foreign_key="user.id")
    at: datetime = Field(default_factory=utcnow)


class RedemptionDay(SQLModel, table=True):
    """A quarterly redemption day: pre-orders until it ends, collection during it; what
    was not collected is released after it."""

    __tablename__ = "points_day"
    __table_args__ = (CheckConstraint("closes_at > opens_at", name="ck_points_day_times"),)

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="points_club.id", index=True)
    title: str = Field(max_length=80)
    opens_at: datetime
    closes_at: datetime
    released_at: datetime | None = None


class Order(SQLModel, table=True):
    """A pre-order of a prize on a redemption day: points paid and stock reserved at once."""

    __tablename__ = "points_order"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_points_order_quantity"),)

    id: int | None = Field(default=None, primary_key=True)
    day_id: int = Field(foreign_key="points_day.id", index=True)
    member_id: int = Field(foreign_key="points_member.id", index=True)
    prize_id: int = Field(foreign_key="points_prize.id")
    quantity: int = 1
    points: int
    status: str = Field(default="reserved", max_length=10)  # reserved | collected | released | cancelled
    ordered_at: datetime = Field(default_factory=utcnow)
    ordered_by: int | None = Field(default=None, foreign_key="user.id")
    collected_at: datetime | None = None
    #: who handed it over (staff), and who took it: self | proxy | staff
    collected_by: int | None = Field(default=None, foreign_key="user.id")
    collected_via: str | None = Field(default=None, max_length=8)


class Participation(SQLModel, table=True):
    """One act of taking part on the platform, credited once to a member: an idea of theirs
    shortlisted (``ref`` ``idea:<id>``), a named survey they answered, once it has closed
    (``survey:<id>``), a forum they attended, once held (``forum:<id>``). Votes are never
    credited, so no entry can tell when or how anyone voted. ``points`` is what was
    posted (0 when a cap was reached: the act is then never looked at again);
    ``credited_at`` is when the periodic job saw it, not when the person acted."""

    __tablename__ = "points_participation"
    __table_args__ = (
        UniqueConstraint("member_id", "kind", "ref"),
        CheckConstraint("points >= 0", name="ck_points_participation_points"),
    )

    id: int | None = Field(default=None, primary_key=True)
    club_id: int = Field(foreign_key="points_club.id", index=True)
    member_id: int = Field(foreign_key="points_member.id", index=True)
    kind: str = Field(max_length=8)
    ref: str = Field(max_length=40)
    points: int = 0
    credited_at: datetime = Field(default_factory=utcnow)
    transfer_id: int | None = Field(default=None, foreign_key="points_transfer.id")
