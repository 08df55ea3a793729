"""The staff page of a photo contest: its entries (with their photos)."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.i18n import N_
from consult.ratings import services
from consult.ratings.routes.common import _again, _page
from consult.surveys import services as surveys
from consult.web.auth import current_actor, require
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import form_view
from consult.web.responses import redirect_to


def _staff_contest_context(request: Request, **extra) -> dict:
    db = get_db(request)
    contest, place = services.get_contest(db, request.path_params["contest_id"])
    require(request, "manage_campaign", place.ids_from_root)
    campaign = services.get_campaign(db, contest.campaign_id) if contest.campaign_id else None
    context = {
        "contest": contest, "place": place, "entries": services.entries(db, contest, None),
        "groups": surveys.paper_groups(db, place),
        "subjects": services.subjects_of(db, campaign) if campaign else [],
        "values": {}, "errors": {}, "error": None,
        "locked": services.entry_refusal(db, contest, clock.utcnow()),
    }
    context.update(extra)
    return context


async def staff_contest(request: Request):
    return _page(request, "ratings/staff_contest.html", _staff_contest_context(request))


async def entry_add(request: Request):
    data = await read_form(request, max_files=1)
    context = _staff_contest_context(request)
    values = {k: str(data.get(k, "")) for k in ("title", "text", "place_id", "subject_id")}
    upload = data.get("photo")
    photo = await upload.read() if hasattr(upload, "read") and getattr(upload, "filename", None) else None
    return form_view(
        request, lambda: services.add_entry(get_db(request), current_actor(request), context["contest"],
                                            **values, photo=photo or None,
                                            media_dir=request.app.state.settings.media_dir),
        again=_again("ratings/staff_contest.html",
                     lambda **kw: _staff_contest_context(request, values=values, **kw)),
        message=N_("The entry was added."),
        done=lambda _: redirect_to(request, "staff_contest", contest_id=context["contest"].id))
