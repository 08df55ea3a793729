"""WeChat sign-in pages (网页授权): to WeChat and back. 404 unless configured.

Context of accounts/wechat.html: ``problem`` (a message or None), ``linked`` (bool).
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from consult.accounts import wechat
from consult.accounts.sessions import remember_device, sign_in
from consult.errors import NotFound, UserError
from consult.i18n import N_, Msg
from consult.web.auth import current_actor, current_user, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.responses import flash, redirect_to
from consult.web.templating import render

STATE_KEY = "wechat_state"


def _settings(request: Request):
    settings = request.app.state.settings
    if not wechat.configured(settings):
        raise NotFound()
    return settings


async def wechat_start(request: Request):
    """To WeChat's authorisation page, with a fresh ``state`` kept in this session."""
    settings = _settings(request)
    state = secrets.token_urlsafe(16)
    request.session[STATE_KEY] = state
    back = settings.base_url.rstrip("/") + str(request.app.url_path_for("wechat_callback"))
    return RedirectResponse(wechat.authorize_url(settings, redirect_uri=back, state=state),
                            status_code=303)


async def wechat_callback(request: Request):
    """Back from WeChat: sign in with a linked WeChat, or link it to the signed-in account."""
    settings = _settings(request)
    expected = request.session.pop(STATE_KEY, None)
    state, code = request.query_params.get("state", ""), request.query_params.get("code", "")
    if not isinstance(expected, str) or not secrets.compare_digest(expected, state) or not code:
        return render(request, "accounts/wechat.html", {"problem": Msg(N_(
            "This WeChat sign-in did not start here or has expired. Please start again.")),
            "linked": False}, status=400)
    db = get_db(request)
    try:
        openid = wechat.web_openid(settings, code)
        user = wechat.user_for(db, "web", openid)
        if user is None and current_user(request) is not None:
            wechat.link(db, current_actor(request), app="web", openid=openid)
            flash(request, Msg(N_("WeChat is linked: next time you can sign in with it.")))
            return redirect_to(request, "account")
    except UserError as exc:
        return render(request, "accounts/wechat.html", {"problem": exc.msg, "linked": False},
                      status=exc.status)
    if user is None:
        return render(request, "accounts/wechat.html", {"problem": None, "linked": False})
    sign_in(request, user)
    response = redirect_to(request, "account")
    remember_device(request, response, user)
    return response


async def wechat_unlink(request: Request):
    await read_form(request)
    require_user(request)
    wechat.unlink(get_db(request), current_actor(request), app="web")
    flash(request, Msg(N_("WeChat is no longer linked to your account.")))
    return redirect_to(request, "account")


routes = [
    Route("/auth/wechat", wechat_start, methods=["GET"], name="wechat_start"),
    Route("/auth/wechat/callback", wechat_callback, methods=["GET"], name="wechat_callback"),
    Route("/account/wechat/unlink", wechat_unlink, methods=["POST"], name="wechat_unlink"),
]
