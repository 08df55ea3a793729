"""Family proxies (亲情账号, issue 17 item 4) and the family way back in (item 2c).

A verified resident has at most ``MAX_PROXIES`` family members (links pending or in
force), named by their accounts. A link takes effect once both have agreed: the person
confirms a family member's request (signed in, or in person before a staff member of
their place, who is neither of the two), or the family member accepts being named by the
person. A family member then may act for the person (``acting``, kind ``family``: browse,
submit and support ideas, answer surveys; never vote) and approve a password reset the
person asked for on their own device. Either side ends a link; everything is audited and
both are told.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from sqlmodel import func, select

from consult import permissions
from consult.accounts import acting, resets, rules
from consult.accounts.models import FamilyLink, PasswordReset, User
from consult.audit import services as audit
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.permissions import Actor

#: issue 17: "a verified resident can name up to 3 family members"
MAX_PROXIES = 3
#: how many people one account may help (the issue is silent; a guard against one account
#: collecting many residents)
MAX_PEOPLE = 5
RESET_HOURS = 2

OPEN = ("pending", "active")


def _notify(db: Session, user_id: int, kind: str, **params) -> None:
    from consult.notifications import services as notifications

    notifications.notify(db, user_id=user_id, kind=kind, params=params, link="/account/family")


def _themselves(actor: Actor, action: str) -> None:
    if not permissions.allowed(action, actor):
        raise Forbidden(N_("Only the account holder, signed in as themselves, can do this."))


def _is_resident(db: Session, user: User) -> bool:
    from consult.communities.models import RoleAssignment

    return db.exec(select(RoleAssignment.id).where(RoleAssignment.user_id == user.id,
                                                   RoleAssignment.role == "resident")).first() is not None


def _count(db: Session, column, user_id: int) -> int:
    return db.exec(select(func.count()).select_from(FamilyLink)
                   .where(column == user_id, FamilyLink.status.in_(OPEN))).one()


def _user_by_phone(db: Session, phone: str, field: str) -> User:
    number = rules.normalize_phone(phone)
    if number is None:
        raise FieldErrors({field: Msg(resets.BAD_PHONE)})
    user = db.exec(select(User).where(User.phone == number)).first()
    if user is None:
        raise FieldErrors({field: Msg(N_("No account has this mobile number. The family member registers first, then you try again."))})
    return user


def _new_link(db: Session, *, person: User, proxy: User, asked_by: str, field: str, now: datetime) -> FamilyLink:
    if person.id == proxy.id:
        raise FieldErrors({field: Msg(N_("That is your own number."))})
    if not _is_resident(db, person):
        raise FieldErrors({field: Msg(N_("Only a verified resident can have family members act for them. Ask to be verified first."))})
    existing = db.exec(select(FamilyLink).where(FamilyLink.person_id == person.id,
                                                FamilyLink.proxy_id == proxy.id,
                                                FamilyLink.status.in_(OPEN))).first()
    if existing is not None:
        raise Conflict(N_("This link already exists or waits for an answer."))
    if _count(db, FamilyLink.person_id, person.id) >= MAX_PROXIES:
        raise Conflict(N_("A person can have at most 3 family members (links waiting for an answer count). End one first."))
    if _count(db, FamilyLink.proxy_id, proxy.id) >= MAX_PEOPLE:
        raise Conflict(N_("One account can help at most 5 people."))
    link = FamilyLink(person_id=person.id, proxy_id=proxy.id, asked_by=asked_by, created_at=now)
    db.add(link)
    db.flush()
    audit.record(db, actor_id=person.id if asked_by == "person" else proxy.id,
                 action="family_link_requested", target_type="family_link", target_id=link.id,
                 person_id=person.id, proxy_id=proxy.id, asked_by=asked_by)
    return link


def ask_to_help(db: Session, actor: Actor, *, phone: str, now: datetime) -> FamilyLink:
    """A family member asks to help the person with this number; the person confirms."""
    return _ask(db, actor, phone=phone, now=now, asked_by="proxy")


def name_family_member(db: Session, actor: Actor, *, phone: str, now: datetime) -> FamilyLink:
    """The person names a family member by their number; the family member accepts."""
    return _ask(db, actor, phone=phone, now=now, asked_by="person")


#: who asks → (the form field of the other's number, what the other is told)
_ASKS = {"proxy": ("phone", "family_link_requested"),
         "person": ("proxy_phone", "family_link_offered")}


def _ask(db: Session, actor: Actor, *, phone: str, now: datetime, asked_by: str) -> FamilyLink:
    _themselves(actor, "manage_family_links")
    field, kind = _ASKS[asked_by]
    me = db.get(User, actor.user_id)
    other = _user_by_phone(db, phone, field)
    person, proxy = (other, me) if asked_by == "proxy" else (me, other)
    link = _new_link(db, person=person, proxy=proxy, asked_by=asked_by, field=field, now=now)
    _notify(db, other.id, kind, name=me.display_name)
    return link


def _link(db: Session, link_id) -> FamilyLink:
    from consult.db.ids import parse_id

    number = parse_id(link_id)
    link = db.get(FamilyLink, number) if number is not None else None
    if link is None:
        raise NotFound()
    return link


def _activate(db: Session, link: FamilyLink, *, via: str, by: int, now: datetime) -> FamilyLink:
    link.status, link.confirmed_at, link.confirmed_via = "active", now, via
    if via == "desk":
        link.confirmed_by = by
    db.add(link)
    audit.record(db, actor_id=by, action="family_link_confirmed", target_type="family_link",
                 target_id=link.id, person_id=link.person_id, proxy_id=link.proxy_id, via=via)
    person, proxy = db.get(User, link.person_id), db.get(User, link.proxy_id)
    _notify(db, link.person_id, "family_link_active", name=proxy.display_name)
    _notify(db, link.proxy_id, "family_link_active", name=person.display_name)
    db.flush()
    return link


def confirm(db: Session, actor: Actor, link_id, now: datetime) -> FamilyLink:
    """The side that was asked agrees: the person (a family member asked) or the family
    member (the person named them)."""
    _themselves(actor, "manage_family_links")
    link = _link(db, link_id)
    answering = link.person_id if link.asked_by == "proxy" else link.proxy_id
    if actor.user_id not in (link.person_id, link.proxy_id):
        raise NotFound()
    if link.status != "pending":
        raise Conflict(N_("This link is no longer waiting for an answer."))
    if actor.user_id != answering:
        raise Forbidden(N_("The other side must agree: you asked for this link yourself."), code="own_request")
    return _activate(db, link, via="self", by=actor.user_id, now=now)


def confirm_at_desk(db: Session, actor: Actor, link_id, now: datetime) -> FamilyLink:
    """The person confirms in person at the desk, before a staff member of their place who
    is neither of the two."""
    link = _link(db, link_id)
    person = db.get(User, link.person_id)
    if link.status != "pending" or link.asked_by != "proxy":
        raise Conflict(N_("This link is no longer waiting for the person's confirmation."))
    if actor.user_id in (link.person_id, link.proxy_id):
        raise Forbidden(N_("Another staff member must confirm a link you are part of."), code="own_request")
    if not resets.may_act_for(db, "confirm_family_link_at_desk", actor, person):
        raise Forbidden()
    return _activate(db, link, via="desk", by=actor.user_id, now=now)


def end(db: Session, actor: Actor, link_id, now: datetime) -> FamilyLink:
    """Either side ends a link (or withdraws or refuses one waiting); logged, both told, and
    the family member's running sessions for the person end."""
    _themselves(actor, "manage_family_links")
    link = _link(db, link_id)
    if actor.user_id not in (link.person_id, link.proxy_id):
        raise NotFound()
    if link.status == "ended":
        raise Conflict(N_("This link has already ended."))
    link.status, link.ended_at, link.ended_by = "ended", now, actor.user_id
    db.add(link)
    acting.end_for_link(db, person_id=link.person_id, proxy_id=link.proxy_id, now=now)
    audit.record(db, actor_id=actor.user_id, action="family_link_ended", target_type="family_link",
                 target_id=link.id, person_id=link.person_id, proxy_id=link.proxy_id)
    other = link.proxy_id if actor.user_id == link.person_id else link.person_id
    _notify(db, other, "family_link_ended", name=db.get(User, actor.user_id).display_name)
    db.flush()
    return link


