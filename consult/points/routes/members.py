"""Residents' points pages: the clubs, joining, activities (sign up, cancel, check in),
the passbook (积分存折, and its printable A5 page), redemption days and pre-orders."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route

from consult import clock, permissions
from consult.db.ids import parse_id
from consult.errors import Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.points import rules
from consult.points.models import Approval, Member
from consult.points.routes.common import act, activity_state, day_state, export_format, labels
from consult.points.services import activities, attendance, clubs, ledger, redemption
from consult.points.services.common import get, may_see_member, member_of
from consult.web.auth import current_actor, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.downloads import qr_svg, table_download
from consult.web.templating import render, translator_for

# -- clubs ---------------------------------------------------------------------------------


async def points_home(request: Request):
    db = get_db(request)
    actor = current_actor(request)
    mine = clubs.memberships(db, actor.user_id)
    totals = ledger.balances_of(db, list(mine))
    return render(request, "points/home.html", {
        "clubs": clubs.clubs_for(db, actor),
        "mine": [(m, totals.get(m.id, 0)) for m in mine.values()],
        "is_staff": actor.holds_anywhere(permissions.STAFF),
    })


def _club_context(request: Request, club_id, **extra) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    at = clubs.load(db, club_id)
    now = clock.utcnow()
    member = member_of(db, at.club.id, actor.user_id)
    upcoming = activities.upcoming(db, at.club.id, now)
    return {
        "at": at, "member": member,
        "balance": ledger.member_balance(db, member.id) if member else None,
        "may_join": permissions.allowed("join_points_club", actor, at.path),
        "is_staff": permissions.allowed("manage_points_club", actor, at.path),
        "earning": clubs.earning_rules(db, at.club.id),
        "activities": upcoming, "counts": activities.counts(db, [a.id for a in upcoming]),
        "recent": activities.recent(db, at.club.id, now, limit=10),
        "days": redemption.days(db, at.club.id), "ranking": clubs.ranking(db, at),
        "state_of": activity_state, "day_state_of": day_state, "error": None, **labels(), **extra,
    }


async def club_page(request: Request):
    return render(request, "points/club.html", _club_context(request, request.path_params["club_id"]))


async def club_join(request: Request):
    await read_form(request)
    db = get_db(request)
    user = require_user(request)
    club_id = request.path_params["club_id"]
    at = clubs.load(db, club_id)
    return act(request, lambda: clubs.join(db, current_actor(request), user, at, now=clock.utcnow()),
               template="points/club.html", context=lambda **kw: _club_context(request, club_id, **kw),
               message=N_("Welcome to the club! Your passbook is ready."), to="points_club", club_id=at.club.id)


async def club_ranking(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = current_actor(request)
    at = clubs.load(db, request.path_params["club_id"])
    member = member_of(db, at.club.id, require_user(request).id)
    if member is None:
        raise NotFound()
    on = form.get("ranking") == "1"
    return act(request, lambda: clubs.set_ranking(db, actor, at, member, on),
               template="points/club.html", context=lambda **kw: _club_context(request, at.club.id, **kw),
               message=N_("You are shown in the club's ranking.") if on else N_("You are no longer shown in the ranking."),
               to="points_club", club_id=at.club.id)


# -- activities ----------------------------------------------------------------------------


def _activity_context(request: Request, activity_id, **extra) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    activity, at = activities.activity_at(db, activity_id)
    member = member_of(db, at.club.id, actor.user_id)
    signup = activities.my_signup(db, activity.id, member.id if member else None)
    confirmed, waiting = activities.counts(db, [activity.id])[activity.id]
    return {
        "activity": activity, "at": at, "member": member, "signup": signup,
        "attended": activities.my_attendance(db, activity.id, member.id if member else None),
        "state": activity_state(activity), "confirmed": confirmed, "waiting": waiting,
        "rule": clubs.earning_rules(db, at.club.id).get(activity.kind),
        "may_join": permissions.allowed("join_points_club", actor, at.path),
        "is_staff": permissions.allowed("manage_points_club", actor, at.path),
        "errors": {}, "error": None, "values": {}, **labels(), **extra,
    }


async def activity_page(request: Request):
    return render(request, "points/activity.html", _activity_context(request, request.path_params["activity_id"]))


def _activity_post(request: Request, do, message, **kw):
    activity_id = request.path_params["activity_id"]
    return act(request, do, template="points/activity.html",
               context=lambda **problem: _activity_context(request, activity_id, **problem),
               message=message, to="points_activity", activity_id=activity_id, **kw)


async def activity_signup(request: Request):
    await read_form(request)
    db = get_db(request)
    require_user(request)
    activity, at = activities.activity_at(db, request.path_params["activity_id"])
    return _activity_post(
        request, lambda: activities.sign_up(db, current_actor(request), at, activity, now=clock.utcnow()),
        lambda signup: Msg(N_("You are signed up.")) if signup.status == "confirmed"
        else Msg(N_("The activity is full: you are on the waiting list and will be told if a place frees up.")))


async def activity_cancel(request: Request):
    await read_form(request)
    db = get_db(request)
    require_user(request)
    activity, at = activities.activity_at(db, request.path_params["activity_id"])
    return _activity_post(
        request, lambda: activities.cancel_signup(db, current_actor(request), at, activity, now=clock.utcnow()),
        N_("Your sign-up was cancelled."))


async def activity_checkin(request: Request):
    form = await read_form(request)
    db = get_db(request)
    require_user(request)
    activity, at = activities.activity_at(db, request.path_params["activity_id"])
    code = str(form.get("code", ""))[:20]
    return _activity_post(
        request, lambda: attendance.check_in(db, current_actor(request), at, activity, code=code,
                                             now=clock.utcnow()),
        N_("Checked in. The committee checks it against the sign-in sheet; then your points are posted."),
        values={"code": code})


# -- the passbook --------------------------------------------------------------------------


def _member_for(request: Request) -> tuple[Member, object]:
    db = get_db(request)
    actor = current_actor(request)
    require_user(request)
    member = get(db, Member, request.path_params["member_id"])
    at = clubs.load(db, member.club_id)
    if not may_see_member(actor, at, member):
        raise Forbidden()
    return member, at


def passbook_context(request: Request) -> dict:
    db = get_db(request)
    member, at = _member_for(request)
    before = parse_id(request.query_params.get("before"))
    lines = ledger.passbook(db, member.id, before=before, limit=ledger.PAGE + 1)
    return {"member": member, "at": at, "balance": ledger.member_balance(db, member.id),
            "lines": lines[:ledger.PAGE], "older": lines[ledger.PAGE - 1].entry_id if len(lines) > ledger.PAGE else None,
            "first_page": before is None, "own": member.user_id == current_actor(request).user_id,
            "is_staff": permissions.allowed("view_points_ledger", current_actor(request), at.path),
            "printing": False, **labels()}


async def passbook_page(request: Request):
    return render(request, "points/passbook.html", passbook_context(request))


async def passbook_print(request: Request):
    context = passbook_context(request)
    base = request.app.state.settings.base_url.rstrip("/")
    link = base + request.url_for("points_passbook", member_id=context["member"].id).path
    return render(request, "points/passbook_print.html", {**context, "qr": qr_svg(link, scale=4), "link": link, "printing": True})


#: The fields a 志愿服务 record holds (志愿服务记录与证明出具办法): who, the organisation that
#: records it, what, where, when, how long, and who checked it.
HOURS_HEADER = ("姓名 name", "卡号 card", "记录单位 organisation", "活动 activity", "类别 kind", "地点 venue",
                "开始 starts", "结束 ends", "服务时长(小时) hours", "审核人 approved by")


def hours_text(minutes: int) -> str:
    """Service time in hours with two decimals, from whole minutes (never a float)."""
    return f"{minutes // 60}.{minutes % 60 * 100 // 60:02d}"


def hours_table(club_name: str, rows, t) -> list[list]:
    """Service hours in the shape a 志愿服务 record takes, a header and one row per
    approved attendance."""
    return [list(HOURS_HEADER), *[
        [member.name, member.card_code, club_name, activity.title, t(rules.KIND_NAMES[activity.kind]), activity.venue,
         f"{clock.to_local(activity.starts_at):%Y-%m-%d %H:%M}", f"{clock.to_local(activity.ends_at):%Y-%m-%d %H:%M}",
         hours_text(attended.minutes), approver or ""]
        for member, activity, attended, approver in rows]]


async def passbook_hours(request: Request):
    member, at = _member_for(request)
    rows = [(member, *row) for row in ledger.service_hours(get_db(request), member.id)]
    return table_download(hours_table(at.club.name, rows, translator_for(request)), f"service-hours-{member.id}",
                          export_format(request))


async def hours_certificate(request: Request):
    """The printable 证明 of a member's service hours: for the member and for staff."""
    member, at = _member_for(request)
    rows = ledger.service_hours(get_db(request), member.id)
    return render(request, "points/hours_certificate.html", {
        "member": member, "at": at, "rows": rows, "by_kind": ledger.hours_by_kind(rows),
        "total": hours_text(sum(att.minutes for _, att, _ in rows)), "hours_text": hours_text,
        "today": clock.to_local(clock.utcnow()).date(), "printing": True, **labels()})


