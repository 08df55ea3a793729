"""The notifications page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult import clock
from consult.notifications import services
from consult.web.auth import require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.responses import redirect_to
from consult.web.templating import render


async def notifications_page(request: Request):
    user = require_user(request)
    items = services.recent(get_db(request), user.id)
    return render(request, "notifications/list.html",
                  {"items": [(n, services.message(n)) for n in items]})


async def mark_read(request: Request):
    await read_form(request)
    user = require_user(request)
    services.mark_all_read(get_db(request), user.id, clock.utcnow())
    return redirect_to(request, "notifications")


routes = [
    Route("/notifications", notifications_page, methods=["GET"], name="notifications"),
    Route("/notifications/read", mark_read, methods=["POST"], name="notifications_read"),
]
