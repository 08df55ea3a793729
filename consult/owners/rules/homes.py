"""Who counts as one owner, and floor areas counted exactly.

A home's owner is the exact set of its co-owners, or the developer for every
developer-held home together (see :mod:`consult.owners.rules`).  A co-owner is told
apart by their owner identifier (不动产权证号, the last digits of an ID document, a
committee-assigned code) when the register gives one, otherwise by name: two 张三
with different identifiers are two owners, and one identifier on several homes is
one owner whatever name is typed beside it.  The name is kept for display. Areas are kept as
integer hundredths of a square metre ("cents") while counting; floats are refused.
The register's totals are the quorum's denominators.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal
from enum import Enum


class Developer(Enum):
    """The single owner standing for all developer-held homes together."""

    DEVELOPER = "developer"

    def __repr__(self) -> str:
        return "DEVELOPER"


DEVELOPER = Developer.DEVELOPER

#: An owner is either the developer or the exact set of a home's co-owners, each
#: co-owner being their name or, when the register gives one, :data:`ID_MARK` and
#: their identifier (see :func:`person_token`).
OwnerKey = frozenset[str] | Developer

#: Starts a co-owner token that is an identifier; no name can contain it (the
#: register refuses control characters in names), so an identifier never equals a name.
ID_MARK = "\x1f"


def person_token(name: str, identifier: str = "") -> str:
    """Who one co-owner is for counting: their identifier if they have one, else their name."""
    return ID_MARK + identifier if identifier else name


class TallyError(ValueError):
    """The inputs to a count are inconsistent (e.g. a ballot from a non-owner)."""


# Enough precision that multiplying a register area by 100 can never round.
_EXACT = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
#: No home is a square kilometre; a bound also keeps absurd exponents from eating memory.
MAX_AREA = Decimal(10) ** 9


def area_to_cents(area: Decimal | int) -> int:
    """Convert a floor area to exact hundredths of a m², refusing anything inexact.

    Floats are refused outright: a binary fraction is never the registered area.
    """
    if isinstance(area, bool) or not isinstance(area, (Decimal, int)):
        raise TypeError(f"area must be a Decimal, not {type(area).__name__}")
    if isinstance(area, Decimal) and not area.is_finite():
        raise ValueError(f"area is not a finite number: {area}")
    if abs(area) >= MAX_AREA:
        raise ValueError(f"area is implausibly large: {area}")
    scaled = _EXACT.multiply(area, 100)
    cents = int(scaled)
    if scaled != cents:
        raise ValueError(f"area has more than two decimals: {area}")
    return cents


def cents_to_area(cents: int) -> Decimal:
    """An area in hundredths back to a Decimal with exactly two decimals."""
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True, slots=True)
class Home:
    """One home (专有部分) as registered: its area and who holds it."""

    home_id: str
    building: str
    room: str
    area: Decimal
    owners: tuple[str, ...]
    developer_held: bool
    #: The co-owners' identifiers, one per name in ``owners`` ("" where none is
    #: known), or empty when the register has none: then names tell owners apart.
    owner_ids: tuple[str, ...] = ()
    #: The area in exact hundredths of a m², computed once from ``area``.
    area_cents: int = field(init=False, repr=False, compare=False)
    #: Whose vote this home is (see :func:`owner_key`), computed once: every count asks.
    owner: OwnerKey = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "area_cents", area_to_cents(self.area))
        if isinstance(self.owners, str):
            raise TypeError("owners must be a sequence of names, not one string")
        if not isinstance(self.owners, tuple):
            object.__setattr__(self, "owners", tuple(self.owners))
        if not self.home_id:
            raise ValueError("home_id must not be empty")
        if self.area_cents <= 0:
            raise ValueError(f"home {self.home_id}: area must be positive")
        for name in self.owners:
            if not isinstance(name, str) or not name or name != name.strip():
                raise ValueError(f"home {self.home_id}: bad owner name {name!r}")
        if not self.developer_held and not self.owners:
            raise ValueError(f"home {self.home_id}: no owners and not developer-held")
        if not isinstance(self.owner_ids, tuple):
            object.__setattr__(self, "owner_ids", tuple(self.owner_ids))
        if self.owner_ids:
            if len(self.owner_ids) != len(self.owners):
                raise ValueError(f"home {self.home_id}: {len(self.owners)} owners but "
                                 f"{len(self.owner_ids)} identifiers")
            for ident in self.owner_ids:
                if not isinstance(ident, str) or ident != ident.strip() or ID_MARK in ident:
                    raise ValueError(f"home {self.home_id}: bad owner identifier {ident!r}")
        for name in self.owners:
            if ID_MARK in name:
                raise ValueError(f"home {self.home_id}: bad owner name {name!r}")
        object.__setattr__(
            self, "owner", DEVELOPER if self.developer_held else frozenset(self.people)
        )

    @property
    def people(self) -> tuple[str, ...]:
        """Each co-owner's token (see :func:`person_token`), in the order of ``owners``."""
        if not self.owner_ids:
            return self.owners
        return tuple(person_token(n, i) for n, i in zip(self.owners, self.owner_ids, strict=True))


