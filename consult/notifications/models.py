"""Notification table.

The text is not stored: ``kind`` names a message template and ``params`` fill it,
so each reader sees it in their own language.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from consult.clock import utcnow


class Notification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=48)
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    link: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class MessagePreference(SQLModel, table=True):
    """How a person is told of one kind of message (``channels.TOPICS``): in the app, by
    text message, or both. No row: ``channels.DEFAULTS``."""

    __tablename__ = "message_preference"

    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    topic: str = Field(primary_key=True, max_length=16)
    channel: str = Field(max_length=8)  # app | sms | both


class DigestItem(SQLModel, table=True):
    """A notification waiting to be told by text message: one digest a day per person
    gathers them (``services.send_digests``), instead of a message for each."""

    __tablename__ = "digest_item"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=48)
    topic: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = Field(default=None, index=True)
    message_id: int | None = Field(default=None, foreign_key="sms_message.id", ondelete="SET NULL")


class NoticeSent(SQLModel, table=True):
    """A notice that goes once per person per subject (a round opening, a survey addressed
    to them): the unique row is the marker, so a job run again tells nobody twice."""

    __tablename__ = "notice_sent"
    __table_args__ = (UniqueConstraint("user_id", "kind", "subject"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=48)
    subject: str = Field(max_length=48)  # what it is about: ``round:12``, ``survey:3``
    sent_at: datetime = Field(default_factory=utcnow)