async def sheet_photo(request: Request):
    """The stamped sheet of an approval: for staff, and for members whose attendance it holds."""
    db = get_db(request)
    actor = current_actor(request)
    require_user(request)
    approval = get(db, Approval, request.path_params["approval_id"])
    _, at = activities.activity_at(db, approval.activity_id)
    if not (permissions.allowed("view_points_ledger", actor, at.path)
            or attendance.in_approval(db, approval.id, actor.user_id)):
        raise Forbidden()
    path = request.app.state.settings.media_dir / f"{approval.sheet_photo}.jpg"
    if not approval.sheet_photo or not path.is_file():
        raise NotFound()
    return FileResponse(path, media_type="image/jpeg", headers={"cache-control": "private, no-store"})


# -- redemption ----------------------------------------------------------------------------


def _day_context(request: Request, day_id, **extra) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    day, at = redemption.day_at(db, day_id)
    member = member_of(db, at.club.id, actor.user_id)
    proxied = [m for m in clubs.memberships(db, actor.user_id).values()
               if m.club_id == at.club.id and m.proxy_user_id == actor.user_id]
    return {"day": day, "at": at, "member": member, "state": day_state(day),
            "balance": ledger.member_balance(db, member.id) if member else None,
            "prizes": redemption.prizes(db, at.club.id),
            "orders": redemption.orders_of(db, day.id, member.id) if member else [],
            "proxied": [(m, ledger.member_balance(db, m.id), redemption.orders_of(db, day.id, m.id)) for m in proxied],
            "is_staff": permissions.allowed("manage_points_club", actor, at.path),
            "errors": {}, "error": None, "values": {}, **labels(), **extra}


