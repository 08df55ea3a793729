"""Activities and sign-up: online, at the desk or by phone (staff enter it), a waiting
list when full, cancellation (the oldest waiting sign-up moves up and is told)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.audit import services as audit
from consult.errors import Conflict, FieldErrors
from consult.i18n import N_, Msg
from consult.notifications import services as notifications
from consult.permissions import Actor
from consult.points import rules
from consult.points.models import (
    ACTIVITY_KINDS,
    SIGNUP_CHANNELS,
    Activity,
    Attendance,
    Member,
    Signup,
)
from consult.points.services.common import (
    ClubAt,
    acting_for,
    club_at,
    get,
    require,
    require_activity_action,
)


@dataclass(frozen=True)
class ActivityDraft:
    title: str
    kind: str
    starts_at: datetime | None
    ends_at: datetime | None
    venue: str = ""
    capacity: str = ""
    organiser: str = ""
    description: str = ""


def _checked(draft: ActivityDraft) -> tuple[dict, int | None]:
    errors: dict[str, Msg] = {}
    if not draft.title.strip():
        errors["title"] = Msg(N_("Please give the activity a title."))
    if draft.kind not in ACTIVITY_KINDS:
        errors["kind"] = Msg(N_("Please choose the kind of activity."))
    errors.update(rules.period_errors(draft.starts_at, draft.ends_at, "starts_at", "ends_at"))
    capacity = None
    if draft.capacity.strip():
        capacity, problem = rules.parse_points(draft.capacity)
        if problem:
            errors["capacity"] = Msg(N_("Capacity is a whole number of people, or empty for no limit."))
    if errors:
        raise FieldErrors(errors)
    return errors, capacity


def create_activity(db: Session, actor: Actor, at: ClubAt, draft: ActivityDraft, *, now: datetime) -> Activity:
    require("manage_points_club", actor, at)
    _, capacity = _checked(draft)
    activity = Activity(club_id=at.club.id, title=draft.title.strip()[:120], kind=draft.kind,
                        starts_at=draft.starts_at, ends_at=draft.ends_at, venue=draft.venue.strip()[:120],
                        capacity=capacity, organiser=draft.organiser.strip()[:80],
                        description=draft.description.strip()[:4000], checkin_code=rules.new_digits(),
                        created_by=actor.user_id, created_at=now)
    db.add(activity)
    db.flush()
    audit.record(db, actor_id=actor.user_id, action="points_activity_created", target_type="points_activity",
                 target_id=activity.id, place_id=at.place.id)
    return activity


def activity_at(db: Session, activity_id) -> tuple[Activity, ClubAt]:
    activity = get(db, Activity, activity_id)
    return activity, club_at(db, activity.club_id)


def cancel_activity(db: Session, actor: Actor, at: ClubAt, activity: Activity, *, now: datetime) -> Activity:
    require("manage_points_club", actor, at)
    require_activity_action(activity, "cancel_activity", now)
    activity.cancelled_at = now
    db.add(activity)
    for _signup, member in db.exec(select(Signup, Member).join(Member, Member.id == Signup.member_id)
                                  .where(Signup.activity_id == activity.id, Signup.status != "cancelled")).all():
        if member.user_id:
            notifications.notify(db, user_id=member.user_id, kind="points_activity_cancelled",
                                 params={"title": activity.title})
    audit.record(db, actor_id=actor.user_id, action="points_activity_cancelled", target_type="points_activity",
                 target_id=activity.id, place_id=at.place.id)
    db.flush()
    return activity


def _confirmed(db: Session, activity_id: int) -> int:
    return db.exec(select(func.count()).select_from(Signup).where(
        Signup.activity_id == activity_id, Signup.status == "confirmed")).one()


def _lock(db: Session, activity: Activity) -> None:
    """Sign-ups of one activity take turns (the last seat goes once): PostgreSQL locks the
    activity's row; SQLite's write transaction already holds the database."""
    if db.get_bind().dialect.name == "postgresql":
        db.exec(select(Activity.id).where(Activity.id == activity.id).with_for_update()).one()


def sign_up(db: Session, actor: Actor, at: ClubAt, activity: Activity, *, now: datetime,
            member_id=None, channel: str = "web") -> Signup:
    """Sign up the actor (or, staff at the desk or on the phone, a member); a waiting-list
    place when the activity is full."""
    member, how = acting_for(db, actor, at, member_id)
    if how == "self":
        require("take_part_in_points_club", actor, at)
    if how == "desk" and channel not in SIGNUP_CHANNELS[1:]:
        channel = "desk"
    if how != "desk":
        channel = "web"
    require_activity_action(activity, "sign_up", now)
    _lock(db, activity)
    signup = db.exec(select(Signup).where(Signup.activity_id == activity.id,
                                          Signup.member_id == member.id)).first()
    if signup is not None and signup.status != "cancelled":
        raise Conflict(N_("Already signed up for this activity."), code="already_signed_up")
    status = rules.signup_status(_confirmed(db, activity.id), activity.capacity)
    if signup is None:
        signup = Signup(activity_id=activity.id, member_id=member.id)
    signup.status, signup.channel, signup.created_at = status, channel, now
    signup.entered_by = actor.user_id if how != "self" else None
    db.add(signup)
    db.flush()
    return signup


def cancel_signup(db: Session, actor: Actor, at: ClubAt, activity: Activity, *, now: datetime,
                  member_id=None) -> Signup:
    member, _ = acting_for(db, actor, at, member_id)
    require_activity_action(activity, "cancel_signup", now)
    _lock(db, activity)
    signup = db.exec(select(Signup).where(Signup.activity_id == activity.id, Signup.member_id == member.id,
                                          Signup.status != "cancelled")).first()
    if signup is None:
        raise Conflict(N_("Not signed up for this activity."), code="not_signed_up")
    was = signup.status
    signup.status = "cancelled"
    db.add(signup)
    db.flush()
    if was == "confirmed":
        waiting = db.exec(select(Signup, Member).join(Member, Member.id == Signup.member_id)
                          .where(Signup.activity_id == activity.id, Signup.status == "waiting")
                          .order_by(Signup.created_at, Signup.id)).all()
        moving = set(rules.promoted([s.id for s, _ in waiting], _confirmed(db, activity.id), activity.capacity))
        for waiting_signup, waiting_member in waiting:
            if waiting_signup.id in moving:
                waiting_signup.status = "confirmed"
                db.add(waiting_signup)
                if waiting_member.user_id:
                    notifications.notify(db, user_id=waiting_member.user_id, kind="points_place_freed",
                                         params={"title": activity.title})
        db.flush()
    return signup


def upcoming(db: Session, club_id: int, now: datetime, limit: int = 30) -> list[Activity]:
    return list(db.exec(select(Activity).where(Activity.club_id == club_id, Activity.ends_at > now)
                        .order_by(Activity.starts_at).limit(limit)).all())


def recent(db: Session, club_id: int, now: datetime, limit: int = 30) -> list[Activity]:
    return list(db.exec(select(Activity).where(Activity.club_id == club_id, Activity.ends_at <= now)
                        .order_by(Activity.starts_at.desc()).limit(limit)).all())


def all_activities(db: Session, club_id: int) -> list[Activity]:
    return list(db.exec(select(Activity).where(Activity.club_id == club_id)
                        .order_by(Activity.starts_at.desc())).all())


def signups(db: Session, activity_id: int) -> list[tuple[Signup, Member]]:
    """Sign-ups, confirmed first then the waiting list, each in order of arrival."""
    rows = db.exec(select(Signup, Member).join(Member, Member.id == Signup.member_id)
                   .where(Signup.activity_id == activity_id, Signup.status != "cancelled")
                   .order_by(Signup.created_at, Signup.id)).all()
    return sorted(rows, key=lambda r: r[0].status != "confirmed")


def my_signup(db: Session, activity_id: int, member_id: int | None) -> Signup | None:
    if member_id is None:
        return None
    return db.exec(select(Signup).where(Signup.activity_id == activity_id, Signup.member_id == member_id,
                                        Signup.status != "cancelled")).first()


def my_attendance(db: Session, activity_id: int, member_id: int | None) -> Attendance | None:
    if member_id is None:
        return None
    return db.exec(select(Attendance).where(Attendance.activity_id == activity_id,
                                            Attendance.member_id == member_id)).first()


def counts(db: Session, activity_ids: list[int]) -> dict[int, tuple[int, int]]:
    """activity id → (confirmed, waiting), one query."""
    if not activity_ids:
        return {}
    out: dict[int, list[int]] = {i: [0, 0] for i in activity_ids}
    for activity_id, status, n in db.exec(select(Signup.activity_id, Signup.status, func.count())
                                          .where(Signup.activity_id.in_(activity_ids),
                                                 Signup.status != "cancelled")
                                          .group_by(Signup.activity_id, Signup.status)).all():
        out[activity_id][0 if status == "confirmed" else 1] = n
    return {k: (v[0], v[1]) for k, v in out.items()}
