"""Notification table.

The text is not stored: ``kind`` names a message template and ``params`` fill it,
so each reader sees it in their own language.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
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
