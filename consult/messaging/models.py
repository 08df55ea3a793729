"""The message log (which is also the outbox) and the numbers that unsubscribed.

Every message is a row from the moment it is asked for, whatever becomes of it: its
status, the provider's code and id, and why it was not sent. The row keeps the number
in full (a deferred message must still be sent, rate limits count per number), but a
verification code only as ``******`` unless the outbox is the delivery. Log lines and
pages show numbers masked (``rules.mask``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, Text
from sqlmodel import Field, SQLModel

from consult.clock import utcnow


class SmsMessage(SQLModel, table=True):
    __tablename__ = "sms_message"
    __table_args__ = (
        Index("ix_sms_message_phone_created", "phone", "created_at"),
        Index("ix_sms_message_address_created", "address", "created_at"),
        Index("ix_sms_message_status_due", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    phone: str = Field(max_length=20)
    #: the account the message is for, when there is one
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True,
                                ondelete="SET NULL")
    #: the place it is about (a vote's area…); none for account matters such as codes
    place_id: int | None = Field(default=None, foreign_key="place.id", index=True,
                                 ondelete="SET NULL")
    template: str = Field(max_length=48)
    kind: str = Field(max_length=8)  # code | notice
    #: the template's variables, a secret one (the code) as ******
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    #: the text as the phone shows it, with the sign name (the code as ****** unless outbox)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=12)  # rules.STATUSES
    reason: str | None = Field(default=None, max_length=32)  # why suppressed (rules.REASONS)
    backend: str = Field(max_length=12)
    provider_code: str | None = Field(default=None, max_length=64)
    provider_id: str | None = Field(default=None, max_length=64)
    provider_message: str | None = Field(default=None, max_length=200)
    #: the client address that asked for it (codes), for the per-address limit
    address: str | None = Field(default=None, max_length=64)
    due_at: datetime | None = None  # a deferred notice goes at or after this
    sent_at: datetime | None = None
    attempts: int = 0


class SmsOptOut(SQLModel, table=True):
    """A number that gets no notices (退订): it replied TD, or staff recorded it."""

    __tablename__ = "sms_opt_out"

    phone: str = Field(primary_key=True, max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    source: str = Field(max_length=8)  # reply | staff
    actor_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class SmsCode(SQLModel, table=True):
    """A verification code sent to a number: only its keyed digest is kept. Single use,
    ``expires_at`` ten minutes after it was sent, refused after five wrong tries; a new
    code for the same number and purpose ends the old one."""

    __tablename__ = "sms_code"
    __table_args__ = (Index("ix_sms_code_phone_purpose", "phone", "purpose"),)

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=20)
    purpose: str = Field(max_length=16)  # register | reset …
    digest: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    attempts: int = 0
    used_at: datetime | None = None
    message_id: int | None = Field(default=None, foreign_key="sms_message.id", ondelete="SET NULL")
