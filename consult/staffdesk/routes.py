"""The staff desk page (工作台): what waits, then the staff tools."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult import clock
from consult.communities import services as communities
from consult.staffdesk import audit_log, services
from consult.web.auth import require
from consult.web.db import get_db
from consult.web.templating import render, translator_for


async def desk_page(request: Request):
    actor = require(request, "view_staff_area")
    return render(request, "staffdesk/desk.html",
                  {"tasks": services.tasks(get_db(request), actor, clock.utcnow())})


async def audit_page(request: Request):
    """The audit log of the places the person serves, as sentences with links."""
    actor = require(request, "view_staff_area")
    db = get_db(request)
    places = communities.staff_places(actor, db)
    return render(request, "audit/log.html",
                  {"lines": audit_log.log_lines(db, places, translator_for(request))})


routes = [
    Route("/staff", desk_page, methods=["GET"], name="staff_desk"),
    Route("/staff/audit", audit_page, methods=["GET"], name="audit_log"),
]
