"""Account tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from consult.clock import utcnow


class User(SQLModel, table=True):
    """A person with an account; ``login`` is a mainland mobile number or a staff username.

    ``session_version`` is copied into every API token; bumping it (logout everywhere,
    password change) revokes them all at once. Browser sessions are rows of
    :class:`UserSession`, ended one by one.
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
    #: when the person proved, with a code sent by text message, that the number is theirs
    #: (None: registered without SMS, or by staff; a moderator's check is what counts then)
    phone_verified_at: datetime | None = None
    #: a managed resident (代办对象): a record staff made for a person without a login (no
    #: phone, no password); staff act for them at the desk. Kept once a number and a
    #: password are added later, as the history of how the account began.
    managed_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    managed_at: datetime | None = None

    @property
    def can_sign_in(self) -> bool:
        return self.password_hash is not None


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API; only its SHA-256 digest is stored.

    It expires ``expires_at`` (30 days after it was issued or last renewed); using it
    renews it, at most once a day (``last_used_at`` is then the day of that use).
    """

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    digest: str = Field(max_length=64, unique=True)
    session_version: int
    label: str = Field(default="", max_length=60)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    last_used_at: datetime | None = None


class UserSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random key, the table its SHA-256 digest.

    Signing out deletes the row, so a copy of the cookie replayed later is signed out;
    the person's other devices keep their own rows.
    """

    __tablename__ = "user_session"

    digest: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
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


class PasswordReset(SQLModel, table=True):
    """A way back in for a person who forgot their password, other than an SMS code.

    ``desk``: a staff member checked the person's ID in person and printed a slip with a
    one-time code (only its keyed digest is here), valid 24 hours. ``family``: the person
    asked on their own browser (which keeps the key whose digest is here) and a linked
    family member approves; valid 2 hours. Either is used once; five wrong codes end a
    desk slip.
    """

    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    method: str = Field(max_length=8)  # desk | family
    digest: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    attempts: int = 0
    #: the staff member who checked the ID and issued the slip (desk)
    issued_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    reason: str = Field(default="", max_length=200)
    #: the family member who approved (family)
    approved_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    approved_at: datetime | None = None
    #: a family member refused the request, or a newer one replaced it
    ended_at: datetime | None = None


class ActingSession(SQLModel, table=True):
    """Someone acting for a person (代办): a staff member at the desk (``desk``, with a
    reason) or a linked family member (``family``). Kept on the server: the helper's
    cookie holds a random key whose digest is here. It lasts at most 30 minutes
    (``expires_at``) and ends earlier when the helper ends it or signs out."""

    __tablename__ = "acting_session"

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64, unique=True)
    helper_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=8)  # desk | family
    reason: str = Field(default="", max_length=200)
    started_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ended_at: datetime | None = None
    ended_how: str | None = Field(default=None, max_length=8)  # done | timeout | signout | link


class ActingLog(SQLModel, table=True):
    """One thing done for a person while someone acted for them: listed on the person's
    own page (由工作人员代办 / 由家属代办). It names the page, not what was chosen."""

    __tablename__ = "acting_log"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="acting_session.id", index=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    helper_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    kind: str = Field(max_length=8)
    action: str = Field(max_length=64)
    path: str = Field(max_length=200)
    at: datetime = Field(default_factory=utcnow)


class FamilyLink(SQLModel, table=True):
    """A family member (``proxy``) who may act for a person (亲情账号).

    ``pending`` until both agree: when the family member asks, the person confirms
    (signed in, or in person at the desk, ``confirmed_via``); when the person names the
    family member, the family member accepts. ``active`` links let the proxy act for the
    person (``consult.permissions.FAMILY_ACTIONS``) and approve a password reset. Either
    side ends a link (``ended``), which stops any running session of the proxy for them.
    """

    __tablename__ = "family_link"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    proxy_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    status: str = Field(default="pending", max_length=8)  # pending | active | ended
    asked_by: str = Field(max_length=8)  # person | proxy
    created_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    confirmed_via: str | None = Field(default=None, max_length=8)  # self | desk
    #: the staff member who saw the person confirm at the desk
    confirmed_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    ended_at: datetime | None = None
    ended_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class WeChatLink(SQLModel, table=True):
    """A WeChat identity (``openid`` of the official account's web authorisation, or of the
    mini-program) linked to an account, by the account holder, once verified."""

    __tablename__ = "wechat_link"
    __table_args__ = (UniqueConstraint("app", "openid"), UniqueConstraint("app", "user_id"))

    id: int | None = Field(default=None, primary_key=True)
    app: str = Field(max_length=8)  # web | mini
    openid: str = Field(max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow)
