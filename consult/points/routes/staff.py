"""The committee's points pages: clubs and their rules, members (joined at the desk,
family proxies), activities with the printable sign-in sheet, attendance to record and
approve, corrections (a second person confirms), prizes and stock, redemption days, and
CSV exports of each."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult import clock
from consult.i18n import N_, Msg
from consult.parsing import local_input, parse_local_datetime
from consult.points import rules
from consult.points.models import ACTIVITY_KINDS
from consult.points.routes.common import act, activity_state, day_state, export_format, labels
from consult.points.routes.members import hours_table
from consult.points.services import activities, attendance, clubs, ledger, participation, redemption
from consult.points.services.common import ClubAt, managed_clubs, require
from consult.web.auth import current_actor
from consult.web.auth import require as require_page
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.downloads import table_download
from consult.web.forms import FormPage, form_view
from consult.web.responses import redirect_to
from consult.web.templating import render, translator_for


def _at(request: Request, action: str = "manage_points_club") -> ClubAt:
    at = clubs.load(get_db(request), request.path_params["club_id"])
    require(action, current_actor(request), at)
    return at


# -- clubs ---------------------------------------------------------------------------------


def _index_context(request: Request, **extra) -> dict:
    db = get_db(request)
    actor = require_page(request, "view_staff_area")
    return {"clubs": managed_clubs(db, actor), "places": clubs.place_choices(db, actor),
            "values": {}, "errors": {}, "error": None, "part": "", **extra}


async def staff_index(request: Request):
    return render(request, "points/staff_index.html", _index_context(request))


async def staff_create(request: Request):
    form = await read_form(request)
    actor = require_page(request, "view_staff_area")
    values = {k: str(form.get(k, "")) for k in ("place_id", "name", "rules_text")}
    db = get_db(request)
    return form_view(request, lambda: clubs.create_club(db, actor, place_id=values["place_id"], name=values["name"],
                                                        rules_text=values["rules_text"], now=clock.utcnow()),
                     again=FormPage("points/staff_index.html",
                                                 lambda **kw: _index_context(request, values=values, **kw)),
                     message=N_("The club was created. Now set its earning rules and add activities."),
                     done=lambda at: redirect_to(request, "staff_points_club", club_id=at.club.id))


def _club_context(request: Request, **extra) -> dict:
    db = get_db(request)
    at = _at(request)
    now = clock.utcnow()
    context = {
        "at": at, "earning": clubs.earning_rules(db, at.club.id), "kinds": ACTIVITY_KINDS,
        "members": clubs.members(db, at), "activities": activities.all_activities(db, at.club.id),
        "prizes": redemption.prizes(db, at.club.id), "days": redemption.days(db, at.club.id),
        "corrections": ledger.pending_corrections(db, at.club.id), "actor": current_actor(request),
        "state_of": activity_state, "day_state_of": day_state,
        "defaults": {"starts_at": local_input(now), "ends_at": "", "opens_at": "", "closes_at": ""},
        "values": {}, "errors": {}, "error": None, "part": "", **labels(),
    }
    context.update(extra)
    return context


def _club_post(request: Request, do, message, part: str, values: dict):
    return act(request, do, template="points/staff_club.html",
               context=lambda **kw: _club_context(request, **kw), message=message,
               to="staff_points_club", part=part, values=values, club_id=request.path_params["club_id"])


async def staff_club(request: Request):
    return render(request, "points/staff_club.html", _club_context(request))


async def club_update(request: Request):
    form = await read_form(request)
    at = _at(request)
    earning = {k: (str(form.get(f"{k}_attendance", "")), str(form.get(f"{k}_hour", ""))) for k in ACTIVITY_KINDS}
    values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    return _club_post(request, lambda: clubs.update_club(
        get_db(request), current_actor(request), at, name=values.get("name", ""),
        rules_text=values.get("rules_text", ""), earning=earning), N_("Saved."), "settings", values)


async def participation_update(request: Request):
    form = await read_form(request)
    at = _at(request)
    values = {k: str(form.get(k, ""))[:20] for k in ("on", "per_idea", "per_survey", "per_forum", "day_cap", "year_cap")}
    return _club_post(request, lambda: participation.set_participation(
        get_db(request), current_actor(request), at, on=values["on"] == "1", per_idea=values["per_idea"],
        per_survey=values["per_survey"], per_forum=values["per_forum"], day_cap=values["day_cap"],
        year_cap=values["year_cap"]), N_("Saved."), "participation", values)


async def member_add(request: Request):
    form = await read_form(request)
    at = _at(request, "act_at_points_desk")
    values = {k: str(form.get(k, ""))[:40] for k in ("name", "login")}
    return _club_post(request, lambda: clubs.join_at_desk(get_db(request), current_actor(request), at,
                                                          name=values["name"], login=values["login"],
                                                          now=clock.utcnow()),
                      lambda m: Msg(N_("%(name)s joined; card code %(code)s."), {"name": m.name, "code": m.card_code}),
                      "member", values)


async def activity_add(request: Request):
    form = await read_form(request)
    at = _at(request)
    values = {k: str(form.get(k, "")) for k in ("title", "kind", "starts_at", "ends_at", "venue", "capacity",
                                                "organiser", "description")}
    draft = activities.ActivityDraft(
        title=values["title"], kind=values["kind"], starts_at=parse_local_datetime(values["starts_at"]),
        ends_at=parse_local_datetime(values["ends_at"]), venue=values["venue"], capacity=values["capacity"],
        organiser=values["organiser"], description=values["description"])
    return _club_post(request, lambda: activities.create_activity(get_db(request), current_actor(request), at,
                                                                  draft, now=clock.utcnow()),
                      N_("The activity was added."), "activity", values)


async def prize_add(request: Request):
    form = await read_form(request)
    at = _at(request)
    values = {k: str(form.get(k, ""))[:80] for k in ("name", "price", "stock")}
    return _club_post(request, lambda: redemption.add_prize(get_db(request), current_actor(request), at,
                                                            **values, now=clock.utcnow()),
                      N_("The prize was added."), "prize", values)


async def prize_restock(request: Request):
    form = await read_form(request)
    at = _at(request)
    values = {"count": str(form.get("count", ""))[:20], "prize_id": str(request.path_params["prize_id"])}
    return _club_post(request, lambda: redemption.restock(get_db(request), current_actor(request), at,
                                                          request.path_params["prize_id"], count=values["count"],
                                                          now=clock.utcnow()),
                      N_("The stock was added."), "restock", values)


async def day_add(request: Request):
    form = await read_form(request)
    at = _at(request)
    values = {k: str(form.get(k, "")) for k in ("title", "opens_at", "closes_at")}
    return _club_post(request, lambda: redemption.add_day(
        get_db(request), current_actor(request), at, title=values["title"],
        opens_at=parse_local_datetime(values["opens_at"]), closes_at=parse_local_datetime(values["closes_at"]),
        now=clock.utcnow()), N_("The redemption day was added."), "day", values)


def _export(request: Request, header: tuple, rows, stem: str):
    """The table as CSV or, at the ``.xlsx`` address, as an Excel workbook."""
    return table_download([header, *rows], stem, export_format(request))


async def members_csv(request: Request):
    at = _at(request, "view_points_ledger")
    rows = [(m.name, m.card_code, "是" if m.user_id else "否 (柜台)", f"{clock.to_local(m.joined_at):%Y-%m-%d}", balance)
            for m, balance in clubs.members(get_db(request), at)]
    return _export(request, ("姓名 name", "卡号 card", "有账号 account", "入会 joined", "积分 balance"), rows, f"points-members-{at.club.id}")


async def ledger_csv(request: Request):
    at = _at(request, "view_points_ledger")
    rows = [(eid, tid, kind, f"{clock.to_local(when):%Y-%m-%d %H:%M}", account, name or "", card or "", amount, memo,
             by or "", approved or "", reverses or "")
            for eid, tid, kind, when, account, name, card, amount, memo, by, approved, reverses
            in ledger.ledger_rows(get_db(request), at.club.id)]
    return _export(request, ("entry", "transfer", "kind", "time", "account", "姓名 name", "卡号 card", "amount",
                               "memo", "made by", "approved by", "reverses"), rows, f"points-ledger-{at.club.id}")


async def activities_csv(request: Request):
    at = _at(request, "view_points_ledger")
    db = get_db(request)
    rows = activities.all_activities(db, at.club.id)
    counts = activities.counts(db, [a.id for a in rows])
    t = translator_for(request)
    return _export(request, ("活动 activity", "类别 kind", "开始 starts", "结束 ends", "地点 venue", "名额 capacity",
                               "报名 confirmed", "候补 waiting", "状态 state"),
                              [(a.title, t(rules.KIND_NAMES[a.kind]), f"{clock.to_local(a.starts_at):%Y-%m-%d %H:%M}",
                                f"{clock.to_local(a.ends_at):%Y-%m-%d %H:%M}", a.venue, a.capacity or "",
                                counts[a.id][0], counts[a.id][1], t(rules.ACTIVITY_STATE_NAMES[activity_state(a)]))
                               for a in rows], f"points-activities-{at.club.id}")


async def stock_csv(request: Request):
    at = _at(request, "view_points_ledger")
    rows = [(p.name, p.price, p.stock) for p in redemption.prizes(get_db(request), at.club.id)]
    return _export(request, ("奖品 prize", "积分 price", "库存 stock"), rows, f"points-stock-{at.club.id}")


async def club_hours_csv(request: Request):
    at = _at(request, "view_points_ledger")
    db = get_db(request)
    rows = [(m, *row) for m, _ in clubs.members(db, at) for row in ledger.service_hours(db, m.id)]
    return table_download(hours_table(at.club.name, rows, translator_for(request)), f"service-hours-club-{at.club.id}",
                          export_format(request))


# -- members and corrections ---------------------------------------------------------------


def _member_context(request: Request, **extra) -> dict:
    db = get_db(request)
    member = clubs.member_in(db, _at(request, "view_points_ledger"), request.path_params["member_id"])
    at = clubs.load(db, member.club_id)
    return {"at": at, "member": member, "balance": ledger.member_balance(db, member.id),
            "lines": ledger.passbook(db, member.id, limit=200), "values": {}, "errors": {}, "error": None,
            "part": "", **labels(), **extra}


async def staff_member(request: Request):
    return render(request, "points/staff_member.html", _member_context(request))


def _member_post(request: Request, do, message, part: str, values: dict):
    return act(request, do, template="points/staff_member.html",
               context=lambda **kw: _member_context(request, **kw), message=message, to="staff_points_member",
               part=part, values=values, club_id=request.path_params["club_id"],
               member_id=request.path_params["member_id"])


async def member_proxy(request: Request):
    form = await read_form(request)
    at = _at(request, "act_at_points_desk")
    values = {"proxy": str(form.get("proxy", ""))[:40]}
    return _member_post(request, lambda: clubs.set_proxy(get_db(request), current_actor(request), at,
                                                         request.path_params["member_id"], login=values["proxy"]),
                        N_("The family proxy was recorded."), "proxy", values)


async def correction_propose(request: Request):
    form = await read_form(request)
    at = _at(request, "propose_points_correction")
    values = {k: str(form.get(k, ""))[:200] for k in ("amount", "reason", "reverses_id")}
    return _member_post(request, lambda: ledger.propose_correction(
        get_db(request), current_actor(request), at, member_id=request.path_params["member_id"],
        amount=values["amount"], reason=values["reason"], reverses_id=values["reverses_id"] or None,
        now=clock.utcnow()),
        N_("The correction was proposed. Another staff member confirms it before it is posted."), "correction", values)


async def correction_decide(request: Request):
    form = await read_form(request)
    at = _at(request, "confirm_points_correction")
    confirm = form.get("decision") == "confirm"
    db = get_db(request)
    actor = current_actor(request)
    correction_id = request.path_params["correction_id"]
    return _club_post(request, (lambda: ledger.confirm_correction(db, actor, at, correction_id, now=clock.utcnow()))
                      if confirm else
                      (lambda: ledger.refuse_correction(db, actor, at, correction_id, now=clock.utcnow())),
                      N_("The correction was posted.") if confirm else N_("The correction was refused."),
                      "correction", {})


# -- activities ----------------------------------------------------------------------------


def _activity(request: Request):
    activity, at = activities.activity_at(get_db(request), request.path_params["activity_id"])
    require("record_attendance", current_actor(request), at)
    return activity, at


def _activity_context(request: Request, **extra) -> dict:
    db = get_db(request)
    activity, at = _activity(request)
    return {"activity": activity, "at": at, "state": activity_state(activity),
            "signups": activities.signups(db, activity.id), "attendance": attendance.pending(db, activity.id),
            "actor": current_actor(request), "values": {}, "errors": {}, "error": None, "part": "",
            **labels(), **extra}


async def staff_activity(request: Request):
    return render(request, "points/staff_activity.html", _activity_context(request))


async def activity_sheet(request: Request):
    """The printable sign-in sheet: a row per signed-up member with their code, then blank rows."""
    return render(request, "points/sheet.html", {**_activity_context(request), "blank": range(10)})


def _activity_post(request: Request, do, message, part: str, values: dict):
    return act(request, do, template="points/staff_activity.html",
               context=lambda **kw: _activity_context(request, **kw), message=message,
               to="staff_points_activity", part=part, values=values,
               activity_id=request.path_params["activity_id"])


async def desk_signup(request: Request):
    form = await read_form(request)
    activity, at = _activity(request)
    values = {k: str(form.get(k, ""))[:20] for k in ("card_code", "channel")}
    db = get_db(request)
    actor = current_actor(request)

    def do():
        member = clubs.by_card_or_refuse(db, at, values["card_code"])
        return activities.sign_up(db, actor, at, activity, now=clock.utcnow(), member_id=member.id,
                                  channel=values["channel"] or "desk")

    return _activity_post(request, do, N_("Signed up."), "signup", values)


async def attendance_record(request: Request):
    form = await read_form(request)
    activity, at = _activity(request)
    values = {k: str(form.get(k, ""))[:20] for k in ("card_code", "member_id", "minutes", "source")}
    return _activity_post(request, lambda: attendance.record(
        get_db(request), current_actor(request), at, activity, now=clock.utcnow(), card_code=values["card_code"],
        member_id=values["member_id"] or None, minutes=values["minutes"], source=values["source"]),
        N_("Recorded, waiting for the committee's approval."), "record", values)


async def attendance_approve(request: Request):
    form = await read_form(request, max_files=1)
    activity, at = _activity(request)
    upload = form.get("photo")
    photo = await upload.read() if hasattr(upload, "read") and getattr(upload, "filename", None) else None
    ids = [str(v) for v in form.getlist("attendance")]
    note = str(form.get("note", ""))[:200]
    return _activity_post(request, lambda: attendance.approve(
        get_db(request), current_actor(request), at, activity, ids, photo=photo or None,
        media_dir=request.app.state.settings.media_dir, note=note, now=clock.utcnow()),
        N_("Approved: the points are posted to the members' passbooks."), "approve", {"note": note})


async def attendance_reject(request: Request):
    form = await read_form(request)
    activity, at = _activity(request)
    ids = [str(v) for v in form.getlist("attendance")]
    reason = str(form.get("reason", ""))[:200]
    return _activity_post(request, lambda: attendance.reject(
        get_db(request), current_actor(request), at, activity, ids, reason=reason, now=clock.utcnow()),
        N_("Refused: no points for the ticked attendance."), "reject", {"reason": reason})


async def activity_cancel(request: Request):
    await read_form(request)
    activity, at = _activity(request)
    return _activity_post(request, lambda: activities.cancel_activity(get_db(request), current_actor(request), at,
                                                                      activity, now=clock.utcnow()),
                          N_("The activity was cancelled; those signed up are told."), "cancel", {})


# -- redemption days -----------------------------------------------------------------------


def _day(request: Request):
    day, at = redemption.day_at(get_db(request), request.path_params["day_id"])
    require("act_at_points_desk", current_actor(request), at)
    return day, at


def _day_context(request: Request, **extra) -> dict:
    db = get_db(request)
    day, at = _day(request)
    return {"day": day, "at": at, "state": day_state(day), "orders": redemption.orders(db, day.id),
            "prizes": redemption.prizes(db, at.club.id), "values": {}, "errors": {}, "error": None, "part": "",
            **labels(), **extra}


async def staff_day(request: Request):
    return render(request, "points/staff_day.html", _day_context(request))


def _day_post(request: Request, do, message, part: str, values: dict):
    return act(request, do, template="points/staff_day.html", context=lambda **kw: _day_context(request, **kw),
               message=message, to="staff_points_day", part=part, values=values, day_id=request.path_params["day_id"])


async def desk_order(request: Request):
    form = await read_form(request)
    day, at = _day(request)
    values = {k: str(form.get(k, ""))[:20] for k in ("card_code", "prize_id", "quantity")}
    db = get_db(request)

    def do():
        member = clubs.by_card_or_refuse(db, at, values["card_code"])
        return redemption.preorder(db, current_actor(request), at, day, prize_id=values["prize_id"],
                                   quantity=values["quantity"] or "1", now=clock.utcnow(), member_id=member.id)

    return _day_post(request, do, N_("Pre-ordered for the member."), "order", values)


async def orders_csv(request: Request):
    day, _ = _day(request)
    rows = [(m.name, m.card_code, p.name, o.quantity, o.points, o.status, o.collected_via or "",
             f"{clock.to_local(o.collected_at):%Y-%m-%d %H:%M}" if o.collected_at else "")
            for o, m, p in redemption.orders(get_db(request), day.id)]
    return _export(request, ("姓名 name", "卡号 card", "奖品 prize", "数量 quantity", "积分 points", "status",
                               "领取 via", "领取时间 collected"), rows, f"points-orders-{day.id}")


async def order_collect(request: Request):
    form = await read_form(request)
    day, at = _day(request)
    via = str(form.get("via", "self"))
    return _day_post(request, lambda: redemption.collect(get_db(request), current_actor(request), at, day,
                                                         request.path_params["order_id"], via=via, now=clock.utcnow()),
                     N_("Marked as collected."), "collect", {})


async def day_release(request: Request):
    await read_form(request)
    day, at = _day(request)
    return _day_post(request, lambda: redemption.release(get_db(request), current_actor(request), at, day,
                                                         now=clock.utcnow()),
                     lambda n: Msg(N_("%(n)s orders not collected were released: stock and points are back."), {"n": n}),
                     "release", {})


routes = [
    Route("/staff/points", staff_index, methods=["GET"], name="staff_points"),
    Route("/staff/points", staff_create, methods=["POST"], name="staff_points_create"),
    Route("/staff/points/clubs/{club_id:int}", staff_club, methods=["GET"], name="staff_points_club"),
    Route("/staff/points/clubs/{club_id:int}", club_update, methods=["POST"], name="staff_points_club_update"),
    Route("/staff/points/clubs/{club_id:int}/participation", participation_update, methods=["POST"],
          name="staff_points_participation"),
    Route("/staff/points/clubs/{club_id:int}/members", member_add, methods=["POST"], name="staff_points_member_add"),
    Route("/staff/points/clubs/{club_id:int}/activities", activity_add, methods=["POST"],
          name="staff_points_activity_add"),
    Route("/staff/points/clubs/{club_id:int}/prizes", prize_add, methods=["POST"], name="staff_points_prize_add"),
    Route("/staff/points/clubs/{club_id:int}/prizes/{prize_id:int}/restock", prize_restock, methods=["POST"],
          name="staff_points_restock"),
    Route("/staff/points/clubs/{club_id:int}/days", day_add, methods=["POST"], name="staff_points_day_add"),
    Route("/staff/points/clubs/{club_id:int}/members.csv", members_csv, methods=["GET"], name="staff_points_members_csv"),
    Route("/staff/points/clubs/{club_id:int}/ledger.csv", ledger_csv, methods=["GET"], name="staff_points_ledger_csv"),
    Route("/staff/points/clubs/{club_id:int}/activities.csv", activities_csv, methods=["GET"],
          name="staff_points_activities_csv"),
    Route("/staff/points/clubs/{club_id:int}/stock.csv", stock_csv, methods=["GET"], name="staff_points_stock_csv"),
    Route("/staff/points/days/{day_id:int}/orders.csv", orders_csv, methods=["GET"], name="staff_points_orders_csv"),
    Route("/staff/points/clubs/{club_id:int}/hours.csv", club_hours_csv, methods=["GET"], name="staff_points_hours_csv"),
    Route("/staff/points/clubs/{club_id:int}/corrections/{correction_id:int}", correction_decide, methods=["POST"],
          name="staff_points_correction_decide"),
    Route("/staff/points/clubs/{club_id:int}/members/{member_id:int}", staff_member, methods=["GET"],
          name="staff_points_member"),
    Route("/staff/points/clubs/{club_id:int}/members/{member_id:int}/proxy", member_proxy, methods=["POST"],
          name="staff_points_proxy"),
    Route("/staff/points/clubs/{club_id:int}/members/{member_id:int}/corrections", correction_propose,
          methods=["POST"], name="staff_points_correction_propose"),
    Route("/staff/points/activities/{activity_id:int}", staff_activity, methods=["GET"], name="staff_points_activity"),
    Route("/staff/points/activities/{activity_id:int}/sheet", activity_sheet, methods=["GET"], name="staff_points_sheet"),
    Route("/staff/points/activities/{activity_id:int}/signups", desk_signup, methods=["POST"],
          name="staff_points_desk_signup"),
    Route("/staff/points/activities/{activity_id:int}/attendance", attendance_record, methods=["POST"],
          name="staff_points_record"),
    Route("/staff/points/activities/{activity_id:int}/approve", attendance_approve, methods=["POST"],
          name="staff_points_approve"),
    Route("/staff/points/activities/{activity_id:int}/reject", attendance_reject, methods=["POST"],
          name="staff_points_reject"),
    Route("/staff/points/activities/{activity_id:int}/cancel", activity_cancel, methods=["POST"],
          name="staff_points_activity_cancel"),
    Route("/staff/points/days/{day_id:int}", staff_day, methods=["GET"], name="staff_points_day"),
    Route("/staff/points/days/{day_id:int}/orders", desk_order, methods=["POST"], name="staff_points_desk_order"),
    Route("/staff/points/days/{day_id:int}/orders/{order_id:int}/collect", order_collect, methods=["POST"],
          name="staff_points_collect"),
    Route("/staff/points/days/{day_id:int}/release", day_release, methods=["POST"], name="staff_points_release"),
]

#: every export also as an Excel workbook, at the same address ending in .xlsx
routes += [Route(r.path.removesuffix(".csv") + ".xlsx", r.endpoint, methods=["GET"],
                 name=r.name.removesuffix("_csv") + "_xlsx") for r in routes if r.path.endswith(".csv")]
