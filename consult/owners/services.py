"""Owners' votes: the register, matters, ballots and their count.

The only code of this domain that touches the session.  Counting goes through the
very functions the recount command uses (:mod:`.register` then :func:`.rules.tally`),
fed from the database instead of files, so the page and the command cannot
disagree.  Every function that depends on the time takes ``now``.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, func, insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock, permissions
from consult.accounts import rules as account_rules
from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities import services as communities
from consult.communities.models import Home, HomeOwner, Place, RoleAssignment
from consult.config import Settings
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound, NotSignedIn, UserError
from consult.i18n import N_, Msg
from consult.media.images import ImageError, process_upload
from consult.notifications import services as notifications
from consult.permissions import Actor

from . import register, rules
from .labels import AREA_MESSAGES, line_error_msg
from .models import OwnerAttachment, OwnerBallot, OwnerLink, OwnerMatter, OwnerMatterRegister

#: Ballots in these states are counted; the others hold the owner's place only.
COUNTED = ("final", "confirmed")
MAX_TITLE = 120
MAX_DESCRIPTION = 5000
MAX_NAME = 80
MAX_FIELD = 40
MAX_REASON = 200
MAX_FILE_BYTES = 10 * 1024 * 1024
PAGE_SIZE = 100


class RegisterRejected(UserError):
    """The uploaded register is wrong; ``messages`` lists every problem, translatable."""

    status = 422
    code = "invalid_register"

    def __init__(self, messages: Sequence[Msg], lines: Sequence[int | None] | None = None):
        self.messages = list(messages)
        #: The line each message is about (None: the whole file), for the API.
        self.lines = list(lines) if lines is not None else [None] * len(self.messages)
        super().__init__(Msg(N_("Nothing was imported. Please correct every problem listed and upload the file again.")))


# -- places and permissions ----------------------------------------------------------------


def get_estate(db: Session, estate_id: int) -> Place:
    estate = db.get(Place, estate_id)
    if estate is None or estate.kind != "estate":
        raise NotFound()
    return estate


def _check(action: str, actor: Actor, estate: Place) -> None:
    if not permissions.allowed(action, actor, estate.ids_from_root):
        raise Forbidden() if actor.authenticated else NotSignedIn()


def may(action: str, actor: Actor, estate: Place) -> bool:
    return permissions.allowed(action, actor, estate.ids_from_root)


def _current_matters(db: Session, estate: Place, now: datetime) -> list[tuple[OwnerMatter, rules.MatterState]]:
    """The estate's matters that have not closed yet, with their state."""
    return [(m, state_of(m, now)) for m in db.exec(select(OwnerMatter).where(
        OwnerMatter.estate_id == estate.id, OwnerMatter.closes_at > now)
        .order_by(OwnerMatter.id)).all()]


def _refuse_while_voting(db: Session, estate: Place, now: datetime) -> None:
    """The register a vote is counted against must not move under the voters."""
    current = _current_matters(db, estate, now)
    if not rules.register_may_change(state for _, state in current):
        matter = next(m for m, state in current if state is rules.MatterState.OPEN)
        raise Conflict(N_("The register cannot change while “%(title)s” is open for voting."),
                       code="voting_open", title=matter.title)


# -- the register --------------------------------------------------------------------------


