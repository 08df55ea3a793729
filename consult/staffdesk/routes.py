"""The staff desk page (工作台): what waits, then the staff tools."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult import clock
from consult.staffdesk import services
from consult.web.auth import require
from consult.web.db import get_db
from consult.web.templating import render


async def desk_page(request: Request):
    actor = require(request, "view_staff_area")
    return render(request, "staffdesk/desk.html",
                  {"tasks": services.tasks(get_db(request), actor, clock.utcnow())})


routes = [
    Route("/staff", desk_page, methods=["GET"], name="staff_desk"),
]
