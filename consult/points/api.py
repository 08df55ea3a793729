"""The points club over the JSON API: clubs, joining, members (staff), activities,
sign-up, check-in, balances and passbooks, redemption days and pre-orders. The same
services as the pages; refusals use the shared error format (409 with a code such as
``insufficient_points``, ``out_of_stock``, ``not_signed_up``; 422 with field messages)."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock, permissions
from consult.errors import Forbidden
from consult.points import rules
from consult.points.models import Member
from consult.points.services import activities, attendance, clubs, ledger, redemption
from consult.points.services.common import get, may_see_member, member_of, require
from consult.web.api import BOOLEAN, INTEGER, STRING, api_route, json_body, obj, ok
from consult.web.auth import current_actor, require_user
from consult.web.db import get_db

NULLABLE_INT = {"type": ["integer", "null"]}
CLUB = obj({"id": INTEGER, "name": STRING, "place_id": INTEGER, "place_name": STRING,
            "member_id": NULLABLE_INT, "may_join": BOOLEAN})
ACTIVITY = obj({"id": INTEGER, "title": STRING, "kind": {"type": "string", "enum": list(rules.KIND_NAMES)},
                "state": {"type": "string", "enum": list(rules.ACTIVITY_STATES)}, "starts_at": STRING,
                "ends_at": STRING, "venue": STRING, "capacity": NULLABLE_INT, "confirmed": INTEGER,
                "waiting": INTEGER})
MEMBER = obj({"id": INTEGER, "name": STRING, "card_code": STRING, "has_account": BOOLEAN, "balance": INTEGER})
ENTRY = obj({"id": INTEGER, "transfer_id": INTEGER, "kind": STRING, "amount": INTEGER, "date": STRING,
             "memo": STRING, "activity_id": NULLABLE_INT, "approved_by": {"type": ["string", "null"]}})
ORDER = obj({"id": INTEGER, "prize_id": INTEGER, "quantity": INTEGER, "points": INTEGER, "status": STRING})
PRIZE = obj({"id": INTEGER, "name": STRING, "price": INTEGER, "stock": INTEGER})


def _activity_json(activity, count) -> dict:
    return {"id": activity.id, "title": activity.title, "kind": activity.kind,
            "state": rules.activity_state(activity.starts_at, activity.ends_at, activity.cancelled_at,
                                          clock.utcnow()),
            "starts_at": activity.starts_at, "ends_at": activity.ends_at, "venue": activity.venue,
            "capacity": activity.capacity, "confirmed": count[0], "waiting": count[1]}


def _order_json(order) -> dict:
    return {"id": order.id, "prize_id": order.prize_id, "quantity": order.quantity, "points": order.points,
            "status": order.status}


async def club_list(request: Request):
    db = get_db(request)
    actor = current_actor(request)
    out = []
    for at in clubs.clubs_for(db, actor):
        member = member_of(db, at.club.id, actor.user_id)
        out.append({"id": at.club.id, "name": at.club.name, "place_id": at.place.id, "place_name": at.place.name,
                    "member_id": member.id if member else None,
                    "may_join": member is None and permissions.allowed("join_points_club", actor, at.path)})
    return ok({"clubs": out})


async def club_join(request: Request):
    await json_body(request)
    user = require_user(request)
    db = get_db(request)
    at = clubs.load(db, request.path_params["club_id"])
    member = clubs.join(db, current_actor(request), user, at, now=clock.utcnow())
    return ok({"id": member.id, "card_code": member.card_code}, status=201)


async def club_members(request: Request):
    require_user(request)
    db = get_db(request)
    at = clubs.load(db, request.path_params["club_id"])
    require("view_points_ledger", current_actor(request), at)
    return ok({"members": [{"id": m.id, "name": m.name, "card_code": m.card_code, "has_account": m.user_id is not None,
                            "balance": balance} for m, balance in clubs.members(db, at)]})


async def club_activities(request: Request):
    db = get_db(request)
    at = clubs.load(db, request.path_params["club_id"])
    rows = activities.upcoming(db, at.club.id, clock.utcnow(), limit=100)
    counts = activities.counts(db, [a.id for a in rows])
    return ok({"activities": [_activity_json(a, counts[a.id]) for a in rows]})


async def activity_signup(request: Request):
    data = await json_body(request)
    require_user(request)
    db = get_db(request)
    activity, at = activities.activity_at(db, request.path_params["activity_id"])
    signup = activities.sign_up(db, current_actor(request), at, activity, now=clock.utcnow(),
                                member_id=data.get("member_id"), channel=str(data.get("channel") or "desk"))
    return ok({"id": signup.id, "status": signup.status, "channel": signup.channel}, status=201)


async def activity_cancel(request: Request):
    data = await json_body(request)
    require_user(request)
    db = get_db(request)
    activity, at = activities.activity_at(db, request.path_params["activity_id"])
    signup = activities.cancel_signup(db, current_actor(request), at, activity, now=clock.utcnow(),
                                      member_id=data.get("member_id"))
    return ok({"id": signup.id, "status": signup.status})


async def activity_checkin(request: Request):
    data = await json_body(request)
    require_user(request)
    db = get_db(request)
    activity, at = activities.activity_at(db, request.path_params["activity_id"])
    actor = current_actor(request)
    if data.get("card_code") is not None:  # staff record a member's card: still pending
        done = attendance.record(db, actor, at, activity, now=clock.utcnow(), card_code=str(data["card_code"]),
                                 minutes=str(data.get("minutes") or ""))
    else:
        done = attendance.check_in(db, actor, at, activity, code=str(data.get("code") or ""), now=clock.utcnow())
    return ok({"id": done.id, "status": done.status, "source": done.source}, status=201)


async def member_passbook(request: Request):
    require_user(request)
    db = get_db(request)
    member = get(db, Member, request.path_params["member_id"])
    at = clubs.load(db, member.club_id)
    if not may_see_member(current_actor(request), at, member):
        raise Forbidden()
    lines = ledger.passbook(db, member.id, limit=200)
    return ok({"member_id": member.id, "name": member.name, "card_code": member.card_code,
               "balance": ledger.member_balance(db, member.id),
               "entries": [{"id": line.entry_id, "transfer_id": line.transfer.id, "kind": line.transfer.kind,
                            "amount": line.amount, "date": line.transfer.created_at, "memo": line.transfer.memo,
                            "activity_id": line.activity.id if line.activity else None,
                            "approved_by": line.approver} for line in lines]})


async def day_detail(request: Request):
    db = get_db(request)
    day, at = redemption.day_at(db, request.path_params["day_id"])
    actor = current_actor(request)
    member = member_of(db, at.club.id, actor.user_id)
    return ok({"id": day.id, "title": day.title, "opens_at": day.opens_at, "closes_at": day.closes_at,
               "state": rules.day_state(day.opens_at, day.closes_at, day.released_at, clock.utcnow()),
               "prizes": [{"id": p.id, "name": p.name, "price": p.price, "stock": p.stock}
                          for p in redemption.prizes(db, at.club.id)],
               "my_orders": [_order_json(o) for o, _ in redemption.orders_of(db, day.id, member.id)] if member else []})


async def day_order(request: Request):
    data = await json_body(request)
    require_user(request)
    db = get_db(request)
    day, at = redemption.day_at(db, request.path_params["day_id"])
    quantity = data.get("quantity", 1)
    order = redemption.preorder(db, current_actor(request), at, day, prize_id=data.get("prize_id"),
                                quantity=str(quantity) if not isinstance(quantity, bool) else "x",
                                member_id=data.get("member_id"), now=clock.utcnow())
    return ok(_order_json(order), status=201)


routes = [
    api_route("/points/clubs", club_list, name="api_points_clubs", tag="points", auth=False,
              summary="Points clubs, those of my places first, with my membership",
              response=obj({"clubs": {"type": "array", "items": CLUB}})),
    api_route("/points/clubs/{club_id:int}/join", club_join, method="POST", name="api_points_join", tag="points",
              summary="Join a club (residents of its place)", status=201, body=obj({}),
              response=obj({"id": INTEGER, "card_code": STRING})),
    api_route("/points/clubs/{club_id:int}/members", club_members, name="api_points_members", tag="points",
              summary="Members with their balances (staff of the place)",
              response=obj({"members": {"type": "array", "items": MEMBER}})),
    api_route("/points/clubs/{club_id:int}/activities", club_activities, name="api_points_activities",
              tag="points", auth=False, summary="Coming activities of a club",
              response=obj({"activities": {"type": "array", "items": ACTIVITY}})),
    api_route("/points/activities/{activity_id:int}/signup", activity_signup, method="POST",
              name="api_points_signup", tag="points", status=201,
              summary="Sign up (myself; staff: a member, at the desk or by phone); waiting list when full",
              body=obj({"member_id": INTEGER, "channel": {"type": "string", "enum": ["desk", "phone"]}}),
              response=obj({"id": INTEGER, "status": {"type": "string", "enum": ["confirmed", "waiting"]},
                            "channel": STRING})),
    api_route("/points/activities/{activity_id:int}/cancel", activity_cancel, method="POST",
              name="api_points_signup_cancel", tag="points", summary="Cancel a sign-up",
              body=obj({"member_id": INTEGER}), response=obj({"id": INTEGER, "status": STRING})),
    api_route("/points/activities/{activity_id:int}/checkin", activity_checkin, method="POST",
              name="api_points_checkin", tag="points", status=201,
              summary="Check in with the venue's code (members) or record a card code (staff): pending until approved",
              body=obj({"code": STRING, "card_code": STRING, "minutes": INTEGER}),
              response=obj({"id": INTEGER, "status": STRING, "source": STRING})),
    api_route("/points/members/{member_id:int}", member_passbook, name="api_points_passbook", tag="points",
              summary="A passbook: the balance (from the ledger) and the latest entries (the member, their proxy, staff)",
              response=obj({"balance": INTEGER, "entries": {"type": "array", "items": ENTRY}})),
    api_route("/points/days/{day_id:int}", day_detail, name="api_points_day", tag="points", auth=False,
              summary="A redemption day: its catalogue with stock, and my orders",
              response=obj({"id": INTEGER, "state": {"type": "string", "enum": list(rules.DAY_STATES)},
                            "prizes": {"type": "array", "items": PRIZE},
                            "my_orders": {"type": "array", "items": ORDER}})),
    api_route("/points/days/{day_id:int}/orders", day_order, method="POST", name="api_points_order", tag="points",
              status=201, summary="Pre-order a prize: stock reserved and points paid at once",
              body=obj({"prize_id": INTEGER, "quantity": INTEGER, "member_id": INTEGER}, ["prize_id"]),
              response=ORDER),
]