def estate_homes(db: Session, estate: Place) -> list[rules.Home]:
    """The estate's register as the counting rules see it (two queries, in register order)."""
    homes = db.exec(
        select(Home.id, Home.code, Home.building, Home.room, Home.area_hundredths,
               Home.developer_held).where(Home.estate_id == estate.id).order_by(Home.id)
    ).all()
    names: dict[int, list[str]] = {}
    for home_id, name in db.exec(
        select(HomeOwner.home_id, HomeOwner.name).join(Home, Home.id == HomeOwner.home_id)
        .where(Home.estate_id == estate.id).order_by(HomeOwner.id)
    ).all():
        names.setdefault(home_id, []).append(name)
    return [
        rules.Home(code, building, room, rules.cents_to_area(area), tuple(names.get(hid, ())),
                   bool(developer))
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


def parse_register_upload(filename: str, data: bytes) -> list[rules.Home]:
    """Read an uploaded register (CSV or .xlsx) or raise :class:`RegisterRejected`."""
    try:
        if filename.lower().endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
            workbook = io.BytesIO(data)
            workbook.name = filename  # named in the message if it cannot be read
            return register.parse_homes_xlsx(workbook)
        return register.parse_homes_csv(register.decode_text(data))
    except register.InputError as exc:
        raise RegisterRejected([line_error_msg(e) for e in exc.errors],
                               [e.line for e in exc.errors]) from None
    except UnicodeDecodeError:
        raise RegisterRejected([Msg(N_("The file %(name)s is not text in UTF-8 or GB18030; please save it as CSV UTF-8 or as .xlsx."),
                                    {"name": filename})]) from None


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int
    removed: int
    totals: rules.RegisterTotals


def import_register(db: Session, actor: Actor, estate: Place, *, filename: str, data: bytes,
                    now: datetime) -> ImportSummary:
    """Replace the estate's register by the uploaded one, all or nothing.

    Homes are matched by ``home_id``; an owner keeps the account linked to their
    name on that home, so a corrected register does not undo the linking.
    """
    _check("manage_owner_register", actor, estate)
    homes = parse_register_upload(filename, data)
    too_long = [
        Msg(N_("Home %(home)s: “%(value)s” is longer than %(max)s characters."),
            {"home": home.home_id[:MAX_FIELD], "value": value[:MAX_NAME], "max": limit})
        for home in homes
        for value, limit in ((home.home_id, MAX_FIELD), (home.building, MAX_FIELD),
                             (home.room, MAX_FIELD), *((n, MAX_NAME) for n in home.owners))
        if len(value) > limit or not value.isprintable()
    ]
    if too_long:
        raise RegisterRejected(too_long)
    _refuse_while_voting(db, estate, now)
    summary = _replace_homes(db, estate, homes)
    _refresh_scheduled(db, estate, homes, now)
    audit.record(db, actor_id=actor.user_id, action="import_owner_register", target_type="place",
                 target_id=estate.id, place_id=estate.id, created=summary.created,
                 updated=summary.updated, removed=summary.removed)
    return summary


def _replace_homes(db: Session, estate: Place, homes: list[rules.Home]) -> ImportSummary:
    existing = {code: (hid, group, building) for hid, code, group, building in db.exec(
        select(Home.id, Home.code, Home.building_group_id, Home.building)
        .where(Home.estate_id == estate.id)).all()}
    estate_home_ids = select(Home.id).where(Home.estate_id == estate.id).scalar_subquery()
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
        {"home_id": id_of[home.home_id], "name": name, "user_id": links.get((home.home_id, name))}
        for home in homes for name in dict.fromkeys(home.owners)
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


# -- linking owners of record to accounts -------------------------------------------------
#
# Staff ask for a link; it is made only once someone else confirms it (see
# rules.link_refusal): the account holder on their page, staff typing the code the
# account holder is shown, or a second staff member (not while a matter is open).

MAX_CODE_ATTEMPTS = 5


def _owner_record(db: Session, owner_id: int) -> tuple[HomeOwner, Home, Place]:
    owner = db.get(HomeOwner, owner_id)
    if owner is None:
        raise NotFound()
    home, estate = get_home(db, owner.home_id)
    return owner, home, estate


def _homes_of_name(db: Session, estate_id: int, name: str) -> list[int]:
    return list(db.exec(select(HomeOwner.home_id).join(Home, Home.id == HomeOwner.home_id).where(
        Home.estate_id == estate_id, HomeOwner.name == name)).all())


def _refuse_other_owners(db: Session, user: User, estate_id: int, name: str) -> None:
    """One account votes for one owner (or co-owners of the same homes), never for others."""
    linked = db.exec(select(Home.estate_id, HomeOwner.name, HomeOwner.home_id)
                     .join(Home, Home.id == HomeOwner.home_id)
                     .where(HomeOwner.user_id == user.id)).all()
    if not rules.account_may_hold(linked, estate_id=estate_id, name=name,
                                  homes=_homes_of_name(db, estate_id, name)):
        raise Conflict(N_("This account is already linked to another owner. One account may only vote for one owner, or for co-owners of the same homes; remove the other link first."),
                       code="linked_to_other_owner")


def _open_matters(db: Session, estate_id: int, now: datetime) -> list[OwnerMatter]:
    return list(db.exec(select(OwnerMatter).where(
        OwnerMatter.estate_id == estate_id, OwnerMatter.opens_at <= now,
        OwnerMatter.closes_at > now).order_by(OwnerMatter.id)).all())


def _refuse_if_voted(db: Session, matters: Sequence[OwnerMatter], name: str) -> None:
    """While a matter is open, an owner who has already voted cannot be linked (their
    ballot would then seem to come from the new account)."""
    for matter in matters:
        digests = [rules.owner_digest(key) for key in rules.holdings(matter_homes(db, matter))
                   if key is not rules.DEVELOPER and name in key]
        if digests and db.exec(select(OwnerBallot.id).where(
                OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(True),
                OwnerBallot.owner_key.in_(digests))).first():
            raise Conflict(N_("%(name)s has already voted on “%(title)s”; the link can be made after voting closes."),
                           code="owner_voted", name=name, title=matter.title)


def request_link(db: Session, actor: Actor, owner_id: int, *, phone: str,
                 now: datetime) -> OwnerLink:
    """Staff ask to link an owner of record to the account with this mobile number.

    Nothing is linked yet: the account holder is notified and sees the request (and a
    code) on their owners' page; see :func:`confirm_link`.
    """
    owner, home, estate = _owner_record(db, owner_id)
    _check("manage_owner_register", actor, estate)
    number = account_rules.normalize_phone(phone)
    if number is None:
        raise FieldErrors({"phone": Msg(N_("Please enter a valid mainland mobile number (11 digits, starting with 1)."))})
    user = db.exec(select(User).where(or_(User.phone == number, User.login == number))).first()
    if user is None:
        raise FieldErrors({"phone": Msg(N_("No account uses this number. Ask the owner to register first."))})
    if owner.user_id == user.id:
        raise Conflict(N_("%(name)s is already linked to this account."), code="already_linked",
                       name=owner.name)
    _refuse_other_owners(db, user, estate.id, owner.name)
    _refuse_if_voted(db, _open_matters(db, estate.id, now), owner.name)
    db.execute(update(OwnerLink).where(
        OwnerLink.estate_id == estate.id, OwnerLink.name == owner.name,
        OwnerLink.status == "pending").values(status="cancelled", decided_by=actor.user_id,
                                              decided_at=now))
    link = OwnerLink(estate_id=estate.id, name=owner.name, home_code=home.code, user_id=user.id,
                     code=f"{secrets.randbelow(10 ** 6):06d}", requested_by=actor.user_id,
                     requested_at=now)
    db.add(link)
    db.flush()
    notifications.notify(db, user_id=user.id, kind="owner_link_requested",
                         params={"name": owner.name, "home": home.code, "estate": estate.name},
                         link="/owners/links")
    audit.record(db, actor_id=actor.user_id, action="request_owner_link", target_type="user",
                 target_id=user.id, place_id=estate.id, name=owner.name, home=home.code,
                 link_id=link.id, requested_by=actor.user_id)
    return link


def get_link(db: Session, link_id: int) -> tuple[OwnerLink, Place]:
    link = db.get(OwnerLink, link_id)
    if link is None:
        raise NotFound()
    return link, get_estate(db, link.estate_id)


REFUSALS = {
    "not_yours": N_("This request is for someone else's account."),
    "own_request": N_("Nobody confirms their own request: another person must confirm this link (the account holder on their page, or a second staff member)."),
    "owner_must_confirm": N_("While a matter of this estate is open, only the owner can confirm a link: ask them to confirm it on their page or to read you the code on it."),
}


def confirm_link(db: Session, actor: Actor, link_id: int, *, method: str, code: str = "",
                 now: datetime) -> OwnerLink:
    """Make a requested link, confirmed by ``method`` (a :class:`rules.LinkMethod`)."""
    link, estate = get_link(db, link_id)
    method = rules.LinkMethod(method)
    if method is rules.LinkMethod.OWNER:
        if not actor.authenticated:
            raise NotSignedIn()
    elif method is rules.LinkMethod.SECOND_STAFF:
        _check("approve_owner_link", actor, estate)
    else:
        _check("decide_owner_link", actor, estate)
    if link.status != "pending":
        raise Conflict(N_("This link request is no longer waiting for a decision."), code="not_pending")
    matters = _open_matters(db, estate.id, now)
    refusal = rules.link_refusal(method, decider=actor.user_id, requested_by=link.requested_by,
                                 account=link.user_id,
                                 matter_open=rules.link_needs_the_owner(
                                     state_of(m, now) for m in matters))
    if refusal == "not_yours":
        raise NotFound()  # someone else's request does not exist for this person
    if refusal:
        raise Forbidden(REFUSALS[refusal]) if refusal != "owner_must_confirm" else Conflict(
            REFUSALS[refusal], code=refusal)
    if method is rules.LinkMethod.CODE and not hmac.compare_digest(code.strip().encode(), link.code.encode()):
        link.code_attempts += 1
        if link.code_attempts >= MAX_CODE_ATTEMPTS:
            link.status, link.decided_by, link.decided_at = "cancelled", actor.user_id, now
        db.add(link)
        db.flush()
        raise FieldErrors({"code": Msg(N_("That is not the code shown on the owner's page. Please ask them to read it again; after %(max)s wrong codes the request is cancelled."),
                                       {"max": MAX_CODE_ATTEMPTS})})
    user = db.get(User, link.user_id)
    _refuse_other_owners(db, user, estate.id, link.name)
    _refuse_if_voted(db, matters, link.name)
    rows = select(HomeOwner.id).join(Home, Home.id == HomeOwner.home_id).where(
        Home.estate_id == estate.id, HomeOwner.name == link.name).scalar_subquery()
    if not db.exec(select(func.count()).select_from(HomeOwner).where(HomeOwner.id.in_(rows))).one():
        raise Conflict(N_("%(name)s is no longer on the register; ask the committee to request the link again."),
                       code="owner_gone", name=link.name)
    db.execute(update(HomeOwner).where(HomeOwner.id.in_(rows)).values(user_id=user.id))
    db.expire_all()
    link = db.get(OwnerLink, link_id)
    link.status, link.method, link.decided_by, link.decided_at = "linked", method.value, actor.user_id, now
    db.add(link)
    # The role comes from the link's two people: when the owner confirmed, it is the staff
    # member who asked who grants it (nobody gives themselves a role, four-eyes).
    granter = link.requested_by if actor.user_id == user.id else actor.user_id
    communities.grant_role(db, user=user, role="owner", place=estate,
                          by=db.get(User, granter) if granter else None)
    notifications.notify(db, user_id=user.id, kind="owner_linked",
                         params={"name": link.name, "estate": estate.name}, link="/owners")
    audit.record(db, actor_id=actor.user_id, action="link_owner", target_type="user",
                 target_id=user.id, place_id=estate.id, name=link.name, home=link.home_code,
                 link_id=link.id, requested_by=link.requested_by, confirmed_by=actor.user_id,
                 method=method.value)
    db.flush()
    return link


def refuse_link(db: Session, actor: Actor, link_id: int, *, now: datetime) -> OwnerLink:
    """The account holder refuses a request, or staff withdraw it."""
    link, estate = get_link(db, link_id)
    holder = actor.authenticated and actor.user_id == link.user_id
    if not holder:
        if not may("decide_owner_link", actor, estate):
            raise NotFound() if actor.authenticated else NotSignedIn()
    if link.status != "pending":
        raise Conflict(N_("This link request is no longer waiting for a decision."), code="not_pending")
    link.status = "refused" if holder else "cancelled"
    link.decided_by, link.decided_at = actor.user_id, now
    db.add(link)
    audit.record(db, actor_id=actor.user_id, action=f"{link.status}_owner_link", target_type="user",
                 target_id=link.user_id, place_id=estate.id, name=link.name, link_id=link.id,
                 requested_by=link.requested_by)
    db.flush()
    return link


def link_home(db: Session, link: OwnerLink) -> Home | None:
    """The home a request was made from, if it is still on the register."""
    return db.exec(select(Home).where(Home.estate_id == link.estate_id,
                                      Home.code == link.home_code)).first()


def my_link_requests(db: Session, user: User) -> list[tuple[OwnerLink, Place]]:
    """The requests waiting for this account holder, with their code."""
    return list(db.exec(select(OwnerLink, Place).join(Place, Place.id == OwnerLink.estate_id).where(
        OwnerLink.user_id == user.id, OwnerLink.status == "pending")
        .order_by(OwnerLink.id)).all())


def pending_links(db: Session, actor: Actor, home: Home) -> list[tuple[OwnerLink, User]]:
    """The requests waiting for the owners of this home (staff's view: no code)."""
    _, estate = get_home(db, home.id)
    _check("manage_owner_register", actor, estate)
    names = select(HomeOwner.name).where(HomeOwner.home_id == home.id).scalar_subquery()
    return list(db.exec(select(OwnerLink, User).join(User, User.id == OwnerLink.user_id).where(
        OwnerLink.estate_id == estate.id, OwnerLink.name.in_(names),
        OwnerLink.status == "pending").order_by(OwnerLink.id)).all())


def unlink_owner(db: Session, actor: Actor, owner_id: int, *, now: datetime | None = None) -> None:
    """Undo a link (wrong person); the name stays on the register and the holder is told."""
    owner, home, estate = _owner_record(db, owner_id)
    _check("manage_owner_register", actor, estate)
    previous = owner.user_id
    same_name = select(HomeOwner.id).join(Home, Home.id == HomeOwner.home_id).where(
        Home.estate_id == estate.id, HomeOwner.name == owner.name).scalar_subquery()
    db.execute(update(HomeOwner).where(HomeOwner.id.in_(same_name)).values(user_id=None))
    db.expire_all()
    if previous is not None and not db.exec(select(HomeOwner.id).join(Home, Home.id == HomeOwner.home_id)
                                            .where(Home.estate_id == estate.id,
                                                   HomeOwner.user_id == previous)).first():
        # no owner of this estate left on the account: it no longer acts as one
        # (owners' surveys, turnout), not only no longer votes
        db.execute(delete(RoleAssignment).where(
            RoleAssignment.user_id == previous, RoleAssignment.role == "owner",
            RoleAssignment.place_id == estate.id))
    if previous is not None:
        notifications.notify(db, user_id=previous, kind="owner_unlinked",
                             params={"name": owner.name, "estate": estate.name})
    audit.record(db, actor_id=actor.user_id, action="unlink_owner", target_type="user",
                 target_id=previous, place_id=estate.id, name=owner.name, home=home.code)


def register_csv(db: Session, actor: Actor, estate: Place) -> str:
    """The estate's current register in the recount command's ``homes.csv`` format."""
    _check("manage_owner_register", actor, estate)
    return register.format_homes_csv(estate_homes(db, estate))


# -- matters -------------------------------------------------------------------------------


def parse_when(value: datetime | str | None) -> datetime | None:
    """A form's Beijing wall time (``2026-12-01T09:00``) or an ISO time with offset, as UTC."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value or "").strip())
        except ValueError:
            return None
    try:
        return clock.from_local(moment) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # year 1, or 9999 just before midnight
        return None


def get_matter(db: Session, matter_id: int) -> tuple[OwnerMatter, Place]:
    matter = db.get(OwnerMatter, matter_id)
    if matter is None:
        raise NotFound()
    return matter, get_estate(db, matter.estate_id)


def state_of(matter: OwnerMatter, now: datetime) -> rules.MatterState:
    return rules.matter_state(matter.opens_at, matter.closes_at, now)


def matters_of(db: Session, estate: Place) -> list[OwnerMatter]:
    return list(db.exec(select(OwnerMatter).where(OwnerMatter.estate_id == estate.id)
                        .order_by(OwnerMatter.opens_at.desc(), OwnerMatter.id.desc())).all())


def estates_for(db: Session, actor: Actor) -> list[tuple[Place, list[OwnerMatter]]]:
    """Estates where the actor is an owner, owners' rep or staff, with their matters."""
    roles = {"owner", "owners_rep", *permissions.STAFF}
    places = communities.staff_places(actor, db, roles=roles)
    if not places:
        return []
    inside = or_(*(Place.path.startswith(p.path) for p in places))
    estates = list(db.exec(select(Place).where(Place.kind == "estate", inside)
                           .order_by(Place.path).limit(200)).all())
    by_estate: dict[int, list[OwnerMatter]] = {e.id: [] for e in estates}
    if estates:
        for matter in db.exec(select(OwnerMatter).where(OwnerMatter.estate_id.in_(list(by_estate)))
                              .order_by(OwnerMatter.opens_at.desc(), OwnerMatter.id.desc())).all():
            by_estate[matter.estate_id].append(matter)
    return [(e, by_estate[e.id]) for e in estates]


def create_matter(db: Session, actor: Actor, estate: Place, *, title: str, kind: str,
                  description: str, opens_at: datetime | str | None,
                  closes_at: datetime | str | None, paper_double_key: bool,
                  now: datetime) -> OwnerMatter:
    """Put a matter to the owners; it is counted against a copy of today's register."""
    _check("manage_owner_matter", actor, estate)
    errors: dict[str, Msg] = {}
    title, description = title.strip(), description.strip()
    if not title:
        errors["title"] = Msg(N_("Please give the matter a title."))
    elif len(title) > MAX_TITLE:
        errors["title"] = Msg(N_("At most %(max)s characters."), {"max": MAX_TITLE})
    if kind not in {k.value for k in rules.MatterKind}:
        errors["kind"] = Msg(N_("Please choose what kind of matter this is."))
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = Msg(N_("At most %(max)s characters."), {"max": MAX_DESCRIPTION})
    opens, closes = parse_when(opens_at), parse_when(closes_at)
    if opens is None:
        errors["opens_at"] = Msg(N_("Please give a date and time."))
    if closes is None:
        errors["closes_at"] = Msg(N_("Please give a date and time."))
    elif opens is not None and closes <= opens:
        errors["closes_at"] = Msg(N_("Voting must close after it opens."))
    elif closes <= now:
        errors["closes_at"] = Msg(N_("The closing time has already passed."))
    if errors:
        raise FieldErrors(errors)
    homes = estate_homes(db, estate)
    if not homes:
        raise Conflict(N_("Import the estate's home register before putting a matter to the owners."),
                       code="no_register")
    matter = OwnerMatter(estate_id=estate.id, title=title, kind=kind, description=description,
                         opens_at=opens, closes_at=closes, paper_double_key=paper_double_key,
                         created_by=actor.user_id, created_at=now)
    db.add(matter)
    db.flush()
    db.add(OwnerMatterRegister(matter_id=matter.id, homes_csv=register.format_homes_csv(homes),
                               taken_at=now))
    audit.record(db, actor_id=actor.user_id, action="create_owner_matter", target_type="owner_matter",
                 target_id=matter.id, place_id=estate.id, title=title, kind=kind)
    db.flush()
    return matter


def attachments_of(db: Session, matter: OwnerMatter) -> list[OwnerAttachment]:
    return list(db.exec(select(OwnerAttachment).where(OwnerAttachment.matter_id == matter.id)
                        .order_by(OwnerAttachment.id)).all())


# -- files ---------------------------------------------------------------------------------

def _files_dir(settings: Settings) -> Path:
    return settings.media_dir / "owners"


def _store_upload(settings: Settings, data: bytes) -> tuple[str, str]:
    """Keep a PDF as it is, or a picture re-encoded without metadata; return (name, type).

    Files are named by their content's SHA-256, so the name never comes from the user.
    """
    if not data:
        raise FieldErrors({"file": Msg(N_("Please choose a file."))})
    if len(data) > MAX_FILE_BYTES:
        raise FieldErrors({"file": Msg(N_("The file is too large; at most %(max)s MB."),
                                       {"max": MAX_FILE_BYTES // (1024 * 1024)})})
    if data.startswith(b"%PDF-"):
        body, content_type, suffix = data, "application/pdf", ".pdf"
    else:
        try:
            body = process_upload(data, max_bytes=MAX_FILE_BYTES).data
        except ImageError:
            raise FieldErrors({"file": Msg(N_("Please choose a PDF file or a photo (JPEG, PNG)."))}) from None
        content_type, suffix = "image/jpeg", ".jpg"
    name = hashlib.sha256(body).hexdigest() + suffix
    folder = _files_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        os.replace(temporary, target)
    return name, content_type


def stored_file(settings: Settings, name: str) -> Path:
    path = _files_dir(settings) / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        raise NotFound()
    return path


def add_attachment(db: Session, actor: Actor, settings: Settings, matter_id: int, *,
                   filename: str, data: bytes, now: datetime) -> OwnerAttachment:
    matter, estate = get_matter(db, matter_id)
    _check("manage_owner_matter", actor, estate)
    if not rules.documents_may_change(state_of(matter, now)):
        raise Conflict(N_("Voting has closed; documents can no longer be added."), code="closed")
    name, content_type = _store_upload(settings, data)
    shown = Path(filename or "").name.strip()[:MAX_TITLE] or name
    attachment = OwnerAttachment(matter_id=matter.id, filename=shown, stored_name=name,
                                 content_type=content_type, size_bytes=len(data),
                                 uploaded_by=actor.user_id, uploaded_at=now)
    db.add(attachment)
    db.flush()
    return attachment


def get_attachment(db: Session, settings: Settings, attachment_id: int) -> tuple[OwnerAttachment, Path]:
    """A matter's document; public like the notice it belongs to."""
    attachment = db.get(OwnerAttachment, attachment_id)
    if attachment is None:
        raise NotFound()
    return attachment, stored_file(settings, attachment.stored_name)


def proxy_scan(db: Session, actor: Actor, settings: Settings, ballot_id: int) -> tuple[OwnerBallot, Path]:
    """The scanned proxy form: personal data, for staff only."""
    ballot, matter, estate = get_ballot(db, ballot_id)
    _check("enter_owner_paper_ballot", actor, estate)
    if not ballot.proxy_scan:
        raise NotFound()
    return ballot, stored_file(settings, ballot.proxy_scan)


# -- counting ------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _parsed_register(text: str) -> tuple[rules.Home, ...]:
    return tuple(register.parse_homes_csv(text))


def matter_homes(db: Session, matter: OwnerMatter) -> tuple[rules.Home, ...]:
    """The register this matter is counted against (its frozen copy)."""
    text = db.exec(select(OwnerMatterRegister.homes_csv)
                   .where(OwnerMatterRegister.matter_id == matter.id)).one()
    return _parsed_register(text)


def matter_register_csv(db: Session, actor: Actor, matter_id: int) -> tuple[OwnerMatter, str]:
    matter, estate = get_matter(db, matter_id)
    _check("manage_owner_register", actor, estate)
    text = db.exec(select(OwnerMatterRegister.homes_csv)
                   .where(OwnerMatterRegister.matter_id == matter.id)).one()
    return matter, text


def counted_ballots(db: Session, matter: OwnerMatter) -> list[tuple[str, str, str]]:
    """(home_id, choice, channel) of every ballot that counts, in the order cast."""
    return [tuple(row) for row in db.exec(
        select(OwnerBallot.home_code, OwnerBallot.choice, OwnerBallot.channel)
        .where(OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(True),
               OwnerBallot.status.in_(COUNTED)).order_by(OwnerBallot.id)).all()]


def count(homes: Sequence[rules.Home], ballots: Sequence[tuple[str, str, str]],
          kind: str) -> rules.Outcome:
    """The recount command's own path: ballot rows are read as ``ballots.csv`` lines."""
    rows = [(1, list(register.BALLOT_COLUMNS))]
    rows += [(line, list(ballot)) for line, ballot in enumerate(ballots, start=2)]
    parsed = register.parse_ballot_rows(rows, homes)
    return rules.tally(homes, register.choices(parsed), kind)


def outcome(db: Session, matter: OwnerMatter) -> rules.Outcome:
    return count(matter_homes(db, matter), counted_ballots(db, matter), matter.kind)


class Turnout:
    """Who has voted so far, by area and by heads, but never how: choices stay
    sealed until the close.  ``uncounted`` are paper ballots awaiting keying."""

    def __init__(self, count: rules.Outcome, uncounted: int):
        self._count = count
        self.uncounted = uncounted

    area_total = property(lambda self: self._count.area_total)
    owners_total = property(lambda self: self._count.owners_total)
    area_voted = property(lambda self: self._count.area_voted)
    owners_voted = property(lambda self: self._count.owners_voted)
    area_turnout = property(lambda self: self._count.area_turnout)
    owners_turnout = property(lambda self: self._count.owners_turnout)
    quorum_met = property(lambda self: self._count.quorum_met)


def turnout(db: Session, actor: Actor, matter_id: int) -> tuple[OwnerMatter, Place, Turnout]:
    matter, estate = get_matter(db, matter_id)
    _check("view_owner_turnout", actor, estate)
    result = outcome(db, matter)
    uncounted = db.exec(select(func.count()).select_from(OwnerBallot).where(
        OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(True),
        OwnerBallot.status.not_in(COUNTED))).one()
    return matter, estate, Turnout(result, uncounted)


def result(db: Session, matter_id: int, now: datetime) -> tuple[OwnerMatter, Place, rules.Outcome]:
    """The full count, published once voting has closed (public, like the notice board)."""
    matter, estate = get_matter(db, matter_id)
    if not rules.result_published(state_of(matter, now)):
        raise Conflict(N_("The result is published when voting closes."), code="not_closed")
    return matter, estate, outcome(db, matter)


def ballots_csv(db: Session, actor: Actor, matter_id: int, now: datetime) -> tuple[OwnerMatter, str]:
    """The counted ballots in the recount command's ``ballots.csv`` format, after close."""
    matter, estate = get_matter(db, matter_id)
    _check("manage_owner_register", actor, estate)
    if not rules.result_published(state_of(matter, now)):
        raise Conflict(N_("The ballots can be exported when voting closes."), code="not_closed")
    return matter, register.format_ballots_csv(counted_ballots(db, matter))


# -- ballots -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Voice:
    """One owner a signed-in person may vote for, and the homes the ballot covers."""

    digest: str
    names: tuple[str, ...]
    homes: tuple[rules.Home, ...]
    area_cents: int
    ballot: OwnerBallot | None


def _label(key: rules.OwnerKey) -> str:
    return "; ".join(rules.owner_names(key))[:255]


def voices(db: Session, user: User | None, matter: OwnerMatter) -> list[Voice]:
    """The owners of record linked to ``user`` in this matter's estate (not the developer)."""
    if user is None:
        return []
    codes = db.exec(select(Home.code).join(HomeOwner, HomeOwner.home_id == Home.id).where(
        Home.estate_id == matter.estate_id, HomeOwner.user_id == user.id)).all()
    if not codes:
        return []
    homes = matter_homes(db, matter)
    owner_of = rules.owner_of_home(homes)
    keys = [k for k in dict.fromkeys(owner_of[c] for c in codes if c in owner_of)
            if k is not rules.DEVELOPER]
    if not keys:
        return []
    by_owner = rules.holdings(homes)
    home_by_id = {h.home_id: h for h in homes}
    digests = {rules.owner_digest(k): k for k in keys}
    cast = {b.owner_key: b for b in db.exec(select(OwnerBallot).where(
        OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(True),
        OwnerBallot.owner_key.in_(list(digests)))).all()}
    return [
        Voice(digest, rules.owner_names(key),
              tuple(home_by_id[i] for i in by_owner[key].home_ids), by_owner[key].area_cents,
              cast.get(digest))
        for digest, key in digests.items()
    ]


def _must_be_open(matter: OwnerMatter, now: datetime, allows=rules.accepts_ballots) -> None:
    """Refuse unless the matter's state ``allows`` the action (a :mod:`.rules` predicate)."""
    state = state_of(matter, now)
    if allows(state):
        return
    if state is rules.MatterState.SCHEDULED:
        raise Conflict(N_("Voting has not opened yet."), code="not_open")
    raise Conflict(N_("Voting has closed."), code="closed")


def _choice(value: str) -> str:
    if value not in {c.value for c in rules.Choice}:
        raise FieldErrors({"choice": Msg(N_("Please choose agree, disagree or abstain."))})
    return value


def _insert(db: Session, ballot: OwnerBallot) -> OwnerBallot:
    """Insert, letting the UNIQUE constraints decide; a clash becomes a clear refusal."""
    try:
        with db.begin_nested():
            db.add(ballot)
            db.flush()
    except IntegrityError:
        if ballot.paper_serial and db.exec(select(OwnerBallot.id).where(
                OwnerBallot.matter_id == ballot.matter_id, OwnerBallot.active.is_(True),
                OwnerBallot.paper_serial == ballot.paper_serial)).first():
            raise Conflict(N_("Paper ballot %(serial)s has just been entered by someone else. Please enter it again to double-key it."),
                           code="serial_taken", serial=ballot.paper_serial) from None
        raise Conflict(N_("This owner has already voted on this matter."),
                       code="already_voted") from None
    return ballot


def cast_web_ballot(db: Session, actor: Actor, user: User, matter_id: int, *, owner: str,
                    choice: str, now: datetime) -> OwnerBallot:
    """An owner of record votes online for themselves (and their co-owners)."""
    matter, estate = get_matter(db, matter_id)
    _check("cast_owner_ballot", actor, estate)
    _must_be_open(matter, now)
    choice = _choice(choice)
    mine = {v.digest: v for v in voices(db, user, matter)}
    voice = mine.get(owner) if owner else (next(iter(mine.values())) if len(mine) == 1 else None)
    if voice is None:
        raise Forbidden(N_("You are not linked to this owner's homes. Ask your owners' committee to link your account."))
    if voice.ballot is not None:
        raise Conflict(N_("This owner has already voted on this matter."), code="already_voted")
    return _insert(db, OwnerBallot(
        matter_id=matter.id, owner_key=voice.digest, owner_label="; ".join(voice.names)[:255],
        home_code=voice.homes[0].home_id, choice=choice, channel=rules.Channel.WEB.value,
        cast_at=now, cast_by=user.id))


def _home_field(homes: Sequence[rules.Home], code: str, field: str = "home") -> rules.Home:
    found = next((h for h in homes if h.home_id == code.strip()), None)
    if found is None:
        raise FieldErrors({field: Msg(N_("Home %(home)s is not in this matter's register."),
                                      {"home": code.strip()})})
    return found


@dataclass(frozen=True)
class PaperEntry:
    ballot: OwnerBallot
    #: "entered" (first keying), "confirmed" (second keying agrees) or "mismatch".
    outcome: str


def enter_paper_ballot(db: Session, actor: Actor, matter_id: int, *, serial: str, home: str,
                       choice: str, now: datetime) -> PaperEntry:
    """Key a paper ballot; keying the same serial again by someone else checks the first."""
    matter, estate = get_matter(db, matter_id)
    _check("enter_owner_paper_ballot", actor, estate)
    _must_be_open(matter, now)
    serial = serial.strip()
    if not serial or len(serial) > MAX_FIELD or not serial.isprintable():
        raise FieldErrors({"serial": Msg(N_("Please enter the serial number printed on the paper."))})
    choice = _choice(choice)
    homes = matter_homes(db, matter)
    target = _home_field(homes, home)
    first = db.exec(select(OwnerBallot).where(
        OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(True),
        OwnerBallot.paper_serial == serial).with_for_update()).first()
    if first is None:
        key = rules.owner_key(target)
        ballot = _insert(db, OwnerBallot(
            matter_id=matter.id, owner_key=rules.owner_digest(key), owner_label=_label(key),
            home_code=target.home_id, choice=choice, channel=rules.Channel.PAPER.value,
            status="awaiting_second" if matter.paper_double_key else "final",
            paper_serial=serial, cast_at=now, cast_by=actor.user_id))
        return PaperEntry(ballot, "entered")
    if first.second_by is not None:
        raise Conflict(N_("Paper ballot %(serial)s has already been keyed twice."),
                       code="keyed_twice", serial=serial)
    if first.cast_by == actor.user_id:
        raise Conflict(N_("You keyed paper ballot %(serial)s already; a second person must key it again."),
                       code="same_keyer", serial=serial)
    first.second_home_code, first.second_choice = target.home_id, choice
    first.second_by, first.second_at = actor.user_id, now
    same = first.home_code == target.home_id and first.choice == choice
    first.status = "confirmed" if same else "mismatch"
    db.add(first)
    db.flush()
    return PaperEntry(first, "confirmed" if same else "mismatch")


def resolve_mismatch(db: Session, actor: Actor, ballot_id: int, *, keep: str,
                     now: datetime) -> OwnerBallot:
    """After looking at the paper, staff say which keying was right; then it counts."""
    ballot, matter, estate = get_ballot(db, ballot_id)
    _check("enter_owner_paper_ballot", actor, estate)
    _must_be_open(matter, now, rules.ballots_may_change)
    if ballot.status != "mismatch" or ballot.active is not True:
        raise Conflict(N_("This ballot has no differing keyings to resolve."), code="not_mismatch")
    if actor.user_id == ballot.cast_by:
        raise Forbidden(N_("You keyed this paper ballot first, so someone else must settle which keying is right. Ask another staff member."))
    if keep not in ("first", "second"):
        raise FieldErrors({"keep": Msg(N_("Please choose which keying matches the paper."))})
    key = None
    if keep == "second":
        key = rules.owner_key(_home_field(matter_homes(db, matter), ballot.second_home_code or ""))
    try:
        with db.begin_nested():  # changed inside the savepoint, so a clash undoes them
            if key is not None:  # the keyings swap places: both stay on the ballot
                ballot.owner_key, ballot.owner_label = rules.owner_digest(key), _label(key)
                ballot.home_code, ballot.second_home_code = ballot.second_home_code, ballot.home_code
                ballot.choice, ballot.second_choice = ballot.second_choice, ballot.choice
                ballot.cast_by, ballot.second_by = ballot.second_by, ballot.cast_by
            ballot.status = "confirmed"
            db.add(ballot)
            db.flush()
    except IntegrityError:
        raise Conflict(N_("This owner has already voted on this matter."), code="already_voted") from None
    audit.record(db, actor_id=actor.user_id, action="resolve_owner_paper_ballot",
                 target_type="owner_ballot", target_id=ballot.id, place_id=estate.id,
                 matter_id=matter.id, serial=ballot.paper_serial, kept=keep)
    return ballot


def resolve_by_rekeying(db: Session, actor: Actor, ballot_id: int, *, home: str, choice: str,
                        now: datetime) -> OwnerBallot:
    """Settle two differing keyings by keying the paper a third time: the keying that
    matches counts.  Staff never see how the two keyings voted while voting is open."""
    ballot = db.get(OwnerBallot, ballot_id)
    if ballot is None:
        raise NotFound()
    choice = _choice(choice)
    keyed = (home.strip(), choice)
    keep = next((name for name, pair in (("first", (ballot.home_code, ballot.choice)),
                                         ("second", (ballot.second_home_code, ballot.second_choice)))
                 if pair == keyed), None)
    if keep is None:
        raise Conflict(N_("What you keyed matches neither keying of paper %(serial)s. Please look at the paper again; if it is unclear, void the ballot with a reason."),
                       code="no_keying_matches", serial=ballot.paper_serial or "")
    return resolve_mismatch(db, actor, ballot_id, keep=keep, now=now)


def enter_proxy_ballot(db: Session, actor: Actor, settings: Settings, matter_id: int, *,
                       home: str, choice: str, holder: str, filename: str, scan: bytes,
                       now: datetime) -> OwnerBallot:
    """A ballot by written proxy (委托书): the holder named, the signed form attached."""
    matter, estate = get_matter(db, matter_id)
    _check("enter_owner_paper_ballot", actor, estate)
    _must_be_open(matter, now)
    errors: dict[str, Msg] = {}
    holder = holder.strip()
    if not holder or len(holder) > MAX_NAME or not holder.isprintable():
        errors["holder"] = Msg(N_("Please give the proxy holder's name."))
    if not scan:
        errors["file"] = Msg(N_("Please attach the scan or photo of the signed proxy form."))
    if errors:
        raise FieldErrors(errors)
    choice = _choice(choice)
    target = _home_field(matter_homes(db, matter), home)
    key = rules.owner_key(target)
    stored, _ = _store_upload(settings, scan)
    return _insert(db, OwnerBallot(
        matter_id=matter.id, owner_key=rules.owner_digest(key), owner_label=_label(key),
        home_code=target.home_id, choice=choice, channel=rules.Channel.PROXY.value,
        proxy_holder=holder, proxy_scan=stored, cast_at=now, cast_by=actor.user_id))


def get_ballot(db: Session, ballot_id: int) -> tuple[OwnerBallot, OwnerMatter, Place]:
    ballot = db.get(OwnerBallot, ballot_id)
    if ballot is None:
        raise NotFound()
    matter, estate = get_matter(db, ballot.matter_id)
    return ballot, matter, estate


def void_ballot(db: Session, actor: Actor, ballot_id: int, *, reason: str,
                now: datetime) -> OwnerBallot:
    """Staff void a ballot before close, with a reason; the owner may then vote again."""
    ballot, matter, estate = get_ballot(db, ballot_id)
    _check("void_owner_ballot", actor, estate)
    _must_be_open(matter, now, rules.ballots_may_change)
    if actor.user_id in (ballot.cast_by, ballot.second_by):
        raise Forbidden(N_("You entered this ballot, so someone else must decide to void it. Ask another staff member."))
    reason = reason.strip()
    if not reason:
        raise FieldErrors({"reason": Msg(N_("Please give a reason; it is kept in the audit log."))})
    if len(reason) > MAX_REASON:
        raise FieldErrors({"reason": Msg(N_("At most %(max)s characters."), {"max": MAX_REASON})})
    if ballot.active is not True:
        raise Conflict(N_("This ballot has already been voided."), code="already_voided")
    ballot.active = None
    ballot.voided_at, ballot.voided_by, ballot.void_reason = now, actor.user_id, reason
    db.add(ballot)
    # not the choice: the audit log is read by staff while voting is open
    audit.record(db, actor_id=actor.user_id, action="void_owner_ballot", target_type="owner_ballot",
                 target_id=ballot.id, place_id=estate.id, reason=reason, matter_id=matter.id,
                 home=ballot.home_code, channel=ballot.channel, entered_by=ballot.cast_by)
    for user_id in _accounts_of_owner(db, matter, ballot.home_code):
        notifications.notify(db, user_id=user_id, kind="owner_ballot_voided",
                             params={"title": matter.title, "reason": reason},
                             link=f"/owners/matters/{matter.id}")
    db.flush()
    return ballot


def _accounts_of_owner(db: Session, matter: OwnerMatter, home_code: str) -> list[int]:
    """The accounts linked to the owner a ballot was given for (none for the developer)."""
    key = rules.owner_of_home(matter_homes(db, matter)).get(home_code)
    if key is None or key is rules.DEVELOPER:
        return []
    return sorted(set(db.exec(select(HomeOwner.user_id).join(Home, Home.id == HomeOwner.home_id).where(
        Home.estate_id == matter.estate_id, HomeOwner.name.in_(sorted(key)),
        HomeOwner.user_id.is_not(None))).all()))


def voided_reasons(db: Session, matter: OwnerMatter) -> list[str]:
    """Why ballots were voided, in the order it happened: published with the result, no names."""
    return list(db.exec(select(OwnerBallot.void_reason).where(
        OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(None))
        .order_by(OwnerBallot.voided_at, OwnerBallot.id)).all())


@dataclass(frozen=True)
class BallotList:
    mismatches: list[OwnerBallot]
    ballots: list[OwnerBallot]
    page: int
    pages: int
    total: int


def ballot_list(db: Session, actor: Actor, matter_id: int, page: int = 1) -> tuple[OwnerMatter, Place, BallotList]:
    """Staff's view of the ballots (newest first), with differing keyings on top."""
    matter, estate = get_matter(db, matter_id)
    _check("enter_owner_paper_ballot", actor, estate)
    total = db.exec(select(func.count()).select_from(OwnerBallot)
                    .where(OwnerBallot.matter_id == matter.id)).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    mismatches = list(db.exec(select(OwnerBallot).where(
        OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(True),
        OwnerBallot.status == "mismatch").order_by(OwnerBallot.id).limit(PAGE_SIZE)).all())
    rows = list(db.exec(select(OwnerBallot).where(OwnerBallot.matter_id == matter.id)
                        .order_by(OwnerBallot.id.desc()).offset((page - 1) * PAGE_SIZE)
                        .limit(PAGE_SIZE)).all())
    return matter, estate, BallotList(mismatches, rows, page, pages, total)
