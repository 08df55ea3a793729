"""The staff pages of a representatives' forum: its record, attendees and the grid of
ratings they gave."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.i18n import N_, Msg
from consult.parsing import local_input, parse_local_datetime
from consult.ratings import rules, services
from consult.ratings.routes.common import _again, _page
from consult.web.auth import current_actor, require
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import form_view
from consult.web.responses import redirect_to


def _forum_context(request: Request, **extra) -> dict:
    db = get_db(request)
    forum, campaign, subject = services.get_forum(db, request.path_params["forum_id"])
    place = services.forum_place(db, campaign, subject)
    require(request, "enter_forum_ratings", place.ids_from_root)
    chosen = services.attendees(db, forum)
    context = {
        "forum": forum, "campaign": campaign, "subject": subject, "place": place,
        "representatives": services.representatives(db, place),
        "chosen": {u.id for u in chosen}, "attendees": chosen,
        "criteria": services.forum_criteria(db, campaign),
        "ratings": {rules.cell_name(u, c): str(v) for (u, c), v in services.forum_ratings(db, forum).items()},
        "values": {"held_at": local_input(forum.held_at), "location": forum.location,
                   "agenda": forum.agenda, "minutes": forum.minutes},
        "errors": {}, "error": None, "cell": rules.cell_name,
        # the forum and its ratings are the same action's inputs: one state decides both
        "locked": services.campaign_refusal(campaign, "manage_forum", clock.utcnow()),
    }
    context.update(extra)
    return context


async def staff_forum(request: Request):
    return _page(request, "ratings/staff_forum.html", _forum_context(request))


async def forum_update(request: Request):
    data = await read_form(request)
    context = _forum_context(request)
    values = {k: str(data.get(k, "")) for k in ("held_at", "location", "agenda", "minutes")}
    chosen = [str(v) for v in data.getlist("attendees")]
    return form_view(
        request, lambda: services.update_forum(
            get_db(request), current_actor(request), context["forum"],
            held_at=parse_local_datetime(values["held_at"]), location=values["location"],
            agenda=values["agenda"], minutes=values["minutes"], attendee_ids=chosen),
        again=_again("ratings/staff_forum.html",
                     lambda **kw: _forum_context(request, values=values, **kw)),
        message=N_("Saved."),
        done=lambda _: redirect_to(request, "staff_forum", forum_id=context["forum"].id))


async def grid_page(request: Request):
    return _page(request, "ratings/staff_grid.html", _forum_context(request))


async def grid_save(request: Request):
    data = await read_form(request)
    context = _forum_context(request)
    raw = {key: str(data.get(key, "")) for key in data.keys() if key.startswith("r")}
    return form_view(
        request, lambda: services.save_grid(get_db(request), current_actor(request),
                                            context["forum"], raw),
        again=_again("ratings/staff_grid.html", lambda **kw: _forum_context(request, ratings=raw, **kw)),
        message=lambda count: Msg(N_("%(count)s ratings were saved."), {"count": count}),
        done=lambda _: redirect_to(request, "staff_forum_grid", forum_id=context["forum"].id))
