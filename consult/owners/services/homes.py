"""The estate's register of homes and owners: reading it as the counting rules see it,
importing a new one (all or nothing), correcting one home, and exporting it."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import delete, func, insert, update
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities.models import Home, HomeOwner, Place
from consult.errors import FieldErrors, NotFound
from consult.i18n import N_, Msg
from consult.owners import register, rules
from consult.owners.labels import AREA_MESSAGES, line_error_msg, warning_msg
from consult.owners.models import OwnerMatter, OwnerMatterRegister
from consult.owners.services.common import (
    MAX_FIELD,
    MAX_NAME,
    PAGE_SIZE,
    RegisterRejected,
    _check,
    _refuse_while_voting,
    get_estate,
)
from consult.permissions import Actor


def estate_homes(db: Session, estate: Place) -> list[rules.Home]:
    """The estate's register as the counting rules see it (two queries, in register order)."""
    homes = db.exec(
        select(Home.id, Home.code, Home.building, Home.room, Home.area_hundredths,
               Home.developer_held).where(Home.estate_id == estate.id).order_by(Home.id)
    ).all()
    names: dict[int, list[str]] = {}
    ids: dict[int, list[str]] = {}
    for home_id, name, identifier in db.exec(
        select(HomeOwner.home_id, HomeOwner.name, HomeOwner.identifier)
        .join(Home, Home.id == HomeOwner.home_id)
        .where(Home.estate_id == estate.id).order_by(HomeOwner.id)
    ).all():
        names.setdefault(home_id, []).append(name)
        ids.setdefault(home_id, []).append(identifier or "")
    return [
        rules.Home(code, building, room, rules.cents_to_area(area), tuple(names.get(hid, ())),
                   bool(developer), tuple(ids[hid]) if any(ids.get(hid, ())) else ())
        for hid, code, building, room, area, developer in homes
    ]


@dataclass(frozen=True)
class RegisterPage:
    """One page of the register with the totals of the whole of it."""

    totals: rules.RegisterTotals | None
    problem: Msg | None
    homes: list[Home]
    owners: dict[int, list[tuple[HomeOwner, User | None]]]
    page: int
    pages: int


