"""The ledger: posting transfers, balances from entries, the passbook, corrections.

``post`` is the one way points move: it checks the legs (``rules.ledger_problem``), moves
each member account's cached balance with one conditional ``UPDATE`` (in account order,
so two transfers lock rows in the same order), then writes the transfer and its entries.
A leg that would take a member below zero changes nothing and raises ``Conflict``
(``insufficient_points``); the CHECK constraint on ``points_account.balance`` stands
behind it. Balances shown to people are sums of entries (``balance``), never the cache.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, update
from sqlalchemy.orm import Session, aliased
from sqlmodel import select

from consult import permissions
from consult.accounts.models import User
from consult.audit import services as audit
from consult.errors import Conflict, FieldErrors, NotFound
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.points import rules
from consult.points.models import (
    Activity,
    Approval,
    Attendance,
    Correction,
    Entry,
    Member,
    PointsAccount,
    Transfer,
)
from consult.points.services.common import OWN_CORRECTION, ClubAt, get, require

INSUFFICIENT = N_("Not enough points: the balance would go below zero.")


def club_account(db: Session, club_id: int, kind: str) -> PointsAccount:
    return db.exec(select(PointsAccount).where(PointsAccount.club_id == club_id,
                                               PointsAccount.kind == kind)).one()


def member_account(db: Session, member_id: int) -> PointsAccount:
    return db.exec(select(PointsAccount).where(PointsAccount.member_id == member_id)).one()


def open_club_accounts(db: Session, club_id: int) -> None:
    db.add_all([PointsAccount(club_id=club_id, kind=kind) for kind in ("issued", "redeemed")])


def open_member_account(db: Session, member: Member) -> PointsAccount:
    account = PointsAccount(club_id=member.club_id, kind="member", member_id=member.id)
    db.add(account)
    db.flush()
    return account


def post(db: Session, *, club_id: int, kind: str, legs: list[tuple[PointsAccount, int]],
         now: datetime, memo: str = "", created_by: int | None = None,
         approved_by: int | None = None, attendance_id: int | None = None,
         order_id: int | None = None, reverses_id: int | None = None) -> Transfer:
    """Write one transfer; nothing is written when a member's balance would go negative."""
    if problem := rules.ledger_problem([(a.id, n) for a, n in legs]):
        raise ValueError(problem)
    if any(a.club_id != club_id for a, _ in legs):
        raise ValueError("a transfer stays inside one club")
    for account, amount in sorted(legs, key=lambda leg: leg[0].id):
        if account.kind != "member":
            continue  # club accounts are summed, never cached: no hot row to lock
        moved = db.execute(update(PointsAccount).where(
            PointsAccount.id == account.id, PointsAccount.balance + amount >= 0)
            .values(balance=PointsAccount.balance + amount)
            .execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            raise Conflict(INSUFFICIENT, code="insufficient_points")
    transfer = Transfer(club_id=club_id, kind=kind, memo=memo[:200], created_at=now,
                        created_by=created_by, approved_by=approved_by,
                        attendance_id=attendance_id, order_id=order_id, reverses_id=reverses_id)
    db.add(transfer)
    db.flush()
    db.execute(insert(Entry), [{"transfer_id": transfer.id, "account_id": a.id, "amount": n}
                               for a, n in legs])
    for account, _ in legs:  # the cached copies in this session are stale now
        db.expire(account, ["balance"])
    return transfer


def balance(db: Session, account_id: int) -> int:
    """The balance: the sum of the account's entries (one index-only scan)."""
    return db.exec(select(func.coalesce(func.sum(Entry.amount), 0))
                   .where(Entry.account_id == account_id)).one()


def member_balance(db: Session, member_id: int) -> int:
    return db.exec(select(func.coalesce(func.sum(Entry.amount), 0))
                   .join(PointsAccount, PointsAccount.id == Entry.account_id)
                   .where(PointsAccount.member_id == member_id)).one()


def balances_of(db: Session, member_ids: list[int]) -> dict[int, int]:
    """Several members' balances from their entries, in one query."""
    if not member_ids:
        return {}
    rows = db.exec(select(PointsAccount.member_id, func.coalesce(func.sum(Entry.amount), 0))
                   .outerjoin(Entry, Entry.account_id == PointsAccount.id)
                   .where(PointsAccount.member_id.in_(member_ids))
                   .group_by(PointsAccount.member_id)).all()
    return {member_id: total for member_id, total in rows}


@dataclass(frozen=True)
class Problem:
    what: str  # "cache" | "unbalanced"
    id: int
    detail: str


def check(db: Session, club_id: int | None = None) -> list[Problem]:
    """The ledger against itself: every transfer sums to zero with two entries or more,
    and every member account's cached balance equals the sum of its entries."""
    problems: list[Problem] = []
    unbalanced = (select(Entry.transfer_id, func.sum(Entry.amount), func.count())
                  .join(Transfer, Transfer.id == Entry.transfer_id)
                  .group_by(Entry.transfer_id)
                  .having((func.sum(Entry.amount) != 0) | (func.count() < 2)))
    if club_id is not None:
        unbalanced = unbalanced.where(Transfer.club_id == club_id)
    problems += [Problem("unbalanced", tid, f"sum {total}, {count} entries")
                 for tid, total, count in db.exec(unbalanced).all()]
    sums = (select(PointsAccount.id, PointsAccount.balance, func.coalesce(func.sum(Entry.amount), 0))
            .outerjoin(Entry, Entry.account_id == PointsAccount.id)
            .where(PointsAccount.kind == "member").group_by(PointsAccount.id, PointsAccount.balance))
    if club_id is not None:
        sums = sums.where(PointsAccount.club_id == club_id)
    problems += [Problem("cache", aid, f"cached {cached}, entries {total}")
                 for aid, cached, total in db.exec(sums).all() if cached != total]
    return problems


# -- the passbook --------------------------------------------------------------------------

PAGE = 50


@dataclass(frozen=True)
class PassbookLine:
    entry_id: int
    transfer: Transfer
    amount: int
    activity: Activity | None
    approval: Approval | None
    approver: str | None
    minutes: int | None


def passbook(db: Session, member_id: int, *, before: int | None = None,
             limit: int = PAGE) -> list[PassbookLine]:
    """The member's entries, newest first, with the activity, who approved and the
    stamped sheet: one query whatever the length (``before``: an entry id, for older)."""
    approver = aliased(User)
    query = (select(Entry.id, Entry.amount, Transfer, Activity, Approval, approver.display_name,
                    Attendance.minutes)
             .join(Transfer, Transfer.id == Entry.transfer_id)
             .join(PointsAccount, PointsAccount.id == Entry.account_id)
             .outerjoin(Attendance, Attendance.id == Transfer.attendance_id)
             .outerjoin(Activity, Activity.id == Attendance.activity_id)
             .outerjoin(Approval, Approval.id == Attendance.approval_id)
             .outerjoin(approver, approver.id == Transfer.approved_by)
             .where(PointsAccount.member_id == member_id)
             .order_by(Entry.id.desc()).limit(limit))
    if before is not None:
        query = query.where(Entry.id < before)
    return [PassbookLine(eid, transfer, amount, activity, approval, name, minutes)
            for eid, amount, transfer, activity, approval, name, minutes in db.exec(query).all()]


def service_hours(db: Session, member_id: int) -> list[tuple[Activity, Attendance, str]]:
    """Approved attendance with its service time and who approved it (志愿服务 record),
    oldest first."""
    approver = aliased(User)
    return [tuple(row) for row in db.exec(
        select(Activity, Attendance, approver.display_name)
        .join(Attendance, Attendance.activity_id == Activity.id)
        .outerjoin(Approval, Approval.id == Attendance.approval_id)
        .outerjoin(approver, approver.id == Approval.approved_by)
        .where(Attendance.member_id == member_id, Attendance.status == "approved")
        .order_by(Activity.starts_at, Activity.id)).all()]


def hours_by_kind(rows) -> list[tuple[str, int, int]]:
    """(kind, activities, minutes) per kind of activity, in the club's kind order."""
    totals: dict[str, list[int]] = {}
    for activity, attended, _ in rows:
        total = totals.setdefault(activity.kind, [0, 0])
        total[0] += 1
        total[1] += attended.minutes
    return [(kind, *totals[kind]) for kind in sorted(totals, key=list(rules.KIND_NAMES).index)]


# -- corrections ---------------------------------------------------------------------------


def propose_correction(db: Session, actor: Actor, at: ClubAt, *, member_id, amount: str = "",
                       reason: str, reverses_id=None, now: datetime) -> Correction:
    """A correction with a reason: the reversal of one of the member's transfers, or an
    adjustment by a whole number of points; posted when someone else confirms it."""
    require("propose_points_correction", actor, at)
    member = get(db, Member, member_id)
    if member.club_id != at.club.id:
        raise NotFound()
    errors: dict[str, Msg] = {}
    reason = reason.strip()
    if not reason:
        errors["reason"] = Msg(N_("Please give the reason for the correction."))
    value: int | None = None
    reversed_transfer = None
    if reverses_id not in (None, ""):
        reversed_transfer = get(db, Transfer, reverses_id)
        own_leg = db.exec(select(Entry.amount).join(PointsAccount, PointsAccount.id == Entry.account_id)
                          .where(Entry.transfer_id == reversed_transfer.id,
                                 PointsAccount.member_id == member.id)).first()
        if own_leg is None or reversed_transfer.club_id != at.club.id:
            errors["reverses_id"] = Msg(N_("That entry is not in this member's passbook."))
        elif reversed_transfer.reverses_id is not None or db.exec(
                select(Transfer.id).where(Transfer.reverses_id == reversed_transfer.id)).first():
            errors["reverses_id"] = Msg(N_("That entry is a reversal or has already been reversed."))
        else:
            value = -own_leg
    else:
        value, problem = rules.parse_points(amount, signed=True)
        if problem:
            errors["amount"] = problem
    if errors:
        raise FieldErrors(errors)
    correction = Correction(club_id=at.club.id, member_id=member.id, amount=value, reason=reason[:200],
                            reverses_id=reversed_transfer.id if reversed_transfer else None,
                            proposed_by=actor.user_id, proposed_at=now)
    db.add(correction)
    db.flush()
    audit.record(db, actor_id=actor.user_id, action="points_correction_proposed",
                 target_type="points_member", target_id=member.id, place_id=at.place.id,
                 reason=correction.reason, amount=value, correction=correction.id)
    return correction


def _pending_correction(db: Session, at: ClubAt, correction_id) -> tuple[Correction, Member]:
    correction = get(db, Correction, correction_id, lock=True)
    if correction.club_id != at.club.id:
        raise NotFound()
    if correction.status != "pending":
        raise Conflict(N_("This correction has already been decided."), code="decided")
    return correction, db.get(Member, correction.member_id)


def _check_second_person(actor: Actor, at: ClubAt, correction: Correction, member: Member) -> None:
    require("confirm_points_correction", actor, at)
    if permissions.acting_on_own_request(actor, (correction.proposed_by, member.user_id)):
        raise Conflict(OWN_CORRECTION, code="own_request")


def confirm_correction(db: Session, actor: Actor, at: ClubAt, correction_id, *, now: datetime) -> Transfer:
    """The second person confirms: the reversing (or adjusting) transfer is posted."""
    correction, member = _pending_correction(db, at, correction_id)
    _check_second_person(actor, at, correction, member)
    if correction.reverses_id is not None:
        legs = [(db.get(PointsAccount, account_id), -amount) for account_id, amount in db.exec(
            select(Entry.account_id, Entry.amount).where(Entry.transfer_id == correction.reverses_id)
            .order_by(Entry.id)).all()]
    else:
        legs = [(member_account(db, member.id), correction.amount),
                (club_account(db, at.club.id, "issued"), -correction.amount)]
    transfer = post(db, club_id=at.club.id, kind="correction", legs=legs, now=now,
                    memo=correction.reason, created_by=correction.proposed_by,
                    approved_by=actor.user_id, reverses_id=correction.reverses_id)
    correction.status, correction.decided_by, correction.decided_at = "confirmed", actor.user_id, now
    correction.transfer_id = transfer.id
    db.add(correction)
    audit.record(db, actor_id=actor.user_id, action="points_correction_confirmed",
                 target_type="points_member", target_id=member.id, place_id=at.place.id,
                 reason=correction.reason, amount=correction.amount, correction=correction.id,
                 proposed_by=correction.proposed_by)
    return transfer


def refuse_correction(db: Session, actor: Actor, at: ClubAt, correction_id, *, now: datetime) -> Correction:
    correction, member = _pending_correction(db, at, correction_id)
    _check_second_person(actor, at, correction, member)
    correction.status, correction.decided_by, correction.decided_at = "refused", actor.user_id, now
    db.add(correction)
    audit.record(db, actor_id=actor.user_id, action="points_correction_refused",
                 target_type="points_member", target_id=member.id, place_id=at.place.id,
                 reason=correction.reason, correction=correction.id)
    return correction


def pending_corrections(db: Session, club_id: int) -> list[tuple[Correction, Member, str]]:
    proposer = aliased(User)
    return list(db.exec(select(Correction, Member, proposer.display_name)
                        .join(Member, Member.id == Correction.member_id)
                        .join(proposer, proposer.id == Correction.proposed_by)
                        .where(Correction.club_id == club_id, Correction.status == "pending")
                        .order_by(Correction.id)).all())


def ledger_rows(db: Session, club_id: int) -> list[tuple]:
    """Every entry of the club for the export: entry, transfer, account kind, member name."""
    return list(db.exec(select(Entry.id, Transfer.id, Transfer.kind, Transfer.created_at, PointsAccount.kind,
                               Member.name, Member.card_code, Entry.amount, Transfer.memo,
                               Transfer.created_by, Transfer.approved_by, Transfer.reverses_id)
                        .join(Transfer, Transfer.id == Entry.transfer_id)
                        .join(PointsAccount, PointsAccount.id == Entry.account_id)
                        .outerjoin(Member, Member.id == PointsAccount.member_id)
                        .where(Transfer.club_id == club_id).order_by(Entry.id)).all())
