"""Residents' committee elections (居民委员会): calling one, the voter register (18 or older
on the election day, additions and removals logged), candidates and the published final
list (more candidates than seats unless the election allows an equal list), secret
ballots online and on paper, turnout, and the result through the recount command's code."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import owners, secrecy
from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities.models import Place
from consult.db.ids import parse_count
from consult.elections import cli, files, rules
from consult.elections.models import (
    ResidentBallot,
    ResidentCandidate,
    ResidentElection,
    ResidentVoter,
)
from consult.elections.services.common import (
    MAX_DESCRIPTION,
    MAX_NAME,
    MAX_TITLE,
    REFUSED_IN,
    check,
    chosen_candidates,
)
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.parsing import parse_local_datetime
from consult.permissions import Actor

MAX_REASON = 200
MAX_NOMINATORS = 999
MAX_PLACE_LABEL = 40


def get_area(db: Session, area_id: int) -> Place:
    area = db.get(Place, area_id)
    if area is None or area.kind != "area":
        raise NotFound()
    return area


def get_resident_election(db: Session, election_id: int) -> tuple[ResidentElection, Place]:
    election = db.get(ResidentElection, election_id)
    if election is None:
        raise NotFound()
    return election, get_area(db, election.area_id)


def resident_state(election: ResidentElection, now: datetime) -> rules.ElectionState:
    return rules.election_state(election.opens_at, election.closes_at, now)


def allow_resident(action: str, election: ResidentElection, now: datetime) -> None:
    state = resident_state(election, now)
    if not rules.resident_allows(action, state):
        if action == "view_result":
            raise Conflict(N_("The result is published when voting closes."), code="not_closed")
        if action == "export_ballots":
            raise Conflict(N_("The ballots can be exported once voting closes."), code="not_closed")
        message, code = REFUSED_IN[state]
        if state is rules.ElectionState.OPEN:
            message, code = N_("The register and the candidates are fixed once voting opens."), "voting_open"
        raise Conflict(message, code=code)


def resident_elections_of(db: Session, area: Place) -> list[ResidentElection]:
    return list(db.exec(select(ResidentElection).where(ResidentElection.area_id == area.id)
                        .order_by(ResidentElection.opens_at.desc())).all())


def _date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def create_resident_election(db: Session, actor: Actor, area: Place, *, title: str,
                             description: str, mode: str, seats, election_day, opens_at,
                             closes_at, allow_equal_list: bool = False,
                             further_round: bool = False, threshold: str = "1/3",
                             nominations_voters=10, nominations_households=5,
                             now: datetime) -> ResidentElection:
    check("manage_resident_election", actor, area)
    errors: dict[str, Msg] = {}
    title, description = title.strip(), description.strip()
    if not title or len(title) > MAX_TITLE:
        errors["title"] = Msg(N_("Please give the election a title of at most %(max)s characters."), {"max": MAX_TITLE})
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = Msg(N_("At most %(max)s characters."), {"max": MAX_DESCRIPTION})
    if mode not in {m.value for m in rules.ResidentMode}:
        errors["mode"] = Msg(N_("Please choose who votes."))
    number = seats if isinstance(seats, int) and not isinstance(seats, bool) else parse_count(seats)
    if number is None or not rules.MIN_SEATS <= number <= rules.MAX_SEATS:
        errors["seats"] = Msg(N_("Please give the number of seats, a whole number from 1 to 99."))
    try:
        bound = Fraction(str(threshold).strip())
    except (ValueError, ZeroDivisionError):
        bound = None
    if bound is None or not 0 < bound <= 1:
        errors["threshold"] = Msg(N_("Please give the further round's threshold as a fraction such as 1/3."))
    needed = {}
    for field, value in (("nominations_voters", nominations_voters),
                         ("nominations_households", nominations_households)):
        needed[field] = value if isinstance(value, int) and not isinstance(value, bool) else parse_count(value)
        if needed[field] is None or not 1 <= needed[field] <= MAX_NOMINATORS:
            errors[field] = Msg(N_("Please give a whole number from 1 to %(max)s."), {"max": MAX_NOMINATORS})
    day = _date(election_day)
    if day is None:
        errors["election_day"] = Msg(N_("Please give a date."))
    opens = opens_at if isinstance(opens_at, datetime) else parse_local_datetime(opens_at)
    closes = closes_at if isinstance(closes_at, datetime) else parse_local_datetime(closes_at)
    if opens is None:
        errors["opens_at"] = Msg(N_("Please give a date and time."))
    if closes is None:
        errors["closes_at"] = Msg(N_("Please give a date and time."))
    elif opens is not None and closes <= opens:
        errors["closes_at"] = Msg(N_("Voting must close after it opens."))
    if errors:
        raise FieldErrors(errors)
    election = ResidentElection(
        area_id=area.id, title=title, description=description, mode=mode, seats=number,
        allow_equal_list=allow_equal_list, further_round=further_round,
        threshold_numerator=bound.numerator, threshold_denominator=bound.denominator,
        election_day=day, opens_at=opens, closes_at=closes, created_by=actor.user_id, created_at=now,
        **needed)
    db.add(election)
    db.flush()
    audit.record(db, actor_id=actor.user_id, action="create_resident_election",
                 target_type="resident_election", target_id=election.id, place_id=area.id, title=title)
    return election


# --- the register -------------------------------------------------------------------------

def voters_of(db: Session, election: ResidentElection, *, removed: bool = False) -> list[ResidentVoter]:
    query = select(ResidentVoter).where(ResidentVoter.election_id == election.id)
    query = query.where(ResidentVoter.removed_at.is_not(None) if removed else ResidentVoter.removed_at.is_(None))
    return list(db.exec(query.order_by(ResidentVoter.id)).all())


def _mode_errors(db: Session, election: ResidentElection, household: str, group: str) -> dict[str, Msg]:
    """One representative per household (mode ``households``); at most three per residents'
    group (mode ``groups``)."""
    errors: dict[str, Msg] = {}
    if len(household) > MAX_PLACE_LABEL or not household.isprintable():
        errors["household"] = Msg(N_("At most %(max)s characters."), {"max": MAX_PLACE_LABEL})
    if len(group) > MAX_PLACE_LABEL or not group.isprintable():
        errors["residents_group"] = Msg(N_("At most %(max)s characters."), {"max": MAX_PLACE_LABEL})
    if errors:
        return errors
    active = (ResidentVoter.election_id == election.id, ResidentVoter.removed_at.is_(None))
    if election.mode == rules.ResidentMode.HOUSEHOLDS:
        if not household:
            errors["household"] = Msg(N_("Please give the household (e.g. its address) this representative votes for."))
        else:
            other = db.exec(select(ResidentVoter).where(*active, ResidentVoter.household == household)).first()
            if other is not None:
                errors["household"] = Msg(N_("Household %(household)s already has its representative on the register: No. %(number)s %(name)s. One representative per household."),
                                          {"household": household, "number": other.id, "name": other.name})
    if election.mode == rules.ResidentMode.GROUPS:
        if not group:
            errors["residents_group"] = Msg(N_("Please give the residents' group this representative stands for."))
        else:
            count = db.exec(select(func.count()).select_from(ResidentVoter).where(
                *active, ResidentVoter.residents_group == group)).one()
            if count >= rules.MAX_GROUP_REPRESENTATIVES:
                errors["residents_group"] = Msg(N_("The residents' group %(group)s already has %(max)s representatives, the most it may have."),
                                                {"group": group, "max": rules.MAX_GROUP_REPRESENTATIVES})
    return errors


def _free_group_seat(db: Session, election: ResidentElection, group: str) -> int:
    """The lowest of the group's seats 1-3 no active representative holds (the check
    before already refused a full group)."""
    held = set(db.exec(select(ResidentVoter.group_seat).where(
        ResidentVoter.election_id == election.id, ResidentVoter.removed_at.is_(None),
        ResidentVoter.residents_group == group)).all())
    return min(set(range(1, rules.MAX_GROUP_REPRESENTATIVES + 1)) - held, default=rules.MAX_GROUP_REPRESENTATIVES + 1)


def small_groups(db: Session, election: ResidentElection) -> dict[str, int]:
    """Residents' groups with fewer than two representatives (mode ``groups`` only)."""
    if election.mode != rules.ResidentMode.GROUPS:
        return {}
    return rules.group_problems(v.residents_group for v in voters_of(db, election))


