"""Account API: bearer tokens and the current person."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.accounts import resets, rules, services, wechat
from consult.accounts.reset_routes import counting_wrong_codes
from consult.communities import services as communities
from consult.errors import Conflict, FieldErrors, NotFound, TooManyRequests, Unavailable
from consult.i18n import N_, Msg
from consult.web.api import BOOLEAN, INTEGER, STRING, api_route, json_body, obj, ok
from consult.web.auth import current_actor, require_user
from consult.web.db import get_db, keep_writes
from consult.web.security import request_client

TOKEN = obj({"id": INTEGER, "label": STRING, "created_at": STRING, "expires_at": STRING,
             "last_used_at": {"type": ["string", "null"]}})
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
    token = services.issue_token(db, user, now=clock.utcnow(), label=str(data.get("label") or ""))
    return ok({"token": token, "token_type": "bearer", "expires_in_days": rules.TOKEN_DAYS},
              status=201)


async def revoke_token(request: Request):
    require_user(request)
    token = request.headers["authorization"].partition(" ")[2].strip()
    services.revoke_token(get_db(request), token)
    return ok({"revoked": True})


def token_json(token) -> dict:
    return {"id": token.id, "label": token.label, "created_at": token.created_at,
            "expires_at": token.expires_at, "last_used_at": token.last_used_at}


async def list_tokens(request: Request):
    user = require_user(request)
    return ok({"tokens": [token_json(t) for t in services.tokens_of(get_db(request), user,
                                                                    clock.utcnow())]})


async def revoke_one_token(request: Request):
    user = require_user(request)
    services.revoke_token_of(get_db(request), user, request.path_params["tid"])
    return ok({"revoked": True})


async def me(request: Request):
    user = require_user(request)
    roles = communities.roles_of(get_db(request), user)
    return ok({
        "id": user.id, "login": user.login, "display_name": user.display_name,
        "elder_mode": user.elder_mode,
        "roles": [{"role": r.role, "place_id": p.id, "place_name": p.name} for r, p in roles],
    })


async def reset_code(request: Request):
    """Forgot password, step one by SMS: the same answer whether or not the number is an
    account's; a code that could not go says so (429, 503) and the try is kept."""
    data = await json_body(request)
    try:
        resets.send_sms_code(get_db(request), request.app.state.settings,
                             login=str(data.get("login", ""))[:40], now=clock.utcnow(),
                             address=request_client(request))
    except (TooManyRequests, Unavailable):
        keep_writes(request)
        raise
    return ok({"sent": True, "minutes": 10}, status=202)


async def reset_password(request: Request):
    """Forgot password, step two: the code by SMS (``method: sms``) or a slip from the desk
    (``method: slip``) and the new password; every session and token of the account ends."""
    data = await json_body(request)
    method = str(data.get("method", "sms"))
    values = {"login": str(data.get("login", ""))[:40], "code": str(data.get("code", ""))[:40],
              "new": str(data.get("new_password", "")), "confirm": str(data.get("new_password", ""))}
    db, settings, now = get_db(request), request.app.state.settings, clock.utcnow()
    if method == "slip":
        keep_writes(request)  # a wrong code counts against the slip and the address
        resets.reset_with_slip(db, settings, now=now, client=request_client(request), **values)
    elif method == "sms":
        counting_wrong_codes(request, lambda: resets.reset_with_sms_code(db, settings, now=now, **values))
    else:
        raise FieldErrors({"method": Msg(N_("Choose sms or slip."))})
    return ok({"reset": True})


def _mini_openid(request: Request, data: dict) -> str:
    settings = request.app.state.settings
    if not wechat.configured(settings, "mini"):
        raise NotFound()
    return wechat.mini_openid(settings, str(data.get("code", ""))[:128])


async def wechat_mini_token(request: Request):
    """A mini-program's ``wx.login`` code for a bearer token, once that WeChat is linked."""
    data = await json_body(request)
    db = get_db(request)
    user = wechat.user_for(db, "mini", _mini_openid(request, data))
    if user is None:
        raise Conflict(N_("This WeChat is not linked to an account yet. Sign in with your mobile number and link it (verified residents only)."), code="wechat_not_linked")
    token = services.issue_token(db, user, now=clock.utcnow(), label="微信小程序")
    return ok({"token": token, "token_type": "bearer", "expires_in_days": rules.TOKEN_DAYS},
              status=201)


async def wechat_mini_link(request: Request):
    """The signed-in, verified account holder links the mini-program's WeChat."""
    require_user(request)
    data = await json_body(request)
    wechat.link(get_db(request), current_actor(request), app="mini",
                openid=_mini_openid(request, data))
    return ok({"linked": True})


routes = [
    api_route("/auth/token", create_token, method="POST", name="api_token", tag="accounts",
              summary="Sign in: exchange login and password for a bearer token", auth=False,
              body=obj({"login": STRING, "password": STRING, "label": STRING}, ["login", "password"]),
              response=obj({"token": STRING, "token_type": STRING, "expires_in_days": INTEGER}),
              status=201),
    api_route("/auth/logout", revoke_token, method="POST", name="api_logout", tag="accounts",
              summary="Revoke the bearer token used for this request",
              response=obj({"revoked": BOOLEAN})),
    api_route("/auth/tokens", list_tokens, name="api_tokens", tag="accounts",
              summary="The signed-in person's API tokens in force (never the tokens themselves)",
              response=obj({"tokens": {"type": "array", "items": TOKEN}})),
    api_route("/auth/tokens/{tid:int}/revoke", revoke_one_token, method="POST",
              name="api_token_revoke", tag="accounts", summary="Revoke one of one's own API tokens",
              response=obj({"revoked": BOOLEAN})),
    api_route("/auth/reset/code", reset_code, method="POST", name="api_reset_code", tag="accounts",
              summary="Forgot password: send a reset code by text message (same answer for any number)",
              auth=False, body=obj({"login": STRING}, ["login"]),
              response=obj({"sent": BOOLEAN, "minutes": INTEGER}), status=202),
    api_route("/auth/reset", reset_password, method="POST", name="api_reset", tag="accounts",
              summary="Forgot password: set a new password with the SMS code or a desk slip's code",
              auth=False, body=obj({"login": STRING, "code": STRING, "new_password": STRING,
                                    "method": STRING}, ["login", "code", "new_password"]),
              response=obj({"reset": BOOLEAN})),
    api_route("/auth/wechat/mini", wechat_mini_token, method="POST", name="api_wechat_mini",
              tag="accounts", auth=False, status=201,
              summary="Mini-program sign-in: a wx.login code (code2session) for a bearer token, once linked",
              body=obj({"code": STRING}, ["code"]),
              response=obj({"token": STRING, "token_type": STRING, "expires_in_days": INTEGER})),
    api_route("/auth/wechat/mini/link", wechat_mini_link, method="POST", name="api_wechat_mini_link",
              tag="accounts", summary="Link the mini-program's WeChat to this verified account",
              body=obj({"code": STRING}, ["code"]), response=obj({"linked": BOOLEAN})),
    api_route("/me", me, name="api_me", tag="accounts", summary="The signed-in person and their roles",
              response=ME),
]
