"""Attendance, checked by the committee: staff record it from the printed sign-in sheet
or a member's card code, members check in with the code shown at the venue; each is a
*pending* entry. The committee approves a batch with the photo of the stamped sheet, and
only then are points posted. Nobody approves their own attendance."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.audit import services as audit
from consult.db.ids import parse_id
from consult.errors import Conflict, FieldErrors
from consult.i18n import N_, Msg
from consult.media.images import ImageError, process_upload, store
from consult.notifications import services as notifications
from consult.permissions import Actor
from consult.points import rules
from consult.points.models import Activity, Approval, Attendance, Member, Signup
from consult.points.services import clubs, ledger
from consult.points.services.common import (
    OWN_ATTENDANCE,
    ClubAt,
    acting_for,
    photo_message,
    require,
    require_activity_action,
)

TWICE = N_("This attendance is already recorded.")
ALREADY_CHECKED_IN = N_("You have already checked in to this activity.")


def _insert_once(db: Session, attendance: Attendance) -> bool:
    """Insert; False when the same member's attendance of the activity arrived first (a
    double click, the sheet and a check-in at once: ``UNIQUE(activity_id, member_id)``)."""
    try:
        with db.begin_nested():
            db.add(attendance)
            db.flush()
    except IntegrityError:
        return False
    return True


def _existing(db: Session, activity_id: int, member_id: int) -> Attendance | None:
    return db.exec(select(Attendance).where(Attendance.activity_id == activity_id,
                                            Attendance.member_id == member_id)).first()


def _minutes(activity: Activity, minutes: str) -> int:
    if not str(minutes or "").strip():
        return rules.minutes_between(activity.starts_at, activity.ends_at)
    value, problem = rules.parse_points(minutes, allow_zero=True)
    if problem or value > 24 * 60:
        raise FieldErrors({"minutes": Msg(N_("Service time is a whole number of minutes, at most a day."))})
    return value


def record(db: Session, actor: Actor, at: ClubAt, activity: Activity, *, now: datetime,
           card_code: str = "", member_id=None, minutes: str = "", source: str = "card") -> Attendance:
    """Staff record that a member was there (a row of the sheet, a blank row filled in by a
    walk-in, or a scanned or typed card code): a pending entry."""
    require("record_attendance", actor, at)
    require_activity_action(activity, "record_attendance", now)
    if member_id not in (None, ""):
        member = clubs.member_in(db, at, member_id)
    else:
        member = clubs.by_card_or_refuse(db, at, card_code)
    if _existing(db, activity.id, member.id):
        raise FieldErrors({"card_code": Msg(TWICE)})
    attendance = Attendance(activity_id=activity.id, member_id=member.id, status="pending",
                            source="sheet" if source == "sheet" else "card",
                            minutes=_minutes(activity, minutes), recorded_by=actor.user_id, recorded_at=now)
    if not _insert_once(db, attendance):
        raise FieldErrors({"card_code": Msg(TWICE)})
    return attendance


def check_in(db: Session, actor: Actor, at: ClubAt, activity: Activity, *, code: str,
             now: datetime) -> Attendance:
    """A member types the code shown at the venue: a pending entry, for the committee to
    check against the sheet (a code can be passed on, so it proves nothing by itself)."""
    member, how = acting_for(db, actor, at)
    require("take_part_in_points_club", actor, at)
    require_activity_action(activity, "check_in", now)
    signed = db.exec(select(Signup.id).where(Signup.activity_id == activity.id, Signup.member_id == member.id,
                                             Signup.status == "confirmed")).first()
    if signed is None:
        raise Conflict(N_("You are not signed up for this activity, so you cannot check in. "
                          "Please see the organiser at the venue: they record you on the sheet."),
                       code="not_signed_up")
    if _existing(db, activity.id, member.id):
        raise Conflict(ALREADY_CHECKED_IN, code="already_checked_in")
    if rules.normalize_code(code) != activity.checkin_code:
        raise FieldErrors({"code": Msg(N_("That is not the code shown at the venue. Please check it and try again."))})
    attendance = Attendance(activity_id=activity.id, member_id=member.id, status="pending", source="self",
                            minutes=rules.minutes_between(activity.starts_at, activity.ends_at),
                            recorded_by=actor.user_id, recorded_at=now)
    if not _insert_once(db, attendance):
        raise Conflict(ALREADY_CHECKED_IN, code="already_checked_in")
    return attendance


def pending(db: Session, activity_id: int) -> list[tuple[Attendance, Member]]:
    return list(db.exec(select(Attendance, Member).join(Member, Member.id == Attendance.member_id)
                        .where(Attendance.activity_id == activity_id)
                        .order_by(Attendance.status != "pending", Member.name)).all())


def _chosen(db: Session, activity: Activity, ids: list[str]) -> list[tuple[Attendance, Member]]:
    numbers = {n for n in (parse_id(i) for i in ids) if n is not None}
    if not numbers:
        raise FieldErrors({"attendance": Msg(N_("Please tick the attendance to decide."))})
    rows = list(db.exec(select(Attendance, Member).join(Member, Member.id == Attendance.member_id)
                        .where(Attendance.activity_id == activity.id, Attendance.id.in_(numbers))
                        .order_by(Member.id).with_for_update(of=Attendance)  # one decision each
                        .execution_options(populate_existing=True)).all())
    if len(rows) != len(numbers):
        raise FieldErrors({"attendance": Msg(N_("Some of the ticked attendance is not of this activity."))})
    if any(a.status != "pending" for a, _ in rows):
        raise Conflict(N_("Some of the ticked attendance has already been decided."), code="decided")
    return rows


def _check_not_own(actor: Actor, at: ClubAt, rows: list[tuple[Attendance, Member]]) -> None:
    require("approve_attendance", actor, at)
    for _, member in rows:
        if not permissions.may_decide("approve_attendance", actor, at.path, member.user_id):
            raise Conflict(OWN_ATTENDANCE, code="own_request")


def approve(db: Session, actor: Actor, at: ClubAt, activity: Activity, ids: list[str], *,
            photo: bytes | None, media_dir: Path, note: str = "", now: datetime) -> Approval:
    """Approve the ticked pending attendance, with the photo of the stamped sheet: each
    gets its points (issued → member) in this one transaction."""
    require_activity_action(activity, "approve_attendance", now)
    rows = _chosen(db, activity, ids)
    _check_not_own(actor, at, rows)
    if not photo:
        raise FieldErrors({"photo": Msg(N_("Please attach the photo of the stamped sign-in sheet."))})
    try:
        key = store(process_upload(photo), media_dir)
    except ImageError as exc:
        raise FieldErrors({"photo": photo_message(exc)}) from None
    approval = Approval(activity_id=activity.id, approved_by=actor.user_id, approved_at=now,
                        sheet_photo=key, note=note.strip()[:200])
    db.add(approval)
    db.flush()
    rule = clubs.earning_rules(db, at.club.id).get(activity.kind)
    issued = ledger.club_account(db, at.club.id, "issued")
    for attendance, member in rows:
        points = rules.points_for(rule.per_attendance if rule else 0, rule.per_hour if rule else 0,
                                  attendance.minutes)
        attendance.status, attendance.approval_id, attendance.points = "approved", approval.id, points
        db.add(attendance)
        if points:
            ledger.post(db, club_id=at.club.id, kind="award", now=now, memo=activity.title,
                        legs=[(ledger.member_account(db, member.id), points), (issued, -points)],
                        created_by=attendance.recorded_by, approved_by=actor.user_id,
                        attendance_id=attendance.id)
        if member.user_id:
            notifications.notify(db, user_id=member.user_id, kind="points_awarded",
                                 params={"title": activity.title, "points": points})
    audit.record(db, actor_id=actor.user_id, action="points_attendance_approved",
                 target_type="points_activity", target_id=activity.id, place_id=at.place.id,
                 approval=approval.id, attendance=[a.id for a, _ in rows])
    db.flush()
    return approval


def reject(db: Session, actor: Actor, at: ClubAt, activity: Activity, ids: list[str], *,
           reason: str, now: datetime) -> int:
    """Refuse the ticked pending attendance (someone who was not there): no points."""
    require_activity_action(activity, "approve_attendance", now)
    rows = _chosen(db, activity, ids)
    _check_not_own(actor, at, rows)
    if not reason.strip():
        raise FieldErrors({"reason": Msg(N_("Please give the reason."))})
    for attendance, _ in rows:
        attendance.status = "rejected"
        db.add(attendance)
    audit.record(db, actor_id=actor.user_id, action="points_attendance_rejected",
                 target_type="points_activity", target_id=activity.id, place_id=at.place.id,
                 reason=reason.strip()[:200], attendance=[a.id for a, _ in rows])
    db.flush()
    return len(rows)


def in_approval(db: Session, approval_id: int, user_id: int | None) -> bool:
    """Is the person (or the member they are the proxy of) in this approved batch?"""
    if user_id is None:
        return False
    return db.exec(select(Attendance.id).join(Member, Member.id == Attendance.member_id).where(
        Attendance.approval_id == approval_id,
        (Member.user_id == user_id) | (Member.proxy_user_id == user_id))).first() is not None