def add_voter(db: Session, actor: Actor, election_id: int, *, name: str, birth_date,
              phone: str = "", household: str = "", residents_group: str = "",
              now: datetime) -> ResidentVoter:
    """Register a voter (a verified or managed resident), 18 or older on the election day;
    an account named by its phone number lets them vote online. By the election's mode,
    the household or residents' group they represent."""
    election, area = get_resident_election(db, election_id)
    check("manage_resident_election", actor, area)
    allow_resident("edit_register", election, now)
    errors: dict[str, Msg] = {}
    name = name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable():
        errors["name"] = Msg(N_("Please give the voter's name."))
    born = _date(birth_date)
    if born is None:
        errors["birth_date"] = Msg(N_("Please give the date of birth, e.g. 1958-03-21."))
    elif rules.age_on(born, election.election_day) < rules.VOTING_AGE:
        errors["birth_date"] = Msg(N_("Only residents aged 18 or older on the election day may be registered."))
    household, residents_group = household.strip(), residents_group.strip()
    errors.update(_mode_errors(db, election, household, residents_group))
    user_id = None
    if phone.strip():
        user_id = db.exec(select(User.id).where(User.phone == phone.strip())).first()
        if user_id is None:
            errors["phone"] = Msg(N_("No account has this mobile number."))
        elif db.exec(select(ResidentVoter.id).where(
                ResidentVoter.election_id == election.id, ResidentVoter.user_id == user_id,
                ResidentVoter.removed_at.is_(None))).first():
            errors["phone"] = Msg(N_("This account is already on the register."))
    if errors:
        raise FieldErrors(errors)
    voter = ResidentVoter(election_id=election.id, name=name, birth_date=born, user_id=user_id,
                          household=household or None, residents_group=residents_group or None,
                          added_by=actor.user_id, added_at=now)
    if election.mode == rules.ResidentMode.HOUSEHOLDS:
        voter.household_seat = 1
    if election.mode == rules.ResidentMode.GROUPS:
        voter.group_seat = _free_group_seat(db, election, residents_group)
    try:
        with db.begin_nested():  # the seat's unique index decides a race between two staff
            db.add(voter)
            db.flush()
    except IntegrityError:
        raise FieldErrors(_mode_errors(db, election, household, residents_group) or {
            "household" if election.mode == rules.ResidentMode.HOUSEHOLDS else "residents_group":
            Msg(N_("Someone else added a representative for it just now; please check the register."))}) from None
    audit.record(db, actor_id=actor.user_id, action="add_resident_voter",
                 target_type="resident_election", target_id=election.id, place_id=area.id,
                 voter=voter.id, name=name)
    return voter