def link_in_force(db: Session, *, person_id: int, proxy_id: int) -> bool:
    return db.exec(select(FamilyLink.id).where(FamilyLink.person_id == person_id,
                                               FamilyLink.proxy_id == proxy_id,
                                               FamilyLink.status == "active")).first() is not None


def links_of(db: Session, user_id: int):
    """(my family members, the people I help): (link, the other person), open links first."""
    def rows(mine, other):
        return db.exec(select(FamilyLink, User).join(User, User.id == other)
                       .where(mine == user_id, FamilyLink.status.in_(OPEN))
                       .order_by(FamilyLink.id)).all()

    return (rows(FamilyLink.person_id, FamilyLink.proxy_id),
            rows(FamilyLink.proxy_id, FamilyLink.person_id))


def pending_for_person(db: Session, person_id: int):
    """Links a family member asked for that wait for the person: for the desk."""
    return db.exec(select(FamilyLink, User).join(User, User.id == FamilyLink.proxy_id)
                   .where(FamilyLink.person_id == person_id, FamilyLink.status == "pending",
                          FamilyLink.asked_by == "proxy")).all()


def start_acting(db: Session, actor: Actor, link_id, now: datetime) -> str:
    """A family member starts acting for the person of an active link (30 minutes)."""
    _themselves(actor, "act_for_family")
    link = _link(db, link_id)
    if link.proxy_id != actor.user_id:
        raise NotFound()
    if link.status != "active":
        raise Conflict(N_("This link is not in force, so you cannot act for this person."))
    person = db.get(User, link.person_id)
    return acting._start(db, helper_id=actor.user_id, person=person, kind="family", reason="",
                         now=now)


