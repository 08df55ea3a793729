"""After the close: the published result and the recount command's files (the matter's
register and its counted ballots)."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.owners import services
from consult.owners.routes.common import _can, _csv, _names
from consult.web.auth import current_actor
from consult.web.db import get_db
from consult.web.downloads import qr_svg
from consult.web.templating import render


async def result_page(request: Request):
    db = get_db(request)
    matter, estate, outcome = services.result(db, request.path_params["matter_id"], clock.utcnow())
    url = str(request.url_for("owners_result", matter_id=matter.id))
    return render(request, "owners/result.html", {
        "matter": matter, "estate": estate, "outcome": outcome, "qr": qr_svg(url, 4), "page_url": url,
        "voided": services.voided_reasons(db, matter), "notice_ends": services.notice_ends(matter),
        "can": _can(request, estate), **_names()})


async def matter_register_export(request: Request):
    matter, text = services.matter_register_csv(get_db(request), current_actor(request),
                                                request.path_params["matter_id"])
    return _csv(text, f"homes-matter-{matter.id}.csv")


async def ballots_export(request: Request):
    matter, text = services.ballots_csv(get_db(request), current_actor(request),
                                        request.path_params["matter_id"], clock.utcnow())
    return _csv(text, f"ballots-matter-{matter.id}.csv")