def voter_election(db: Session, voter_id: int) -> int:
    voter = db.get(ResidentVoter, voter_id)
    if voter is None:
        raise NotFound()
    return voter.election_id


def remove_voter(db: Session, actor: Actor, voter_id: int, *, reason: str, now: datetime) -> ResidentVoter:
    voter = db.get(ResidentVoter, voter_id)
    if voter is None or voter.removed_at is not None:
        raise NotFound()
    election, area = get_resident_election(db, voter.election_id)
    check("manage_resident_election", actor, area)
    allow_resident("edit_register", election, now)
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise FieldErrors({"reason": Msg(N_("Please give the reason (e.g. moved away, an objection upheld)."))})
    voter.removed_by, voter.removed_at, voter.removal_reason = actor.user_id, now, reason
    db.add(voter)
    audit.record(db, actor_id=actor.user_id, action="remove_resident_voter",
                 target_type="resident_election", target_id=election.id, place_id=area.id,
                 voter=voter.id, reason=reason)
    db.flush()
    return voter


# --- candidates ---------------------------------------------------------------------------

def resident_candidates_of(db: Session, election: ResidentElection) -> list[ResidentCandidate]:
    return list(db.exec(select(ResidentCandidate).where(ResidentCandidate.election_id == election.id)
                        .order_by(ResidentCandidate.id)).all())


