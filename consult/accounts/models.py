"""Account tables."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from consult.clock import utcnow


class User(SQLModel, table=True):
    """A person with an account; ``login`` is a mainland mobile number or a staff username.

    ``session_version`` is copied into every session cookie and API token; bumping
    it (logout everywhere, password change) revokes them all at once.
    """

    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True, index=True)
    phone: str | None = Field(default=None, max_length=20, unique=True)
    display_name: str = Field(max_length=40)
    password_hash: str | None = Field(default=None, max_length=255)
    session_version: int = Field(default=1)
    elder_mode: bool = Field(default=False)
    locale: str | None = Field(default=None, max_length=8)
    created_at: datetime = Field(default_factory=utcnow)


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    digest: str = Field(max_length=64, unique=True)
    session_version: int
    created_at: datetime = Field(default_factory=utcnow)


class LoginThrottle(SQLModel, table=True):
    """Failed-login counters per account and per client address.

    Kept in the database so every worker process sees the same counts.
    """

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=128)
    failures: int = Field(default=0)
    window_start: datetime = Field(default_factory=utcnow)
    locked_until: datetime | None = None
