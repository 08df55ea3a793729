"""Account API: bearer tokens and the current person."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.accounts import services
from consult.communities import services as communities
from consult.web.api import BOOLEAN, INTEGER, STRING, api_route, json_body, obj, ok
from consult.web.auth import require_user
from consult.web.db import get_db, keep_writes
from consult.web.security import request_client

ME = obj({"id": INTEGER, "login": STRING, "display_name": STRING, "elder_mode": BOOLEAN,
          "roles": {"type": "array", "items": obj({"role": STRING, "place_id": INTEGER,
                                                   "place_name": STRING})}})


async def create_token(request: Request):
    data = await json_body(request)
    db = get_db(request)
    try:
        user = services.authenticate(
            db, request.app.state.settings, login=str(data.get("login", "")),
            password=str(data.get("password", "")), client=request_client(request),
            now=clock.utcnow(),
        )
    except Exception:
        keep_writes(request)
        raise
    return ok({"token": services.issue_token(db, user), "token_type": "bearer"}, status=201)


async def revoke_token(request: Request):
    require_user(request)
    token = request.headers["authorization"].partition(" ")[2].strip()
    services.revoke_token(get_db(request), token)
    return ok({"revoked": True})


async def me(request: Request):
    user = require_user(request)
    roles = communities.roles_of(get_db(request), user)
    return ok({
        "id": user.id, "login": user.login, "display_name": user.display_name,
        "elder_mode": user.elder_mode,
        "roles": [{"role": r.role, "place_id": p.id, "place_name": p.name} for r, p in roles],
    })


routes = [
    api_route("/auth/token", create_token, method="POST", name="api_token", tag="accounts",
              summary="Sign in: exchange login and password for a bearer token", auth=False,
              body=obj({"login": STRING, "password": STRING}, ["login", "password"]),
              response=obj({"token": STRING, "token_type": STRING}), status=201),
    api_route("/auth/logout", revoke_token, method="POST", name="api_logout", tag="accounts",
              summary="Revoke the bearer token used for this request",
              response=obj({"revoked": BOOLEAN})),
    api_route("/me", me, name="api_me", tag="accounts", summary="The signed-in person and their roles",
              response=ME),
]