LIST_PROBLEMS = {
    "too_few": N_("The list needs at least as many candidates as seats."),
    "equal_list": N_("For committee members the list needs more candidates than seats (差额). An equal list only where the local rules allow it, marked on the election."),
}


def publish_candidates(db: Session, actor: Actor, election_id: int, *, now: datetime) -> ResidentElection:
    """Publish the final list, at least ``list_notice_days`` before voting opens."""
    election, area = get_resident_election(db, election_id)
    check("manage_resident_election", actor, area)
    allow_resident("publish_candidates", election, now)
    if election.candidates_published_at is not None:
        raise Conflict(N_("The final list of candidates has been published."), code="list_published")
    problem = rules.list_problem(len(resident_candidates_of(db, election)), election.seats,
                                 election.allow_equal_list)
    if problem:
        raise Conflict(LIST_PROBLEMS[problem], code=problem)
    small = small_groups(db, election)
    if small:
        raise Conflict(N_("Each residents' group needs two or three representatives on the register before the final list; too few: %(groups)s."),
                       code="small_groups", groups="、".join(f"{g} ({n})" for g, n in small.items()))
    if now > election.opens_at - timedelta(days=election.list_notice_days):
        raise Conflict(N_("The final list must be published at least %(days)s days before voting opens."),
                       code="too_late", days=election.list_notice_days)
    election.candidates_published_at = now
    db.add(election)
    audit.record(db, actor_id=actor.user_id, action="publish_resident_candidates",
                 target_type="resident_election", target_id=election.id, place_id=area.id)
    db.flush()
    return election


# --- ballots ------------------------------------------------------------------------------

def resident_voter_key(election_id: int, voter_id: int) -> str:
    return secrecy.hmac_hex(secrecy.ballot_key(), rules.resident_voter_message(election_id, voter_id))


def _ballot_candidates(db: Session, election: ResidentElection, chosen) -> str:
    return chosen_candidates({str(c.id) for c in resident_candidates_of(db, election)}, chosen,
                             election.seats)


def _insert(db: Session, ballot: ResidentBallot) -> ResidentBallot:
    return owners.insert_ballot(db, ballot, already=N_("This voter has already voted in this election."))


def _votable(election: ResidentElection, now: datetime, action: str) -> None:
    allow_resident(action, election, now)
    if election.candidates_published_at is None:
        raise Conflict(N_("The final list of candidates has not been published."), code="no_list")


def my_registration(db: Session, user: User | None, election: ResidentElection) -> tuple[ResidentVoter | None, bool]:
    """The person's register entry (or None) and whether they have voted."""
    if user is None:
        return None, False
    voter = db.exec(select(ResidentVoter).where(
        ResidentVoter.election_id == election.id, ResidentVoter.user_id == user.id,
        ResidentVoter.removed_at.is_(None))).first()
    if voter is None:
        return None, False
    voted = db.exec(select(ResidentBallot.id).where(
        ResidentBallot.election_id == election.id,
        ResidentBallot.voter_key == resident_voter_key(election.id, voter.id))).first()
    return voter, voted is not None


def cast_resident_ballot(db: Session, actor: Actor, user: User, election_id: int, *, candidates,
                         now: datetime) -> ResidentBallot:
    election, area = get_resident_election(db, election_id)
    check("cast_resident_ballot", actor, area)
    _votable(election, now, "cast_ballot")
    stored = _ballot_candidates(db, election, candidates)
    voter, _ = my_registration(db, user, election)
    if voter is None:
        raise Forbidden(N_("You are not on this election's voter register. Ask your residents' committee."))
    return _insert(db, ResidentBallot(election_id=election.id, candidates=stored, channel="web",
                                      voter_key=resident_voter_key(election.id, voter.id),
                                      cast_day=rules.ballot_day(now)))


