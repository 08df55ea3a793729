"""Places, homes, role assignments and residents' verification requests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from consult.clock import utcnow

PLACE_KINDS = ("subdistrict", "area", "estate", "building_group")
ROLES = ("resident", "owner", "moderator", "expert", "owners_rep", "admin")


class Place(SQLModel, table=True):
    """A node of the place tree.

    ``path`` is the materialised chain of ids from the root (``/1/4/9/``) so that
    "this place and everything under it" is one indexed prefix query.
    """

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=80)
    parent_id: int | None = Field(default=None, foreign_key="place.id", index=True)
    path: str = Field(default="", max_length=255, index=True)
    position: int = Field(default=0)

    @property
    def ids_from_root(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.path.strip("/").split("/") if part)


class Home(SQLModel, table=True):
    """A home with its registered floor area, kept as integer hundredths of m² (never a float)."""

    __table_args__ = (UniqueConstraint("estate_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    estate_id: int = Field(foreign_key="place.id", index=True)
    building_group_id: int | None = Field(default=None, foreign_key="place.id", index=True)
    code: str = Field(max_length=40)
    building: str = Field(max_length=40)
    room: str = Field(max_length=40)
    area_hundredths: int = Field(gt=0)
    developer_held: bool = Field(default=False)

    @property
    def area(self) -> Decimal:
        return Decimal(self.area_hundredths) / 100


class HomeOwner(SQLModel, table=True):
    """An owner of record of a home; co-owners are several rows for one home."""

    __tablename__ = "home_owner"
    __table_args__ = (UniqueConstraint("home_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    home_id: int = Field(foreign_key="home.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    #: The owner identifier the register gives (不动产权证号, last digits of an ID, a
    #: committee code), which tells owners apart where names cannot; None where none is known.
    identifier: str | None = Field(default=None, max_length=80)


class RoleAssignment(SQLModel, table=True):
    """A role held at a place; it covers the place and everything under it."""

    __tablename__ = "role_assignment"
    __table_args__ = (UniqueConstraint("user_id", "role", "place_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=16)
    place_id: int = Field(foreign_key="place.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    granted_by: int | None = Field(default=None, foreign_key="user.id")


class VerificationRequest(SQLModel, table=True):
    """A person asks to be verified as a resident of a residential area."""

    __tablename__ = "verification_request"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    area_id: int = Field(foreign_key="place.id", index=True)
    building_group_id: int | None = Field(default=None, foreign_key="place.id")
    note: str = Field(default="", max_length=200)
    status: str = Field(default="pending", max_length=16, index=True)
    reason: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="user.id")
    #: the page the person asked from (a same-site path): the approval links back to it
    return_to: str | None = Field(default=None, max_length=300)