# -- (c) the family way back in ----------------------------------------------------------------


def _reset_digest(raw: str) -> str:
    return hashlib.sha256(f"family reset:{raw}".encode()).hexdigest()


def ask_reset(db: Session, *, login: str, now: datetime) -> str:
    """The person, on their own device, asks their family to approve a reset. Returns the
    key this browser keeps; the answer is the same whether or not the number has family."""
    raw = secrets.token_urlsafe(32)
    number = rules.normalize_phone(login)
    if number is None:
        raise FieldErrors({"login": Msg(resets.BAD_PHONE)})
    user = db.exec(select(User).where(User.phone == number)).first()
    proxies = [] if user is None else db.exec(select(FamilyLink.proxy_id).where(
        FamilyLink.person_id == user.id, FamilyLink.status == "active")).all()
    if user is None or not proxies:
        return raw
    for row in db.exec(select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.method == "family",
            PasswordReset.used_at.is_(None), PasswordReset.ended_at.is_(None))).all():
        row.ended_at = now  # one request at a time
        db.add(row)
    db.add(PasswordReset(user_id=user.id, method="family", digest=_reset_digest(raw),
                         created_at=now, expires_at=now + timedelta(hours=RESET_HOURS)))
    for proxy_id in proxies:
        _notify(db, proxy_id, "family_reset_requested", name=user.display_name)
    db.flush()
    return raw


def reset_state(db: Session, raw: str | None, now: datetime) -> str:
    """What the asking browser sees: waiting, approved, refused or gone (expired, used, or
    never made: a number without family looks like one still waiting, until it expires)."""
    row = _reset_row(db, raw)
    if row is None:
        return "waiting" if raw else "gone"
    if row.used_at is not None or row.expires_at <= now:
        return "gone"
    if row.ended_at is not None:
        return "refused" if row.approved_by is None else "gone"
    return "approved" if row.approved_by is not None else "waiting"


def _reset_row(db: Session, raw: str | None) -> PasswordReset | None:
    if not raw:
        return None
    return db.exec(select(PasswordReset).where(PasswordReset.digest == _reset_digest(raw),
                                               PasswordReset.method == "family")).first()


def reset_requests_for(db: Session, proxy_id: int, now: datetime):
    """Reset requests waiting for this family member: (request, person)."""
    return db.exec(select(PasswordReset, User).join(User, User.id == PasswordReset.user_id)
                   .join(FamilyLink, FamilyLink.person_id == PasswordReset.user_id)
                   .where(FamilyLink.proxy_id == proxy_id, FamilyLink.status == "active",
                          PasswordReset.method == "family", PasswordReset.used_at.is_(None),
                          PasswordReset.ended_at.is_(None), PasswordReset.approved_by.is_(None),
                          PasswordReset.expires_at > now)
                   .order_by(PasswordReset.id)).all()


def decide_reset(db: Session, actor: Actor, reset_id, *, approve: bool, now: datetime) -> PasswordReset:
    """A family member of the person approves (the person may then set a new password on
    the device that asked) or refuses. Only while the link is in force."""
    from consult.db.ids import parse_id

    _themselves(actor, "approve_family_reset")
    number = parse_id(reset_id)
    row = db.get(PasswordReset, number) if number is not None else None
    if row is None or row.method != "family" or not link_in_force(
            db, person_id=row.user_id, proxy_id=actor.user_id):
        raise NotFound()
    if row.used_at is not None or row.ended_at is not None or row.approved_by is not None \
            or row.expires_at <= now:
        raise Conflict(N_("This request has already been answered or has expired."))
    if approve:
        row.approved_by, row.approved_at = actor.user_id, now
    else:
        row.ended_at = now
    db.add(row)
    audit.record(db, actor_id=actor.user_id, action="family_reset_approved" if approve else "family_reset_refused",
                 target_type="user", target_id=row.user_id, reset_id=row.id)
    db.flush()
    return row


def reset_with_approval(db: Session, settings, *, raw: str | None, new: str, confirm: str,
                        now: datetime) -> User:
    """The approved browser sets the new password (the same outcome as the other ways)."""
    row = _reset_row(db, raw)
    if reset_state(db, raw, now) != "approved" or row is None:
        raise Conflict(N_("This request is not approved (or no longer valid). Ask again, or use another way."))
    user = db.get(User, row.user_id)
    if errors := resets.new_password_problems(user.login, new, confirm, user.phone):
        raise FieldErrors(errors)
    if not link_in_force(db, person_id=user.id, proxy_id=row.approved_by):
        raise Conflict(N_("The family member who approved is no longer linked. Ask again, or use another way."))
    row.used_at = now
    db.add(row)
    return resets.complete_reset(db, settings, user, new=new, method="family", now=now,
                                 by_id=row.approved_by)

