"""Prizes, redemption days and pre-orders.

A pre-order reserves the stock and pays the points in one transaction: the prize's stock
moves with one conditional ``UPDATE`` (never below zero, a CHECK constraint behind it),
then the points from the member to the club's *redeemed* account (``ledger.post``,
never below zero); if either refuses, neither happened (a savepoint). Prize rows are
locked before member accounts, always. Collection on the day marks the order collected
(by the member, their registered family proxy, or staff for them); what was not
collected is released after the day: stock back, points back, as new entries.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.audit import services as audit
from consult.errors import Conflict, FieldErrors, NotFound
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.points import rules
from consult.points.models import Member, Order, Prize, RedemptionDay, StockMove
from consult.points.services import ledger
from consult.points.services.common import (
    ClubAt,
    acting_for,
    club_at,
    get,
    require,
    require_day_action,
)

OUT_OF_STOCK = N_("Sorry, “%(name)s” is out of stock (%(stock)s left).")


# -- prizes --------------------------------------------------------------------------------


def add_prize(db: Session, actor: Actor, at: ClubAt, *, name: str, price: str, stock: str,
              now: datetime) -> Prize:
    require("manage_points_club", actor, at)
    errors: dict[str, Msg] = {}
    if not name.strip():
        errors["name"] = Msg(N_("Please name the prize."))
    value, problem = rules.parse_points(price)
    if problem:
        errors["price"] = problem
    count, problem = rules.parse_points(stock, allow_zero=True)
    if problem:
        errors["stock"] = Msg(N_("Stock is a whole number of items."))
    if errors:
        raise FieldErrors(errors)
    prize = Prize(club_id=at.club.id, name=name.strip()[:80], price=value, stock=0)
    db.add(prize)
    db.flush()
    if count:
        _move_stock(db, prize, count, "delivery", by=actor.user_id, now=now)
    audit.record(db, actor_id=actor.user_id, action="points_prize_added", target_type="points_prize",
                 target_id=prize.id, place_id=at.place.id, price=value, stock=count)
    return prize


def restock(db: Session, actor: Actor, at: ClubAt, prize_id, *, count: str, now: datetime) -> Prize:
    require("manage_points_club", actor, at)
    prize = prize_in(db, at, prize_id)
    value, problem = rules.parse_points(count)
    if problem:
        raise FieldErrors({"count": Msg(N_("Please give how many items arrived, a whole number."))})
    _move_stock(db, prize, value, "delivery", by=actor.user_id, now=now)
    audit.record(db, actor_id=actor.user_id, action="points_prize_restocked", target_type="points_prize",
                 target_id=prize.id, place_id=at.place.id, count=value)
    return prize


def _move_stock(db: Session, prize: Prize, delta: int, reason: str, *, by: int | None, now: datetime,
                order_id: int | None = None) -> bool:
    moved = db.execute(update(Prize).where(Prize.id == prize.id, Prize.stock + delta >= 0)
                       .values(stock=Prize.stock + delta).execution_options(synchronize_session=False))
    if moved.rowcount != 1:
        return False
    db.add(StockMove(prize_id=prize.id, delta=delta, reason=reason, order_id=order_id, by=by, at=now))
    db.expire(prize, ["stock"])
    return True


def prize_in(db: Session, at: ClubAt, prize_id) -> Prize:
    prize = get(db, Prize, prize_id)
    if prize.club_id != at.club.id:
        raise NotFound()
    return prize


def prizes(db: Session, club_id: int) -> list[Prize]:
    return list(db.exec(select(Prize).where(Prize.club_id == club_id).order_by(Prize.price, Prize.id)).all())


# -- days ----------------------------------------------------------------------------------


def add_day(db: Session, actor: Actor, at: ClubAt, *, title: str, opens_at: datetime | None,
            closes_at: datetime | None, now: datetime) -> RedemptionDay:
    require("manage_points_club", actor, at)
    errors: dict[str, Msg] = {}
    if not title.strip():
        errors["title"] = Msg(N_("Please give the day a title, e.g. 2026年第四季度兑换日."))
    errors.update(rules.period_errors(opens_at, closes_at, "opens_at", "closes_at"))
    if errors:
        raise FieldErrors(errors)
    day = RedemptionDay(club_id=at.club.id, title=title.strip()[:80], opens_at=opens_at, closes_at=closes_at)
    db.add(day)
    db.flush()
    audit.record(db, actor_id=actor.user_id, action="points_day_added", target_type="points_day",
                 target_id=day.id, place_id=at.place.id)
    return day


def day_at(db: Session, day_id) -> tuple[RedemptionDay, ClubAt]:
    day = get(db, RedemptionDay, day_id)
    return day, club_at(db, day.club_id)


def days(db: Session, club_id: int) -> list[RedemptionDay]:
    return list(db.exec(select(RedemptionDay).where(RedemptionDay.club_id == club_id)
                        .order_by(RedemptionDay.opens_at.desc())).all())


# -- orders --------------------------------------------------------------------------------


def preorder(db: Session, actor: Actor, at: ClubAt, day: RedemptionDay, *, prize_id, quantity: str = "1",
             now: datetime, member_id=None) -> Order:
    """Pre-order a prize for the actor (or, as proxy or staff, for a member)."""
    member, how = acting_for(db, actor, at, member_id)
    if how == "self":
        require("take_part_in_points_club", actor, at)
    require_day_action(day, "preorder", now)
    prize = prize_in(db, at, prize_id)
    count, problem = rules.parse_points(quantity or "1")
    if problem or count > 20:
        raise FieldErrors({"quantity": Msg(N_("Please order a whole number of items, from 1 to 20."))})
    if problem := rules.order_problem(balance=ledger.member_balance(db, member.id), price=prize.price,
                                      quantity=count, stock=prize.stock):
        raise Conflict(problem, code="cannot_order")
    with db.begin_nested():  # the stock and the points move together, or neither does
        order = Order(day_id=day.id, member_id=member.id, prize_id=prize.id, quantity=count,
                      points=prize.price * count, ordered_at=now, ordered_by=actor.user_id)
        db.add(order)
        db.flush()
        if not _move_stock(db, prize, -count, "reserve", by=actor.user_id, now=now, order_id=order.id):
            db.refresh(prize)
            raise Conflict(OUT_OF_STOCK, code="out_of_stock", name=prize.name, stock=prize.stock)
        ledger.post(db, club_id=at.club.id, kind="redeem", now=now, memo=f"{prize.name} ×{count}",
                    legs=[(ledger.member_account(db, member.id), -order.points),
                          (ledger.club_account(db, at.club.id, "redeemed"), order.points)],
                    created_by=actor.user_id, order_id=order.id)
    return order


def _order_in(db: Session, day: RedemptionDay, order_id) -> Order:
    order = get(db, Order, order_id, lock=True)
    if order.day_id != day.id:
        raise NotFound()
    return order


def _give_back(db: Session, at: ClubAt, order: Order, *, kind: str, status: str, by: int | None,
               now: datetime) -> None:
    prize = db.get(Prize, order.prize_id)
    _move_stock(db, prize, order.quantity, "release" if kind == "release" else "cancel",
                by=by, now=now, order_id=order.id)
    ledger.post(db, club_id=at.club.id, kind=kind, now=now, memo=f"{prize.name} ×{order.quantity}",
                legs=[(ledger.member_account(db, order.member_id), order.points),
                      (ledger.club_account(db, at.club.id, "redeemed"), -order.points)],
                created_by=by, order_id=order.id)
    order.status = status
    db.add(order)


def cancel_order(db: Session, actor: Actor, at: ClubAt, day: RedemptionDay, order_id, *,
                 now: datetime) -> Order:
    """Before the day, the member (or proxy, or staff) cancels: stock and points come back."""
    order = _order_in(db, day, order_id)
    acting_for(db, actor, at, order.member_id)
    require_day_action(day, "cancel_order", now)
    if order.status != "reserved":
        raise Conflict(N_("This order is no longer reserved."), code="not_reserved")
    _give_back(db, at, order, kind="refund", status="cancelled", by=actor.user_id, now=now)
    db.flush()
    return order


def collect(db: Session, actor: Actor, at: ClubAt, day: RedemptionDay, order_id, *, via: str,
            now: datetime) -> Order:
    """Staff hand the prize over on the day: to the member, their proxy, or for them."""
    require("act_at_points_desk", actor, at)
    require_day_action(day, "collect", now)
    order = _order_in(db, day, order_id)
    if order.status != "reserved":
        raise Conflict(N_("This order has already been collected or released."), code="not_reserved")
    member = db.get(Member, order.member_id)
    if via == "proxy" and member.proxy_user_id is None:
        raise Conflict(N_("This member has no registered family proxy."), code="no_proxy")
    order.status, order.collected_at, order.collected_by = "collected", now, actor.user_id
    order.collected_via = via if via in ("self", "proxy", "staff") else "self"
    db.add(order)
    audit.record(db, actor_id=actor.user_id, action="points_order_collected", target_type="points_order",
                 target_id=order.id, place_id=at.place.id, via=order.collected_via)
    db.flush()
    return order


def release(db: Session, actor: Actor, at: ClubAt, day: RedemptionDay, *, now: datetime) -> int:
    """After the day: every order not collected goes back (stock and points)."""
    require("manage_points_club", actor, at)
    require_day_action(day, "release", now)
    day = get(db, RedemptionDay, day.id, lock=True)  # one release at a time
    require_day_action(day, "release", now)
    left = list(db.exec(select(Order).where(Order.day_id == day.id, Order.status == "reserved")
                        .order_by(Order.prize_id, Order.member_id)).all())
    for order in left:
        _give_back(db, at, order, kind="release", status="released", by=actor.user_id, now=now)
    day.released_at = now
    db.add(day)
    audit.record(db, actor_id=actor.user_id, action="points_day_released", target_type="points_day",
                 target_id=day.id, place_id=at.place.id, orders=len(left))
    db.flush()
    return len(left)


def orders(db: Session, day_id: int) -> list[tuple[Order, Member, Prize]]:
    return list(db.exec(select(Order, Member, Prize).join(Member, Member.id == Order.member_id)
                        .join(Prize, Prize.id == Order.prize_id).where(Order.day_id == day_id)
                        .order_by(Member.name, Order.id)).all())


def orders_of(db: Session, day_id: int, member_id: int) -> list[tuple[Order, Prize]]:
    return list(db.exec(select(Order, Prize).join(Prize, Prize.id == Order.prize_id)
                        .where(Order.day_id == day_id, Order.member_id == member_id)
                        .order_by(Order.id)).all())
