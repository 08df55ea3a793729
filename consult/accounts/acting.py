"""Managed residents and acting for a person (代办, issue 17 item 3; family members: item 4).

A *managed resident* is an account staff make for a person without a phone or a login:
a name, their residential area (the resident role, granted by the staff member who saw
them in person), no phone and no password. It is the person the desk acts for; if they
get a phone later, staff add the number to the same record and print a reset slip, so
they keep their history (one account, never two).

*Acting for a person* is a server-side session (``ActingSession``) of at most 30 minutes:
the helper's browser shows every page as the person, with a banner naming them; the
person's roles count, narrowed by ``consult.permissions`` (``DESK_ACTIONS``,
``FAMILY_ACTIONS``), never the helper's own. Every form sent meanwhile is logged
(``ActingLog``: the page, when, by whom) and listed on the person's own page. A form sent
after the 30 minutes is refused and nothing is saved; the helper is themselves again.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from sqlmodel import or_, select, update

from consult import permissions
from consult.accounts.models import ActingLog, ActingSession, User
from consult.accounts.resets import may_act_for
from consult.audit import services as audit
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.permissions import Actor

MINUTES = 30

ENDED = N_("The help session for %(name)s ended after 30 minutes. What you just sent was not saved; you are acting as yourself again. Start a new session to go on.")


ENDED_ELSEWHERE = N_("The help session has ended (its time was up, the family link ended, or it was ended elsewhere). Nothing was saved for the person; you are acting as yourself again.")


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def clean_reason(reason: str) -> str:
    return " ".join(str(reason or "").split())[:200]


# -- managed residents ---------------------------------------------------------------------


def create_managed_resident(db: Session, actor: Actor, *, name: str, area_id, now: datetime,
                            note: str = "") -> User:
    """A record for a person without a login, as a resident of ``area_id`` (audited)."""
    from consult.accounts import rules
    from consult.communities.models import Place
    from consult.db.ids import parse_id

    errors: dict[str, Msg] = {}
    if problem := rules.person_name_problem(name):
        errors["name"] = problem
    number = parse_id(area_id)
    area = db.get(Place, number) if number is not None else None
    if area is None or area.kind != "area":
        errors["area_id"] = Msg(N_("Please choose the person's residential area."))
    if errors:
        raise FieldErrors(errors)
    if not permissions.allowed("create_managed_resident", actor, area.ids_from_root):
        raise Forbidden(N_("Only staff of this residential area can add its residents."))
    return new_managed_resident(db, staff_id=actor.user_id, name=name, area=area, now=now,
                                note=note)


def new_managed_resident(db: Session, *, staff_id: int, name: str, area, now: datetime,
                         note: str = "") -> User:
    """The record itself, for a caller that checked who may add it: no login, no password,
    the resident role at ``area`` granted by ``staff_id`` (audited). The desk's form and
    voting's paper-only voters (``consult.voting.services.register_paper_voter``) both
    make their people here: one concept, one kind of record."""
    from consult.accounts import rules
    from consult.communities import services as communities

    user = User(login=f"managed-{secrets.token_hex(8)}", display_name=rules.clean_person_name(name),
                managed_by=staff_id, managed_at=now)
    db.add(user)
    db.flush()
    communities.grant_role(db, user=user, role="resident", place=area, by=db.get(User, staff_id))
    audit.record(db, actor_id=staff_id, action="create_managed_resident", target_type="user",
                 target_id=user.id, place_id=area.id, note=clean_reason(note) or None)
    return user


def is_managed_only(person: User | None) -> bool:
    """A managed resident who has no login of their own (yet)."""
    return person is not None and person.managed_at is not None and not person.can_sign_in


def merge_managed_into(db: Session, *, person: User, account: User, actor_id: int,
                       now: datetime) -> None:
    """A managed resident turned out to have registered on their own (another number, a
    separate account): ``account`` is the person from now on, once. What was done for them
    (the help sessions and their log) moves to the account; the managed record keeps no
    role, so nobody can act for it or vote as it again. The caller moves its ballots
    (voting keeps them under the voter's key, ``consult.voting``)."""
    from consult.communities.models import RoleAssignment

    if not is_managed_only(person) or account.id == person.id or not account.can_sign_in:
        raise Conflict(N_("This person already has a login."))
    for row in db.exec(select(ActingSession).where(ActingSession.person_id == person.id,
                                                   ActingSession.ended_at.is_(None))).all():
        finish(db, row, now, how="done")
    db.exec(update(ActingSession).where(ActingSession.person_id == person.id)
            .values(person_id=account.id))
    db.exec(update(ActingLog).where(ActingLog.person_id == person.id).values(person_id=account.id))
    for role in db.exec(select(RoleAssignment).where(RoleAssignment.user_id == person.id)).all():
        db.delete(role)
    audit.record(db, actor_id=actor_id, action="merge_managed_resident", target_type="user",
                 target_id=person.id, user_id=account.id)
    db.flush()


def give_login(db: Session, actor: Actor, settings, *, person: User, phone: str, now: datetime):
    """A managed resident got a phone: the number becomes the login of the same record
    (their history stays theirs) and a reset slip lets them choose a password. Refused when
    the number already belongs to another account. Returns ``resets.issue_slip``'s result."""
    from consult.accounts import resets, rules

    if not is_managed_only(person):
        raise Conflict(N_("This person already has a login."))
    number = rules.normalize_phone(phone)
    if number is None:
        raise FieldErrors({"phone": Msg(resets.BAD_PHONE)})
    taken = db.exec(select(User.id).where(or_(User.login == number, User.phone == number))).first()
    if taken is not None:
        raise FieldErrors({"phone": Msg(N_("This number already belongs to another account. If it is the same person, they sign in with that account; this record stays as it is (staff cannot merge two accounts)."))})
    if not may_act_for(db, "issue_desk_reset", actor, person):
        raise Forbidden()
    person.login, person.phone = number, number
    db.add(person)
    db.flush()
    audit.record(db, actor_id=actor.user_id, action="managed_resident_login", target_type="user",
                 target_id=person.id)
    return resets.issue_slip(db, actor, settings, login=number,
                             reason="代办对象开通账户", id_checked=True, now=now)


def find_people(db: Session, actor: Actor, query: str, limit: int = 20) -> list[User]:
    """People the actor serves matching a mobile number (exactly) or part of a name: those
    with a role at one of the actor's staff places."""
    from consult.accounts import rules
    from consult.communities.models import Place, RoleAssignment
    from consult.communities.services import staff_places
    from consult.parsing import search_text

    query = search_text(query, limit=40)
    places = staff_places(actor, db)
    if not query or not places:
        return []
    phone = rules.normalize_phone(query)
    match = User.phone == phone if phone else User.display_name.contains(query, autoescape=True)
    inside = or_(*(Place.path.startswith(place.path) for place in places))
    rows = db.exec(select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
                   .join(Place, Place.id == RoleAssignment.place_id)
                   .where(match, inside).distinct().order_by(User.display_name).limit(limit)).all()
    return list(rows)


# -- acting sessions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Acting:
    """What the banner says: whom, how, until when."""

    session_id: int
    kind: str
    person_id: int
    person_name: str
    helper_id: int
    helper_name: str
    expires_at: datetime

    def minutes_left(self, now: datetime) -> int:
        return max(0, -(-int((self.expires_at - now).total_seconds()) // 60))


def start_desk(db: Session, actor: Actor, *, person: User, reason: str, now: datetime) -> str:
    """A staff member of the person's place starts acting for them; the key for the session
    cookie. Not for oneself, not while already helped, and a reason is required."""
    reason = clean_reason(reason)
    if actor.helper is not None:
        raise Forbidden(N_("End the help session you are in first."))
    if actor.user_id == person.id:
        raise Forbidden(N_("You cannot act for yourself."), code="own_request")
    if not may_act_for(db, "assist_at_desk", actor, person):
        raise Forbidden(N_("Only staff of this person's residential area (or above) can act for them."))
    if not reason:
        raise FieldErrors({"reason": Msg(N_("Please say why you act for this person (e.g. “at the desk, no smartphone”)."))})
    return _start(db, helper_id=actor.user_id, person=person, kind="desk", reason=reason, now=now)


def _start(db: Session, *, helper_id: int, person: User, kind: str, reason: str, now: datetime) -> str:
    end_all_of(db, helper_id, now, how="done")
    raw = secrets.token_urlsafe(32)
    row = ActingSession(digest=_digest(raw), helper_id=helper_id, person_id=person.id, kind=kind,
                        reason=reason, started_at=now, expires_at=now + timedelta(minutes=MINUTES))
    db.add(row)
    db.flush()
    audit.record(db, actor_id=helper_id, action="acting_start_family" if kind == "family" else "acting_start_desk", target_type="user",
                 target_id=person.id, reason=reason or None, session_id=row.id)
    return raw


def resolve(db: Session, raw: str, helper_id: int, now: datetime):
    """The running session of this cookie key and helper: ``(row, person, helper)``;
    ``(row, None, None)`` when it has just run out (it is then ended); None when it does
    not exist or has ended."""
    row = db.exec(select(ActingSession).where(ActingSession.digest == _digest(raw),
                                              ActingSession.helper_id == helper_id,
                                              ActingSession.ended_at.is_(None))).first()
    if row is None:
        return None
    if row.expires_at <= now:
        finish(db, row, now, how="timeout")
        return row, None, None
    person = db.get(User, row.person_id)
    helper = db.get(User, row.helper_id)
    if person is None or helper is None:
        return None
    return row, person, helper


def still_allowed(db: Session, row: ActingSession) -> bool:
    """A family member acts only while the link is in force (it may have ended since the
    session began); staff always within their session."""
    if row.kind != "family":
        return True
    from consult.accounts import family

    return family.link_in_force(db, person_id=row.person_id, proxy_id=row.helper_id)


def describe(row: ActingSession, person: User, helper: User) -> Acting:
    return Acting(row.id, row.kind, person.id, person.display_name, helper.id,
                  helper.display_name, row.expires_at)


def finish(db: Session, row: ActingSession, now: datetime, *, how: str) -> None:
    row.ended_at, row.ended_how = now, how
    db.add(row)
    audit.record(db, actor_id=row.helper_id, action="acting_end_family" if row.kind == "family" else "acting_end_desk", target_type="user",
                 target_id=row.person_id, session_id=row.id, how=how)
    db.flush()


def end(db: Session, raw: str, helper_id: int, now: datetime, *, how: str = "done") -> bool:
    row = db.exec(select(ActingSession).where(ActingSession.digest == _digest(raw),
                                              ActingSession.helper_id == helper_id,
                                              ActingSession.ended_at.is_(None))).first()
    if row is None:
        return False
    finish(db, row, now, how=how)
    return True


def end_all_of(db: Session, helper_id: int, now: datetime, *, how: str) -> None:
    """Every running session of a helper ends (a new one starts, they sign out)."""
    for row in db.exec(select(ActingSession).where(ActingSession.helper_id == helper_id,
                                                   ActingSession.ended_at.is_(None))).all():
        finish(db, row, now, how=how)


def end_for_link(db: Session, *, person_id: int, proxy_id: int, now: datetime) -> None:
    """A family link ended: the proxy's running sessions for that person end with it."""
    db.exec(update(ActingSession).where(
        ActingSession.person_id == person_id, ActingSession.helper_id == proxy_id,
        ActingSession.kind == "family", ActingSession.ended_at.is_(None))
        .values(ended_at=now, ended_how="link"))


#: forms a family member sends for the person that are not logged on their record: a
#: ballot a family member casts is flagged (``consult.voting``'s ``Ballot.assisted``), and a
#: row saying "family voted for X in round R" beside it would tell whose flagged ballot it
#: is. The person's own page finds such a ballot with their ballot key instead.
UNLOGGED_FOR_FAMILY = frozenset({"ballot_review", "ballot_cast"})


def log_action(db: Session, row: ActingSession, *, action: str, path: str, now: datetime) -> None:
    if row.kind == "family" and action in UNLOGGED_FOR_FAMILY:
        return
    db.add(ActingLog(session_id=row.id, person_id=row.person_id, helper_id=row.helper_id,
                     kind=row.kind, action=action[:64], path=path[:200], at=now))


def help_log(db: Session, person_id: int, limit: int = 100):
    """What was done for the person, newest first: (log row, helper's name)."""
    return db.exec(select(ActingLog, User.display_name).join(User, User.id == ActingLog.helper_id)
                   .where(ActingLog.person_id == person_id)
                   .order_by(ActingLog.id.desc()).limit(limit)).all()


def sessions_of(db: Session, person_id: int, limit: int = 50):
    """Who acted for the person, when and why: (session, helper's name), newest first."""
    return db.exec(select(ActingSession, User.display_name)
                   .join(User, User.id == ActingSession.helper_id)
                   .where(ActingSession.person_id == person_id)
                   .order_by(ActingSession.id.desc()).limit(limit)).all()


def person_for_staff(db: Session, actor: Actor, user_id) -> User:
    """A person's record as staff open it: only staff of one of the person's places."""
    from consult.db.ids import parse_id

    number = parse_id(user_id)
    person = db.get(User, number) if number is not None else None
    if person is None or not may_act_for(db, "view_help_log", actor, person):
        raise NotFound()
    return person