def enter_resident_paper(db: Session, actor: Actor, election_id: int, *, voter: str, candidates,
                         now: datetime) -> ResidentBallot:
    """A paper ballot handed in at the polling station: the voter is ticked off the register
    by their entry number."""
    election, area = get_resident_election(db, election_id)
    check("manage_resident_election", actor, area)
    _votable(election, now, "enter_paper")
    number = parse_count(voter)
    entry = db.get(ResidentVoter, number) if number else None
    if entry is None or entry.election_id != election.id or entry.removed_at is not None:
        raise FieldErrors({"voter": Msg(N_("Please give the voter's number on the register."))})
    stored = _ballot_candidates(db, election, candidates)
    return _insert(db, ResidentBallot(election_id=election.id, candidates=stored, channel="paper",
                                      voter_key=resident_voter_key(election.id, entry.id),
                                      keyed_by=actor.user_id, cast_day=rules.ballot_day(now)))


@dataclass(frozen=True)
class ResidentTurnout:
    registered: int
    voted: int

    @property
    def needed(self) -> int:
        """The least number of voters that is more than half of the register."""
        return self.registered // 2 + 1

    @property
    def valid(self) -> bool:
        return self.voted >= self.needed


def resident_turnout(db: Session, election_id: int) -> tuple[ResidentElection, Place, ResidentTurnout]:
    election, area = get_resident_election(db, election_id)
    registered = db.exec(select(func.count()).select_from(ResidentVoter).where(
        ResidentVoter.election_id == election.id, ResidentVoter.removed_at.is_(None))).one()
    voted = db.exec(select(func.count()).select_from(ResidentBallot).where(
        ResidentBallot.election_id == election.id)).one()
    return election, area, ResidentTurnout(registered, voted)


def _ballot_rows(db: Session, election: ResidentElection) -> tuple[list[str], list[files.Row]]:
    """The register's voter ids and the ballots as ``ballots.csv`` rows (``voter_id,
    candidates``), in a fresh random order: with the key, each ballot names its voter."""
    voters = [str(v.id) for v in voters_of(db, election)]
    key_of = {resident_voter_key(election.id, int(v)): v for v in voters}
    ballots = list(db.exec(select(ResidentBallot.voter_key, ResidentBallot.candidates).where(
        ResidentBallot.election_id == election.id)).all())
    random.SystemRandom().shuffle(ballots)
    return voters, [(1, list(files.RESIDENT_BALLOT_COLUMNS))] + [
        (line, [key_of[key], text]) for line, (key, text) in enumerate(ballots, start=2)]


def resident_register_csv(db: Session, actor: Actor, election_id: int, now: datetime) -> tuple[ResidentElection, str]:
    """The register in the recount command's ``voters.csv`` format (``voter_id``)."""
    election, area = get_resident_election(db, election_id)
    check("manage_resident_election", actor, area)
    allow_resident("export_register", election, now)
    voters = [str(v.id) for v in voters_of(db, election)]
    return election, files.format_rows([(1, list(files.VOTER_COLUMNS))] + [
        (line, [v]) for line, v in enumerate(voters, start=2)])


def resident_ballots_csv(db: Session, actor: Actor, election_id: int, now: datetime) -> tuple[ResidentElection, str]:
    """After the close, the ballots in the recount command's ``ballots.csv`` format,
    shuffled anew each time. Like the result, it is computed with the key and says how each
    register entry voted (README, Secrecy)."""
    election, area = get_resident_election(db, election_id)
    check("manage_resident_election", actor, area)
    allow_resident("export_ballots", election, now)
    return election, files.format_rows(_ballot_rows(db, election)[1])


def resident_result(db: Session, election_id: int, now: datetime):
    """The count once voting has closed, through the recount command's own path."""
    election, area = get_resident_election(db, election_id)
    allow_resident("view_result", election, now)
    voters, rows = _ballot_rows(db, election)
    parsed = files.parse_resident_ballots(rows, voters, election.seats)
    outcome = cli.residents_result(
        voters, parsed, election.seats, further_round=election.further_round,
        threshold=Fraction(election.threshold_numerator, election.threshold_denominator),
        candidates=[str(c.id) for c in resident_candidates_of(db, election)])
    return election, area, outcome
