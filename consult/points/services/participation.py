"""Points for taking part in the platform (issue 19 item 7), when the club turns it on.

A member earns the club's points for an idea of theirs that was shortlisted, a named
survey they answered (once it has closed), and a forum they attended (once held). Never
for a vote: no vote, ballot or turnout is ever read here (the import contract forbids the
points domain the voting domain), so no entry can tell when or how anyone voted. An
anonymous survey is not credited either: who answered it is kept as secret as a ballot.

The facts come from the other domains' public surfaces, gathered at the edge
(``consult.participation.credit_due``, run by ``finalize-due``) as plain tuples
``(user_id, kind, ref, place_path)``. Each is credited once per member
(``points_participation`` is unique on member, kind and ref), through the ledger (a
``platform`` transfer from the club's issued account), at the time of the run, so
the entry's time says only when the job ran. The club's day and year caps (Beijing
calendar) bound what one member earns; an act over the cap is recorded with 0 points and
never looked at again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import clock
from consult.audit import services as audit
from consult.communities.models import Place
from consult.errors import FieldErrors
from consult.i18n import Msg
from consult.permissions import Actor
from consult.points import rules
from consult.points.models import PARTICIPATION_KINDS, Member, Participation, PointsClub
from consult.points.services import ledger
from consult.points.services.common import ClubAt, require

MEMOS = {"idea": "想法入围", "survey": "参与问卷", "forum": "参加座谈会"}


def set_participation(db: Session, actor: Actor, at: ClubAt, *, on: bool, per_idea: str, per_survey: str,
                      per_forum: str, day_cap: str = "", year_cap: str = "") -> PointsClub:
    """Turn participation points on or off, with the points per kind (whole, ≥ 0) and the
    caps (empty: none)."""
    require("manage_points_club", actor, at)
    errors: dict[str, Msg] = {}
    values: dict[str, int | None] = {}
    for field, text in (("per_idea", per_idea), ("per_survey", per_survey), ("per_forum", per_forum)):
        values[field], problem = rules.parse_points(text, allow_zero=True)
        if problem:
            errors[field] = problem
    for field, text in (("day_cap", day_cap), ("year_cap", year_cap)):
        if not str(text).strip():
            values[field] = None
            continue
        values[field], problem = rules.parse_points(text, allow_zero=True)
        if problem:
            errors[field] = problem
    if errors:
        raise FieldErrors(errors)
    club = at.club
    club.participation_on = bool(on)
    club.per_idea, club.per_survey, club.per_forum = values["per_idea"], values["per_survey"], values["per_forum"]
    club.participation_day_cap, club.participation_year_cap = values["day_cap"], values["year_cap"]
    db.add(club)
    audit.record(db, actor_id=actor.user_id, action="points_participation_set", target_type="points_club",
                 target_id=club.id, place_id=at.place.id, on=club.participation_on,
                 points=[club.per_idea, club.per_survey, club.per_forum],
                 caps=[club.participation_day_cap, club.participation_year_cap])
    db.flush()
    return club


def participating_users(db: Session) -> set[int]:
    """The accounts of members of the clubs that turned participation points on."""
    return set(db.exec(select(Member.user_id).join(PointsClub, PointsClub.id == Member.club_id)
                       .where(PointsClub.participation_on.is_(True), Member.user_id.is_not(None))).all())


def _related(club_path: str, place_path: str) -> bool:
    """The act took place at the club's place, inside it, or at a place above it (a
    sub-district survey reaches the area's members)."""
    return place_path.startswith(club_path) or club_path.startswith(place_path)


def _window_start(now: datetime, span: str) -> datetime:
    local = clock.to_local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    if span == "year":
        local = local.replace(month=1, day=1)
    return local.astimezone(UTC)


def _earned_since(db: Session, member_id: int, since: datetime) -> int:
    return db.exec(select(func.coalesce(func.sum(Participation.points), 0))
                   .where(Participation.member_id == member_id, Participation.credited_at >= since)).one()


def _room(db: Session, club: PointsClub, member_id: int, now: datetime) -> int | None:
    """How many more participation points the member may earn now (None: no cap)."""
    room = None
    for cap, span in ((club.participation_day_cap, "day"), (club.participation_year_cap, "year")):
        if cap is not None:
            left = max(cap - _earned_since(db, member_id, _window_start(now, span)), 0)
            room = left if room is None else min(room, left)
    return room


def credit(db: Session, facts: Iterable[tuple[int, str, str, str]], now: datetime) -> int:
    """Credit each fact ``(user_id, kind, ref, place_path)`` once to the member of every
    club with participation on whose place it concerns: how many entries were posted."""
    facts = [f for f in facts if f[1] in PARTICIPATION_KINDS]
    if not facts:
        return 0
    users = {f[0] for f in facts}
    rows = db.exec(select(Member, PointsClub, Place.path).join(PointsClub, PointsClub.id == Member.club_id)
                   .join(Place, Place.id == PointsClub.place_id)
                   .where(PointsClub.participation_on.is_(True), Member.user_id.in_(users))
                   .order_by(Member.id)).all()
    by_user: dict[int, list[tuple[Member, PointsClub, str]]] = {}
    for member, club, path in rows:
        by_user.setdefault(member.user_id, []).append((member, club, path))
    member_ids = [m.id for m, _, _ in rows]
    seen = set(db.exec(select(Participation.member_id, Participation.kind, Participation.ref)
                       .where(Participation.member_id.in_(member_ids))).all()) if member_ids else set()
    posted = 0
    for user_id, kind, ref, place_path in sorted(set(facts)):
        for member, club, club_path in by_user.get(user_id, []):
            if (member.id, kind, ref) in seen or not _related(club_path, place_path):
                continue
            seen.add((member.id, kind, ref))
            points = {"idea": club.per_idea, "survey": club.per_survey, "forum": club.per_forum}[kind]
            room = _room(db, club, member.id, now)
            if room is not None:
                points = min(points, room)
            row = Participation(club_id=club.id, member_id=member.id, kind=kind, ref=ref[:40],
                                points=points, credited_at=now)
            if points > 0:
                transfer = ledger.post(db, club_id=club.id, kind="platform", now=now, memo=MEMOS[kind],
                                       legs=[(ledger.club_account(db, club.id, "issued"), -points),
                                             (ledger.member_account(db, member.id), points)])
                row.transfer_id = transfer.id
                posted += 1
            db.add(row)
            db.flush()
    return posted
