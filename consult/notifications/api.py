"""Notifications over the JSON API."""

from __future__ import annotations

from starlette.requests import Request

from consult.notifications import services
from consult.web.api import INTEGER, STRING, api_route, obj, ok
from consult.web.auth import require_user
from consult.web.db import get_db
from consult.web.templating import translator_for


async def list_notifications(request: Request):
    user = require_user(request)
    db = get_db(request)
    t = translator_for(request)
    return ok({
        "unread": services.unread_count(db, user.id),
        "notifications": [
            {"id": n.id, "kind": n.kind, "message": t(services.message(n)), "link": n.link,
             "created_at": n.created_at, "read": n.read_at is not None}
            for n in services.recent(db, user.id)
        ],
    })


routes = [
    api_route("/notifications", list_notifications, name="api_notifications", tag="accounts",
              summary="My notifications, newest first, with the unread count",
              response=obj({"unread": INTEGER, "notifications": {"type": "array", "items": obj(
                  {"id": INTEGER, "kind": STRING, "message": STRING})}})),
]