def owner_key(home: Home) -> OwnerKey:
    """Who this home's vote belongs to: the developer wins over any listed buyers."""
    return home.owner


@dataclass(frozen=True, slots=True)
class Holding:
    """Everything one owner holds: the homes their single ballot covers."""

    key: OwnerKey
    home_ids: tuple[str, ...]
    area_cents: int
    #: The names on the owner's homes, for display, sorted.
    names: tuple[str, ...] = ()

    @property
    def area(self) -> Decimal:
        return cents_to_area(self.area_cents)


def holdings(homes: Iterable[Home]) -> dict[OwnerKey, Holding]:
    """Group homes by owner, in register order; duplicate home ids are refused."""
    seen: set[str] = set()
    home_ids: dict[OwnerKey, list[str]] = {}
    areas: dict[OwnerKey, int] = {}
    names: dict[OwnerKey, dict[str, None]] = {}
    for home in homes:
        if home.home_id in seen:
            raise TallyError(f"home {home.home_id} appears twice in the register")
        seen.add(home.home_id)
        key = owner_key(home)
        home_ids.setdefault(key, []).append(home.home_id)
        areas[key] = areas.get(key, 0) + home.area_cents
        if key is not DEVELOPER:
            names.setdefault(key, {}).update(dict.fromkeys(home.owners))
    return {key: Holding(key, tuple(ids), areas[key], tuple(sorted(names.get(key, ()))))
            for key, ids in home_ids.items()}


def owner_of_home(homes: Iterable[Home]) -> dict[str, OwnerKey]:
    """Map each home id to its owner key, so a ballot given via any home finds its owner."""
    return {home.home_id: owner_key(home) for home in homes}


@dataclass(frozen=True, slots=True)
class RegisterTotals:
    """The denominators of the quorum: total area and total headcount."""

    area_total_cents: int
    owners_total: int
    homes_total: int

    @property
    def area_total(self) -> Decimal:
        return cents_to_area(self.area_total_cents)


def register_totals(homes: Iterable[Home]) -> RegisterTotals:
    """Total area (sum over homes) and headcount (distinct owners) of an estate."""
    by_owner = holdings(homes)
    return RegisterTotals(
        area_total_cents=sum(h.area_cents for h in by_owner.values()),
        owners_total=len(by_owner),
        homes_total=sum(len(h.home_ids) for h in by_owner.values()),
    )


def owner_digest(key: OwnerKey) -> str:
    """A fixed-length, unambiguous name for an owner, for a database UNIQUE constraint.

    JSON of the sorted names cannot confuse ``{"a;b"}`` with ``{"a", "b"}``, and the
    developer is tagged apart from any person, even one called "developer".
    """
    import hashlib  # here, not at the top: the recount command never needs it
    import json
    if key is DEVELOPER:
        canonical = json.dumps(["developer"])
    else:
        canonical = json.dumps(["owners", sorted(key)], ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def owner_names(key: OwnerKey) -> tuple[str, ...]:
    """The owner's co-owner tokens in a stable order; empty for the developer.

    For an owner told apart by name these are the names; an identified co-owner
    shows as their identifier (use :func:`home_label` or :attr:`Holding.names` to show names).
    """
    return () if key is DEVELOPER else tuple(sorted(t.removeprefix(ID_MARK) for t in key))


def home_label(home: Home) -> str:
    """The names of a home's owner for display, sorted; empty for the developer."""
    return "" if home.developer_held else "; ".join(sorted(home.owners))


def same_name_owners(homes: Iterable[Home]) -> dict[str, int]:
    """Each name found on more than one home, with the number of homes it is on.

    A register without identifiers counts every such name as one person; the import
    warns with this list so staff can add identifiers where two people share a name.
    """
    count: dict[str, int] = {}
    for home in homes:
        if not home.developer_held:
            for name in dict.fromkeys(home.owners):
                count[name] = count.get(name, 0) + 1
    return {name: n for name, n in count.items() if n > 1}