async def day_page(request: Request):
    return render(request, "points/day.html", _day_context(request, request.path_params["day_id"]))


async def day_order(request: Request):
    form = await read_form(request)
    db = get_db(request)
    require_user(request)
    day, at = redemption.day_at(db, request.path_params["day_id"])
    values = {k: str(form.get(k, ""))[:20] for k in ("prize_id", "quantity", "member_id")}
    return act(request, lambda: redemption.preorder(
        db, current_actor(request), at, day, prize_id=values["prize_id"], quantity=values["quantity"] or "1",
        member_id=values["member_id"] or None, now=clock.utcnow()),
        template="points/day.html", context=lambda **kw: _day_context(request, day.id, **kw),
        message=N_("Pre-ordered: the prize is kept for you and the points are taken. Collect it on the redemption day."),
        to="points_day", day_id=day.id, values=values)


async def day_order_cancel(request: Request):
    await read_form(request)
    db = get_db(request)
    require_user(request)
    day, at = redemption.day_at(db, request.path_params["day_id"])
    return act(request, lambda: redemption.cancel_order(db, current_actor(request), at, day,
                                                        request.path_params["order_id"], now=clock.utcnow()),
               template="points/day.html", context=lambda **kw: _day_context(request, day.id, **kw),
               message=N_("The pre-order was cancelled and the points returned."), to="points_day", day_id=day.id)


routes = [
    Route("/points", points_home, methods=["GET"], name="points"),
    Route("/points/clubs/{club_id:int}", club_page, methods=["GET"], name="points_club"),
    Route("/points/clubs/{club_id:int}/join", club_join, methods=["POST"], name="points_join"),
    Route("/points/clubs/{club_id:int}/ranking", club_ranking, methods=["POST"], name="points_ranking"),
    Route("/points/activities/{activity_id:int}", activity_page, methods=["GET"], name="points_activity"),
    Route("/points/activities/{activity_id:int}/signup", activity_signup, methods=["POST"], name="points_signup"),
    Route("/points/activities/{activity_id:int}/cancel", activity_cancel, methods=["POST"],
          name="points_signup_cancel"),
    Route("/points/activities/{activity_id:int}/checkin", activity_checkin, methods=["POST"], name="points_checkin"),
    Route("/points/members/{member_id:int}", passbook_page, methods=["GET"], name="points_passbook"),
    Route("/points/members/{member_id:int}/print", passbook_print, methods=["GET"], name="points_passbook_print"),
    Route("/points/members/{member_id:int}/hours.csv", passbook_hours, methods=["GET"], name="points_hours"),
    Route("/points/members/{member_id:int}/hours.xlsx", passbook_hours, methods=["GET"], name="points_hours_xlsx"),
    Route("/points/members/{member_id:int}/hours", hours_certificate, methods=["GET"], name="points_hours_certificate"),
    Route("/points/sheets/{approval_id:int}", sheet_photo, methods=["GET"], name="points_sheet"),
    Route("/points/days/{day_id:int}", day_page, methods=["GET"], name="points_day"),
    Route("/points/days/{day_id:int}/orders", day_order, methods=["POST"], name="points_order"),
    Route("/points/days/{day_id:int}/orders/{order_id:int}/cancel", day_order_cancel, methods=["POST"],
          name="points_order_cancel"),
]
