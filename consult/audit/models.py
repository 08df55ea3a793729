"""Audit log table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from consult.clock import utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id")
    action: str = Field(max_length=64)
    target_type: str = Field(max_length=32)
    target_id: int | None = None
    place_id: int | None = Field(default=None, foreign_key="place.id", index=True)
    reason: str | None = Field(default=None, max_length=500)
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
