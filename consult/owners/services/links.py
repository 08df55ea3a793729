"""Linking owners of record to accounts.

Staff ask for a link; it is made only once someone else confirms it (see
rules.link_refusal): the account holder on their page, staff typing the code the
account holder is shown, or a second staff member (not while a matter is open).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, update
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.accounts import rules as account_rules
from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities import services as communities
from consult.communities.models import Home, HomeOwner, Place, RoleAssignment
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound, NotSignedIn
from consult.i18n import N_, Msg
from consult.notifications import services as notifications
from consult.owners import rules
from consult.owners.models import OwnerBallot, OwnerLink, OwnerMatter
from consult.owners.services.common import _check, get_estate, may, state_of
from consult.owners.services.counting import matter_homes
from consult.owners.services.homes import get_home
from consult.permissions import Actor

MAX_CODE_ATTEMPTS = 5


def _owner_record(db: Session, owner_id: int) -> tuple[HomeOwner, Home, Place]:
    owner = db.get(HomeOwner, owner_id)
    if owner is None:
        raise NotFound()
    home, estate = get_home(db, owner.home_id)
    return owner, home, estate


def _same_owner(name: str, identifier: str | None):
    """The owner records that are this owner: by identifier where the register gives one,
    else by name among the records without one (two 张三 with identifiers are two owners)."""
    if identifier:
        return HomeOwner.identifier == identifier
    return (HomeOwner.name == name) & HomeOwner.identifier.is_(None)


def _records(db: Session, estate_id: int, name: str, identifier: str | None):
    """The ids of this owner's records on the estate's register, as a subquery."""
    return select(HomeOwner.id).join(Home, Home.id == HomeOwner.home_id).where(
        Home.estate_id == estate_id, _same_owner(name, identifier)).scalar_subquery()


def _homes_of_name(db: Session, estate_id: int, name: str, identifier: str | None) -> list[int]:
    return list(db.exec(select(HomeOwner.home_id).join(Home, Home.id == HomeOwner.home_id).where(
        Home.estate_id == estate_id, _same_owner(name, identifier))).all())


def _refuse_other_owners(db: Session, user: User, estate_id: int, name: str,
                         identifier: str | None) -> None:
    """One account votes for one owner (or co-owners of the same homes), never for others."""
    linked = [(estate, rules.person_token(held, ident or ""), home)
              for estate, held, ident, home in db.exec(
                  select(Home.estate_id, HomeOwner.name, HomeOwner.identifier, HomeOwner.home_id)
                  .join(Home, Home.id == HomeOwner.home_id)
                  .where(HomeOwner.user_id == user.id)).all()]
    if not rules.account_may_hold(linked, estate_id=estate_id,
                                  name=rules.person_token(name, identifier or ""),
                                  homes=_homes_of_name(db, estate_id, name, identifier)):
        raise Conflict(N_("This account is already linked to another owner. One account may only vote for one owner, or for co-owners of the same homes; remove the other link first."),
                       code="linked_to_other_owner")


def _open_matters(db: Session, estate_id: int, now: datetime) -> list[OwnerMatter]:
    return list(db.exec(select(OwnerMatter).where(
        OwnerMatter.estate_id == estate_id, OwnerMatter.opens_at <= now,
        OwnerMatter.closes_at > now).order_by(OwnerMatter.id)).all())


def _refuse_if_voted(db: Session, matters: Sequence[OwnerMatter], name: str,
                     identifier: str | None) -> None:
    """While a matter is open, an owner who has already voted cannot be linked (their
    ballot would then seem to come from the new account)."""
    person = rules.person_token(name, identifier or "")
    for matter in matters:
        digests = [rules.owner_digest(key) for key in rules.holdings(matter_homes(db, matter))
                   if key is not rules.DEVELOPER and person in key]
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
    _refuse_other_owners(db, user, estate.id, owner.name, owner.identifier)
    _refuse_if_voted(db, _open_matters(db, estate.id, now), owner.name, owner.identifier)
    same = (OwnerLink.identifier == owner.identifier if owner.identifier
            else (OwnerLink.name == owner.name) & OwnerLink.identifier.is_(None))
    db.execute(update(OwnerLink).where(
        OwnerLink.estate_id == estate.id, same,
        OwnerLink.status == "pending").values(status="cancelled", decided_by=actor.user_id,
                                              decided_at=now))
    link = OwnerLink(estate_id=estate.id, name=owner.name, identifier=owner.identifier,
                     home_code=home.code, user_id=user.id,
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
    _refuse_other_owners(db, user, estate.id, link.name, link.identifier)
    _refuse_if_voted(db, matters, link.name, link.identifier)
    rows = _records(db, estate.id, link.name, link.identifier)
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
    audit.record(db, actor_id=actor.user_id, action="refused_owner_link" if holder else "cancelled_owner_link", target_type="user",
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
    same_name = _records(db, estate.id, owner.name, owner.identifier)
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