def register_page(db: Session, actor: Actor, estate: Place, page: int = 1) -> RegisterPage:
    """Totals under the rules plus one page of homes with their owners and linked accounts."""
    _check("manage_owner_register", actor, estate)
    problem = None
    totals = None
    try:
        homes = estate_homes(db, estate)
        totals = rules.register_totals(homes) if homes else None
    except (ValueError, rules.TallyError) as exc:  # a home edited outside the register tools
        problem = Msg(N_("The register cannot be counted: %(problem)s"), {"problem": str(exc)})
        homes = []
    count = db.exec(select(func.count()).select_from(Home).where(Home.estate_id == estate.id)).one()
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = list(db.exec(select(Home).where(Home.estate_id == estate.id).order_by(Home.id)
                        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all())
    owners: dict[int, list[tuple[HomeOwner, User | None]]] = {row.id: [] for row in rows}
    if rows:
        for owner, user in db.exec(
            select(HomeOwner, User).outerjoin(User, User.id == HomeOwner.user_id)
            .where(HomeOwner.home_id.in_(list(owners))).order_by(HomeOwner.id)
        ).all():
            owners[owner.home_id].append((owner, user))
    return RegisterPage(totals, problem, rows, owners, page, pages)


def read_register_upload(filename: str, data: bytes) -> register.RegisterRead:
    """Read an uploaded register (CSV or .xlsx) with its warnings, or raise
    :class:`RegisterRejected`."""
    try:
        if filename.lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
            workbook = io.BytesIO(data)
            workbook.name = filename  # named in the message if it cannot be read
            return register.read_homes_xlsx(workbook)
        return register.read_homes_csv(register.decode_text(data))
    except register.InputError as exc:
        raise RegisterRejected([line_error_msg(e) for e in exc.errors],
                               [e.line for e in exc.errors]) from None
    except UnicodeDecodeError:
        raise RegisterRejected([Msg(N_("The file %(name)s is not text in UTF-8 or GB18030; please save it as CSV UTF-8 or as .xlsx."),
                                    {"name": filename})]) from None


def parse_register_upload(filename: str, data: bytes) -> list[rules.Home]:
    """The homes of an uploaded register (see :func:`read_register_upload`)."""
    return read_register_upload(filename, data).homes


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    removed: int
    totals: rules.RegisterTotals
    #: What the importer should know although nothing was refused (e.g. no identifiers).
    warnings: tuple[Msg, ...] = ()


def import_register(db: Session, actor: Actor, estate: Place, *, filename: str, data: bytes,
                    now: datetime) -> ImportSummary:
    """Replace the estate's register by the uploaded one, all or nothing.

    Homes are matched by ``home_id``; an owner keeps the account linked to their
    name on that home, so a corrected register does not undo the linking.
    """
    _check("manage_owner_register", actor, estate)
    read = read_register_upload(filename, data)
    homes = read.homes
    too_long = [
        Msg(N_("Home %(home)s: “%(value)s” is longer than %(max)s characters."),
            {"home": home.home_id[:MAX_FIELD], "value": value[:MAX_NAME], "max": limit})
        for home in homes
        for value, limit in ((home.home_id, MAX_FIELD), (home.building, MAX_FIELD),
                             (home.room, MAX_FIELD), *((n, MAX_NAME) for n in home.owners),
                             *((i, MAX_NAME) for i in home.owner_ids))
        if len(value) > limit or not value.isprintable()
    ]
    if too_long:
        raise RegisterRejected(too_long)
    _refuse_while_voting(db, estate, now)
    summary = _replace_homes(db, estate, homes)
    _refresh_scheduled(db, estate, homes, now)
    audit.record(db, actor_id=actor.user_id, action="import_owner_register", target_type="place",
                 target_id=estate.id, place_id=estate.id, created=summary.created,
                 updated=summary.updated, removed=summary.removed,
                 warnings=[w.code for w in read.warnings])
    return replace(summary, warnings=tuple(warning_msg(w) for w in read.warnings))


def _replace_homes(db: Session, estate: Place, homes: list[rules.Home]) -> ImportSummary:
    existing = {code: (hid, group, building) for hid, code, group, building in db.exec(
        select(Home.id, Home.code, Home.building_group_id, Home.building)
        .where(Home.estate_id == estate.id)).all()}
    estate_home_ids = select(Home.id).where(Home.estate_id == estate.id).scalar_subquery()
    # a link follows the owner: their identifier where the new register gives one, else
    # their name on that home
    linked_ids = {ident: user_id for ident, user_id in db.exec(
        select(HomeOwner.identifier, HomeOwner.user_id).join(Home, Home.id == HomeOwner.home_id)
        .where(Home.estate_id == estate.id, HomeOwner.user_id.is_not(None),
               HomeOwner.identifier.is_not(None))).all()}
    links = {(code, name): user_id for code, name, user_id in db.exec(
        select(Home.code, HomeOwner.name, HomeOwner.user_id).join(Home, Home.id == HomeOwner.home_id)
        .where(Home.estate_id == estate.id, HomeOwner.user_id.is_not(None))).all()}
    group_of_building = {building: group for _, group, building in existing.values() if group}
    db.execute(delete(HomeOwner).where(HomeOwner.home_id.in_(estate_home_ids)))
    new_codes = {home.home_id for home in homes}
    gone = [hid for code, (hid, _, _) in existing.items() if code not in new_codes]
    for start in range(0, len(gone), 500):
        db.execute(delete(Home).where(Home.id.in_(gone[start:start + 500])))
    updates, inserts = [], []
    for home in homes:
        values = {"building": home.building, "room": home.room,
                  "area_hundredths": home.area_cents, "developer_held": home.developer_held}
        if home.home_id in existing:
            updates.append({"id": existing[home.home_id][0], **values})
        else:
            inserts.append({"estate_id": estate.id, "code": home.home_id,
                            "building_group_id": group_of_building.get(home.building), **values})
    if updates:
        db.execute(update(Home), updates)
    id_of = {code: existing[code][0] for code in new_codes if code in existing}
    if inserts:
        for hid, code in db.execute(insert(Home).returning(Home.id, Home.code), inserts).all():
            id_of[code] = hid
    owner_rows = [
        {"home_id": id_of[home.home_id], "name": name, "identifier": ident or None,
         "user_id": linked_ids.get(ident) if ident and ident in linked_ids
         else links.get((home.home_id, name))}
        for home in homes
        for name, ident in dict(zip(home.owners, home.owner_ids or ("",) * len(home.owners),
                                    strict=True)).items()
    ]
    if owner_rows:
        db.execute(insert(HomeOwner), owner_rows)
    db.expire_all()
    return ImportSummary(created=len(inserts), updated=len(updates), removed=len(gone),
                         totals=rules.register_totals(homes))


def _refresh_scheduled(db: Session, estate: Place, homes: list[rules.Home], now: datetime) -> None:
    """Matters not yet open are counted against the register as it now stands."""
    text = register.format_homes_csv(homes)
    scheduled = select(OwnerMatter.id).where(OwnerMatter.estate_id == estate.id,
                                             OwnerMatter.opens_at > now).scalar_subquery()
    db.execute(update(OwnerMatterRegister).where(OwnerMatterRegister.matter_id.in_(scheduled))
               .values(homes_csv=text, taken_at=now))


def get_home(db: Session, home_id: int) -> tuple[Home, Place]:
    home = db.get(Home, home_id)
    if home is None:
        raise NotFound()
    return home, get_estate(db, home.estate_id)


def home_owners(db: Session, home: Home) -> list[tuple[HomeOwner, User | None]]:
    return list(db.exec(select(HomeOwner, User).outerjoin(User, User.id == HomeOwner.user_id)
                        .where(HomeOwner.home_id == home.id).order_by(HomeOwner.id)).all())


def _clean_names(text: str) -> list[str]:
    return list(dict.fromkeys(n.strip() for n in text.split(register.OWNER_SEPARATOR) if n.strip()))


def update_home(db: Session, actor: Actor, home_id: int, *, building: str, room: str, area: str,
                owners: str, developer_held: bool, now: datetime) -> Home:
    """Correct one home; the checks are the register's, as field messages."""
    home, estate = get_home(db, home_id)
    _check("manage_owner_register", actor, estate)
    errors: dict[str, Msg] = {}
    building, room, area = building.strip(), room.strip(), area.strip()
    for name, value in (("building", building), ("room", room)):
        if not value:
            errors[name] = Msg(N_("Please fill this in."))
        elif len(value) > MAX_FIELD:
            errors[name] = Msg(N_("At most %(max)s characters."), {"max": MAX_FIELD})
    cents = None
    try:
        cents = rules.area_to_cents(register.parse_area(area))
    except ValueError as exc:
        errors["area"] = Msg(AREA_MESSAGES[str(exc.args[0])], {"value": area})
    names = _clean_names(owners)
    if any(len(n) > MAX_NAME or not n.isprintable() for n in names):
        errors["owners"] = Msg(N_("Each name may have at most %(max)s characters and no line breaks."),
                               {"max": MAX_NAME})
    elif not names and not developer_held:
        errors["owners"] = Msg(N_("List the owners, separated by “;”, or mark the home as held by the developer."))
    if errors:
        raise FieldErrors(errors)
    _refuse_while_voting(db, estate, now)
    old = {o.name: o for o in db.exec(select(HomeOwner).where(HomeOwner.home_id == home.id)).all()}
    for name, row in old.items():
        if name not in names:
            db.delete(row)
    for name in names:
        if name not in old:
            db.add(HomeOwner(home_id=home.id, name=name))
    home.building, home.room, home.area_hundredths = building, room, cents
    home.developer_held = developer_held
    db.add(home)
    db.flush()
    _refresh_scheduled(db, estate, estate_homes(db, estate), now)
    audit.record(db, actor_id=actor.user_id, action="edit_owner_home", target_type="home",
                 target_id=home.id, place_id=estate.id, code=home.code, area_hundredths=cents,
                 owners=names, developer_held=developer_held)
    return home


def register_csv(db: Session, actor: Actor, estate: Place) -> str:
    """The estate's current register in the recount command's ``homes.csv`` format."""
    _check("manage_owner_register", actor, estate)
    return register.format_homes_csv(estate_homes(db, estate))
