"""Owners' votes: matters, their frozen register, attachments and ballots.

Homes and their owners of record live in :mod:`consult.communities.models`.
A matter keeps a copy of the register (in the ``homes.csv`` format of the recount
command) taken when it was created and refreshed until voting opens: a result
must not change because a home is sold after the vote.

One ballot per owner per matter is the database's job: ``owner_key`` names the
owner (a digest of "the developer" or of the sorted co-owners, each by identifier
where the register gives one, else by name), and
``UNIQUE(matter_id, owner_key, active)`` admits one row with ``active = true``;
a voided ballot gets ``active = NULL``, and NULLs never collide, so the owner can
vote again.  Paper serials are unique per matter the same way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from consult.clock import utcnow


class OwnerMatter(SQLModel, table=True):
    """Something the owners of one estate decide (Civil Code art. 278)."""

    __tablename__ = "owner_matter"

    id: int | None = Field(default=None, primary_key=True)
    estate_id: int = Field(foreign_key="place.id", index=True)
    title: str = Field(max_length=120)
    #: A :class:`consult.owners.rules.MatterKind` value; it fixes the majority.
    kind: str = Field(max_length=32)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    opens_at: datetime
    closes_at: datetime
    #: Paper ballots count only once two staff members have keyed them identically.
    paper_double_key: bool = Field(default=False)
    #: Days the result stays posted (公告) after the close, while owners may object in
    #: writing; chosen when the matter is put, ``rules.NOTICE_DAYS`` unless said otherwise.
    notice_days: int = Field(default=7, sa_column_kwargs={"server_default": "7"})
    created_by: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)


class OwnerMatterRegister(SQLModel, table=True):
    """The register a matter is counted against, as ``homes.csv`` text."""

    __tablename__ = "owner_matter_register"

    matter_id: int = Field(foreign_key="owner_matter.id", primary_key=True, ondelete="CASCADE")
    homes_csv: str = Field(sa_column=Column(Text, nullable=False))
    taken_at: datetime = Field(default_factory=utcnow)


class OwnerAttachment(SQLModel, table=True):
    """A document published with a matter (PDF or picture), stored under media/owners/."""

    __tablename__ = "owner_attachment"

    id: int | None = Field(default=None, primary_key=True)
    matter_id: int = Field(foreign_key="owner_matter.id", index=True, ondelete="CASCADE")
    filename: str = Field(max_length=120)
    stored_name: str = Field(max_length=80)
    content_type: str = Field(max_length=40)
    size_bytes: int
    uploaded_by: int | None = Field(default=None, foreign_key="user.id")
    uploaded_at: datetime = Field(default_factory=utcnow)


class OwnerBallot(SQLModel, table=True):
    """One owner's ballot on one matter, whichever way it reached us.

    ``status`` says whether it counts: ``final`` (web, proxy, single-keyed paper)
    and ``confirmed`` (paper keyed twice, identically) count; ``awaiting_second``
    (double keying required, one entry so far) and ``mismatch`` (the two entries
    differ) hold the owner's place but are not counted until resolved.
    """

    __tablename__ = "owner_ballot"
    __table_args__ = (
        UniqueConstraint("matter_id", "owner_key", "active"),
        UniqueConstraint("matter_id", "paper_serial", "active"),
    )

    id: int | None = Field(default=None, primary_key=True)
    matter_id: int = Field(foreign_key="owner_matter.id", index=True, ondelete="CASCADE")
    owner_key: str = Field(max_length=64)
    owner_label: str = Field(max_length=255)
    #: The home the ballot was given through (``home_id`` of the register).
    home_code: str = Field(max_length=40)
    choice: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    status: str = Field(default="final", max_length=16)
    #: True while the ballot stands; NULL once voided (see the module docstring).
    active: bool | None = Field(default=True)
    paper_serial: str | None = Field(default=None, max_length=40)
    proxy_holder: str | None = Field(default=None, max_length=80)
    proxy_scan: str | None = Field(default=None, max_length=80)
    cast_at: datetime = Field(default_factory=utcnow)
    cast_by: int | None = Field(default=None, foreign_key="user.id")
    second_home_code: str | None = Field(default=None, max_length=40)
    second_choice: str | None = Field(default=None, max_length=16)
    second_by: int | None = Field(default=None, foreign_key="user.id")
    second_at: datetime | None = None
    voided_at: datetime | None = None
    voided_by: int | None = Field(default=None, foreign_key="user.id")
    void_reason: str | None = Field(default=None, max_length=200)


class OwnerLink(SQLModel, table=True):
    """A request to link an owner of record (a name on an estate's register) to an account.

    Staff ask (``requested_by``); the link is made only once someone else confirms it:
    the account holder on their own page (``method = "owner"``), staff typing the code
    the account holder is shown (``"code"``), or a second staff member (``"second_staff"``;
    not while a matter of the estate is open).  The register is matched by identifier
    where it gives one, else by name, so a request outlives a re-imported register.
    """

    __tablename__ = "owner_link"

    id: int | None = Field(default=None, primary_key=True)
    estate_id: int = Field(foreign_key="place.id", index=True)
    name: str = Field(max_length=80)
    #: The owner's identifier on the register, if it gives one: then the link is to the
    #: records with that identifier, not to every record of that name.
    identifier: str | None = Field(default=None, max_length=80)
    #: The home the request was made from (shown to the account holder).
    home_code: str = Field(max_length=40)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    #: Six digits shown only to the account holder; staff type it in when the owner reads it out.
    code: str = Field(max_length=6)
    code_attempts: int = Field(default=0)
    #: pending, linked, refused (by the account holder) or cancelled (by staff, or too many wrong codes).
    status: str = Field(default="pending", max_length=16)
    requested_by: int | None = Field(default=None, foreign_key="user.id")
    requested_at: datetime = Field(default_factory=utcnow)
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    decided_at: datetime | None = None
    method: str | None = Field(default=None, max_length=16)
