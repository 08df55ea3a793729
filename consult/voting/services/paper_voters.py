"""Paper-only residents: registering residents without an account who vote on paper,
finding who a paper ballot is for, and linking a paper-only resident to the account
they open later (their paper ballots then move to the account's key).

A paper-only resident *is* a managed resident (issue 17: one concept): registering one
makes the account record staff make for a person without a login
(``consult.accounts.acting.new_managed_resident``: no phone, no password, the resident
role at the area), and the ``paper_voter`` row is the voting register's entry for that
person (area, building group, the identity card's last four to tell namesakes apart).
Their ballots, on paper or cast for them at the desk, are keyed by that account
(``secrecy.user_key``), so one constraint keeps them to one ballot per round whichever
way they vote. Given a number later, the same record becomes their login (the desk);
found to have registered separately, they are linked once (``link_paper_voter``).

Staff see the paper-only residents of the places where they enter paper ballots: a
sub-district's staff all of them, an area's committee its own residents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.accounts import acting
from consult.accounts import rules as account_rules
from consult.accounts import services as accounts
from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities import services as communities
from consult.communities.models import Home, Place
from consult.consultations import Round, clean_text
from consult.db.ids import find, parse_id
from consult.errors import FieldErrors
from consult.i18n import N_, Msg
from consult.parsing import search_text
from consult.permissions import Actor
from consult.voting import rules, secrecy
from consult.voting.models import Ballot, BallotChoice, PaperEntry, PaperVoter
from consult.voting.services.paper import _may_enter_paper, homes_in_scope
from consult.voting.services.rounds import (
    VoteRound,
    _scope_path,
    published_result,
    require_round_action,
)
from consult.voting.services.voters import Voter, _area_id, _building_group, resident_place

# -- paper-only residents ----------------------------------------------------------------


def paper_voters(db: Session, actor: Actor, vr: VoteRound) -> list[tuple[PaperVoter, Place]]:
    """Paper-only residents registered in the round's scope, with their area: only those
    of the places where the actor enters paper ballots (a sub-district's staff see all of
    them, an area's committee its own residents)."""
    _may_enter_paper(actor, vr, db)
    rows = db.exec(select(PaperVoter, Place).join(Place, Place.id == PaperVoter.area_id)
                   .where(Place.path.startswith(vr.scope.path))
                   .order_by(Place.position, PaperVoter.name, PaperVoter.id)).all()
    if permissions.allowed("enter_paper_ballot", actor, _scope_path(vr)):
        return list(rows)
    groups = _groups_by_id(db, {pv.building_group_id for pv, _ in rows})
    return [(pv, area) for pv, area in rows if paper_voter_visible(actor, pv, area, groups)]


@dataclass
class ListedVoter:
    """A line of the paper-entry page's voter list: a paper-only resident (with their area)
    or, in an owners' round, a home (with its estate), and the channel they voted on —
    ``web``, ``paper`` or None — never what they chose."""

    person: PaperVoter | None
    home: Home | None
    place: Place
    channel: str | None


def voter_list(db: Session, actor: Actor, vr: VoteRound, query: object = "",
               limit: int = 200) -> list[ListedVoter]:
    """Who may be entered on paper by this actor, found by ``query`` (name, the identity
    card's last four, a home's code, the area or estate), each marked voted or not."""
    needle = (search_text(query) or "").casefold()
    if vr.settings.eligibility == "owners":
        rows = [(None, home, estate, secrecy.home_key(vr.id, home.id))
                for home, estate in homes_in_scope(db, vr, actor)
                if needle in f"{estate.name} {home.code}".casefold()]
    else:
        rows = [(pv, None, area, secrecy.user_key(vr.id, pv.user_id) if pv.user_id
                 else secrecy.paper_key(vr.id, pv.id))
                for pv, area in paper_voters(db, actor, vr)
                if needle in f"{pv.name} {pv.id_last4} {area.name}".casefold()]
    rows = rows[:limit]
    keys = [key for *_, key in rows]
    channels = dict(db.exec(select(Ballot.voter_key, Ballot.channel).where(
        Ballot.round_id == vr.id, Ballot.voter_key.in_(keys))).all()) if keys else {}
    return [ListedVoter(pv, home, place, channels.get(key)) for pv, home, place, key in rows]


def not_linked(db: Session, voters: list[tuple[PaperVoter, Place]]) -> list[tuple[PaperVoter, Place]]:
    """Those still only their managed record (no login): the ones staff may link to an
    account the person opened on their own."""
    ids = {pv.user_id for pv, _ in voters if pv.user_id is not None}
    signs_in = set(db.exec(select(User.id).where(User.id.in_(ids), User.password_hash.is_not(None)
                                                 | User.managed_at.is_(None))).all()) if ids else set()
    return [(pv, area) for pv, area in voters if pv.user_id not in signs_in]


def desk_residents(db: Session, actor: Actor, vr: VoteRound) -> list[User]:
    """Managed residents of the round's scope, added at the desk, not yet registered for
    paper ballots: staff choose one instead of adding the same person twice."""
    from consult.communities.models import RoleAssignment

    _may_enter_paper(actor, vr, db)
    registered = select(PaperVoter.user_id).where(PaperVoter.user_id.is_not(None))
    rows = db.exec(select(User, Place).join(RoleAssignment, RoleAssignment.user_id == User.id)
                   .join(Place, Place.id == RoleAssignment.place_id)
                   .where(RoleAssignment.role == "resident", Place.path.startswith(vr.scope.path),
                          User.managed_at.is_not(None), User.password_hash.is_(None),
                          User.id.not_in(registered))
                   .order_by(User.display_name, User.id)).all()
    return [user for user, area in rows
            if permissions.allowed("enter_paper_ballot", actor, area.ids_from_root)]


def _groups_by_id(db: Session, ids: set[int | None]) -> dict[int, Place]:
    ids.discard(None)
    return {p.id: p for p in db.exec(select(Place).where(Place.id.in_(ids))).all()} if ids else {}


def paper_voter_visible(actor: Actor, person: PaperVoter, area: Place,
                        groups: dict[int, Place]) -> bool:
    """May ``actor`` see this paper-only resident (name, last four of the identity card)?
    Staff of their area or above; or of their own building group."""
    if permissions.allowed("enter_paper_ballot", actor, area.ids_from_root):
        return True
    group = groups.get(person.building_group_id)
    return group is not None and permissions.allowed("enter_paper_ballot", actor, group.ids_from_root)


def register_paper_voter(db: Session, actor: Actor, vr: VoteRound, *, area_id, building_group_id,
                         name: str, id_last4: str, note: str = "", now: datetime,
                         resident_id="") -> PaperVoter:
    """Register a resident without an account who votes on paper: a new managed resident,
    or (``resident_id``) one staff already added at the desk, whose name it takes."""
    _may_enter_paper(actor, vr, db)
    require_round_action(db, vr, "register_paper_voter")
    errors: dict[str, Msg] = {}
    chosen = None
    if clean_text(resident_id):
        number = parse_id(resident_id)
        chosen = db.get(User, number) if number is not None else None
        if not acting.is_managed_only(chosen) or db.exec(
                select(PaperVoter.id).where(PaperVoter.user_id == chosen.id)).first() is not None:
            raise FieldErrors({"resident_id": Msg(N_("Please choose a resident added at the desk who is not registered for paper ballots yet."))})
        name = chosen.display_name
    area = _place_of_kind(db, area_id, "area")
    if area is None or not area.path.startswith(vr.scope.path) and not vr.scope.path.startswith(area.path):
        errors["area_id"] = Msg(N_("Please choose the resident's residential area."))
    elif not permissions.allowed("enter_paper_ballot", actor, area.ids_from_root):
        errors["area_id"] = Msg(N_("You can only register residents of the areas you serve."))
    group = None
    if building_group_id not in (None, ""):
        group = _place_of_kind(db, building_group_id, "building_group")
        if group is None or area is None or not group.path.startswith(area.path):
            errors["building_group_id"] = Msg(N_("This building group is not in that area."))
    name, id_last4, note = clean_text(name), clean_text(id_last4).upper(), clean_text(note)
    if not name or len(name) > 40:
        errors["name"] = Msg(N_("Please enter the resident's name (at most %(max)s characters)."), {"max": 40})
    elif problem := account_rules.person_name_problem(name):
        errors["name"] = problem
    if len(id_last4) != 4 or not (id_last4.isascii() and id_last4.isalnum()):
        errors["id_last4"] = Msg(N_("Please enter the last four characters of the identity card."))
    if len(note) > 100:
        errors["note"] = Msg(N_("This can have at most %(max)s characters."), {"max": 100})
    if chosen is not None and area is not None and area.id not in {
            place for role, place in communities.actor_for(db, chosen).roles if role == "resident"}:
        errors["area_id"] = Msg(N_("This resident lives in another residential area."))
    if errors:
        raise FieldErrors(errors)
    voter = PaperVoter(area_id=area.id, building_group_id=group.id if group else None, name=name,
                       id_last4=id_last4, note=note, created_at=now, created_by=actor.user_id)
    try:
        with db.begin_nested():
            db.add(voter)
            db.flush()
            person = chosen or acting.new_managed_resident(db, staff_id=actor.user_id, name=name,
                                                           area=area, now=now, note=note)
            voter.user_id = person.id
            db.add(voter)
            db.flush()
    except IntegrityError:
        raise FieldErrors({"name": Msg(N_("%(name)s (…%(last4)s) is already registered in this area."),
                                       {"name": name, "last4": id_last4})}) from None
    audit.record(db, actor_id=actor.user_id, action="register_paper_voter", target_type="paper_voter",
                 target_id=voter.id, place_id=area.id)
    return voter


@dataclass(frozen=True)
class Linked:
    person: PaperVoter
    user: User
    #: rounds not yet published where the person had voted both ways: the later ballot
    #: was removed, the first one stands (as it would have, had they been linked before)
    removed: int
    #: published rounds where both were counted: their results stand as published
    published_both: int


def link_paper_voter(db: Session, actor: Actor, vr: VoteRound, *, paper_voter_id, phone: str,
                     now: datetime) -> Linked:
    """A paper-only resident has opened an account: from now on they vote as that account.

    Their paper ballots move to the account's key, so the database's one ballot per voter
    and round covers both channels again. Where they have already voted both ways in a
    round not yet published, the first ballot stands and the later one is removed, as the
    second would have been refused had the two been known as one person."""
    _may_enter_paper(actor, vr, db)
    require_round_action(db, vr, "link_paper_voter")
    row = _paper_voter_row(db, paper_voter_id)
    if row is None or not row[1].path.startswith(vr.scope.path):
        raise FieldErrors({"link_voter": Msg(N_("Please choose a registered paper-only resident."))})
    person, area = row
    if not permissions.allowed("enter_paper_ballot", actor, area.ids_from_root):
        raise FieldErrors({"link_voter": Msg(N_("You can only register residents of the areas you serve."))})
    managed = db.get(User, person.user_id) if person.user_id is not None else None
    if person.user_id is not None and not acting.is_managed_only(managed):
        raise FieldErrors({"link_voter": Msg(N_("%(name)s is already linked to an account."),
                                             {"name": person.name})})
    user = accounts.find_by_login(db, clean_text(phone))
    if user is None:
        raise FieldErrors({"link_phone": Msg(N_("No account has this mobile number."))})
    if resident_place(db, communities.actor_for(db, user), area, "vote") is None:
        raise FieldErrors({"link_phone": Msg(N_("This account is not a verified resident of %(place)s yet. Verify it first, then link it."),
                                             {"place": area.name})})
    taken = db.exec(select(PaperVoter.name).where(PaperVoter.user_id == user.id)).first()
    if taken is not None:
        raise FieldErrors({"link_phone": Msg(N_("This account is already linked to the paper-only resident %(name)s."),
                                             {"name": taken})})
    # The person's paper keys, one per vote round: a key names its round (``secrecy``).
    rounds = db.exec(select(Round.id).where(Round.kind == "vote")).all()
    paper_keys = {(secrecy.user_key(round_id, managed.id) if managed is not None
                   else secrecy.paper_key(round_id, person.id)): round_id for round_id in rounds}
    removed = published_both = 0
    for paper in db.exec(select(Ballot).where(Ballot.voter_key.in_(paper_keys))
                         .order_by(Ballot.round_id).with_for_update()).all():
        if paper_keys[paper.voter_key] != paper.round_id:
            continue
        old_key, new_key = paper.voter_key, secrecy.user_key(paper.round_id, user.id)
        online = db.exec(select(Ballot).where(Ballot.round_id == paper.round_id,
                                              Ballot.voter_key == new_key).with_for_update()).first()
        if published_result(db, paper.round_id) is not None:  # its ballots stand as published
            published_both += online is not None
            continue
        if online is not None:
            # Ballots keep only their day: cast on the same day, the paper ballot stands.
            later = online if online.created_at >= paper.created_at else paper
            _remove_ballot(db, later)
            removed += 1
            if later is paper:
                continue
            db.flush()  # the account's key is free now
        paper.voter_key, paper.updated_at = new_key, rules.ballot_day(now)
        db.add(paper)
        db.execute(update(PaperEntry).where(PaperEntry.round_id == paper.round_id,
                                            PaperEntry.voter_key == old_key)
                   .values(voter_key=new_key))
    person.user_id = user.id
    db.add(person)
    if managed is not None:  # once: the managed record has no role left to vote or be helped as
        acting.merge_managed_into(db, person=managed, account=user, actor_id=actor.user_id, now=now)
    audit.record(db, actor_id=actor.user_id, action="link_paper_voter", target_type="paper_voter",
                 target_id=person.id, place_id=area.id, user_id=user.id, removed=removed,
                 published_both=published_both)
    db.flush()
    return Linked(person, user, removed, published_both)


def _remove_ballot(db: Session, ballot: Ballot) -> None:
    """A ballot and everything keyed to it: its choices, its paper entries."""
    db.execute(delete(BallotChoice).where(BallotChoice.ballot_id == ballot.id))
    if ballot.serial is not None:
        db.execute(delete(PaperEntry).where(PaperEntry.round_id == ballot.round_id,
                                            PaperEntry.serial == ballot.serial))
    db.delete(ballot)


def _place_of_kind(db: Session, place_id, kind: str) -> Place | None:
    place = find(db, Place, place_id)
    return place if place is not None and place.kind == kind else None


def _paper_voter_row(db: Session, paper_voter_id) -> tuple[PaperVoter, Place] | None:
    """A registered paper-only resident and their area, by an id typed or picked on a form."""
    number = parse_id(paper_voter_id)
    if number is None:
        return None
    return db.exec(select(PaperVoter, Place).join(Place, Place.id == PaperVoter.area_id)
                   .where(PaperVoter.id == number)).first()


def paper_voter_of(db: Session, actor: Actor, vr: VoteRound, *, phone: str = "", paper_voter_id="",
                   home_id="") -> Voter:
    """The voter a paper ballot is for: an account holder (by mobile number), a registered
    paper-only resident, or (owner votes) a home. Exactly one must be given."""
    phone, paper_voter_id, home_id = (clean_text(phone), clean_text(paper_voter_id),
                                      clean_text(home_id))
    given = [name for name, value in (("phone", phone), ("paper_voter_id", paper_voter_id),
                                      ("home_id", home_id)) if value]
    if len(given) != 1:
        raise FieldErrors({"voter": Msg(N_("Say who the ballot is for: a mobile number, a paper-only resident or a home — exactly one."))})
    if vr.settings.eligibility == "owners":
        if not home_id:
            raise FieldErrors({"voter": Msg(N_("In this round each home has one ballot: choose the home."))})
        number = parse_id(home_id)
        row = None if number is None else db.exec(
            select(Home, Place).join(Place, Place.id == Home.estate_id).where(Home.id == number)).first()
        if row is None or not row[1].path.startswith(vr.scope.path):
            raise FieldErrors({"voter": Msg(N_("There is no such home in %(place)s."), {"place": vr.scope.name})})
        home, estate = row
        return Voter(secrecy.home_key(vr.id, home.id), None, _area_id(estate), home.building_group_id,
                     f"{estate.name} {home.code}", home.id)
    if phone:
        user = accounts.find_by_login(db, phone)
        if user is None:
            raise FieldErrors({"voter": Msg(N_("No account has this mobile number. Register the resident as a paper-only voter instead."))})
        resident = communities.actor_for(db, user)
        place = resident_place(db, resident, vr.scope, "vote")
        if place is None:
            raise FieldErrors({"voter": Msg(N_("%(name)s is not a verified resident of %(place)s and cannot vote in this round."),
                                            {"name": user.display_name, "place": vr.scope.name})})
        area = _area_id(place)
        return Voter(secrecy.user_key(vr.id, user.id), user.id, area, _building_group(db, user.id, area),
                     user.display_name)
    if home_id:
        raise FieldErrors({"voter": Msg(N_("In this round residents vote, not homes."))})
    row = _paper_voter_row(db, paper_voter_id)
    if row is None or not row[1].path.startswith(vr.scope.path):
        raise FieldErrors({"voter": Msg(N_("Please choose a registered paper-only resident."))})
    pv, _area = row
    if pv.user_id is not None:  # their managed record, or the account they opened: one key
        return Voter(secrecy.user_key(vr.id, pv.user_id), pv.user_id, pv.area_id, pv.building_group_id,
                     pv.name)
    return Voter(secrecy.paper_key(vr.id, pv.id), None, pv.area_id, pv.building_group_id, pv.name)
