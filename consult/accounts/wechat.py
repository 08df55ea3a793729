"""Signing in with WeChat (issue 17 item 6), behind settings.

Web authorisation (网页授权) of an official account: the browser goes to WeChat's
``authorize`` page with our ``state`` (kept in the session, against forged callbacks) and
comes back with a ``code``, which the server exchanges at ``/sns/oauth2/access_token``
for the person's ``openid``. A mini-program sends its ``wx.login`` code to the JSON API,
exchanged at ``/sns/jscode2session``. An ``openid`` signs in only once the account holder
linked it, signed in as themselves and verified as a resident: WeChat alone never makes
or verifies an account. Without an app id and secret nothing here is offered.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.accounts.models import User, WeChatLink
from consult.audit import services as audit
from consult.errors import Conflict, Forbidden, Unavailable, UserError
from consult.i18n import N_
from consult.permissions import Actor

APPS = ("web", "mini")
SCOPES = ("snsapi_base", "snsapi_userinfo")

UNREACHED = N_("WeChat did not answer just now. Please try again later, or sign in with your mobile number.")
REFUSED = N_("WeChat did not accept this sign-in (it may have expired). Please try again, or sign in with your mobile number.")


def configured(settings, app: str = "web") -> bool:
    if app == "mini":
        return bool(settings.wechat_mini_app_id and settings.wechat_mini_app_secret)
    return bool(settings.wechat_app_id and settings.wechat_app_secret)


def authorize_url(settings, *, redirect_uri: str, state: str) -> str:
    scope = settings.wechat_scope if settings.wechat_scope in SCOPES else "snsapi_base"
    query = urllib.parse.urlencode({"appid": settings.wechat_app_id, "redirect_uri": redirect_uri,
                                    "response_type": "code", "scope": scope, "state": state})
    return f"{settings.wechat_authorize_url}?{query}#wechat_redirect"


def _get_json(settings, path: str, params: dict) -> dict:
    url = f"{settings.wechat_endpoint.rstrip('/')}{path}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(url, timeout=settings.wechat_timeout_seconds) as answer:  # noqa: S310 (our configured endpoint)
            data = json.loads(answer.read().decode("utf-8"))
    except (OSError, ValueError, urllib.error.URLError):
        raise Unavailable(UNREACHED) from None
    if not isinstance(data, dict):
        raise Unavailable(UNREACHED)
    return data


def _openid(data: dict) -> str:
    if data.get("errcode") not in (None, 0):
        code = data.get("errcode")
        if code == -1:  # WeChat's "system busy"
            raise Unavailable(UNREACHED)
        raise UserError(REFUSED, code="wechat_refused")
    openid = data.get("openid")
    if not isinstance(openid, str) or not openid or len(openid) > 64:
        raise Unavailable(UNREACHED)
    return openid


def web_openid(settings, code: str) -> str:
    """The openid of a web authorisation ``code`` (used once, valid 5 minutes at WeChat)."""
    return _openid(_get_json(settings, "/sns/oauth2/access_token", {
        "appid": settings.wechat_app_id, "secret": settings.wechat_app_secret,
        "code": code[:128], "grant_type": "authorization_code"}))


def mini_openid(settings, code: str) -> str:
    """The openid of a mini-program's ``wx.login`` code (``code2session``)."""
    return _openid(_get_json(settings, "/sns/jscode2session", {
        "appid": settings.wechat_mini_app_id, "secret": settings.wechat_mini_app_secret,
        "js_code": code[:128], "grant_type": "authorization_code"}))


def user_for(db: Session, app: str, openid: str) -> User | None:
    return db.exec(select(User).join(WeChatLink, WeChatLink.user_id == User.id)
                   .where(WeChatLink.app == app, WeChatLink.openid == openid)).first()


def linked_apps(db: Session, user_id: int) -> set[str]:
    return set(db.exec(select(WeChatLink.app).where(WeChatLink.user_id == user_id)).all())


def link(db: Session, actor: Actor, *, app: str, openid: str) -> WeChatLink:
    """The account holder, signed in as themselves and verified as a resident, links this
    WeChat identity; one per account and app, and never one already linked elsewhere."""
    from consult.communities.models import RoleAssignment

    if not permissions.allowed("use_own_credentials", actor):
        raise Forbidden(N_("Only the account holder, signed in as themselves, can link WeChat."))
    verified = db.exec(select(RoleAssignment.id).where(RoleAssignment.user_id == actor.user_id,
                                                       RoleAssignment.role == "resident")).first()
    if verified is None:
        raise Conflict(N_("WeChat can be linked once you are verified as a resident. Until then, sign in with your mobile number."))
    existing = db.exec(select(WeChatLink).where(WeChatLink.app == app, WeChatLink.openid == openid)).first()
    if existing is not None:
        if existing.user_id == actor.user_id:
            return existing
        raise Conflict(N_("This WeChat is already linked to another account."))
    if app in linked_apps(db, actor.user_id):
        raise Conflict(N_("Your account is already linked to another WeChat. Unlink it on your account page first."))
    row = WeChatLink(app=app, openid=openid, user_id=actor.user_id)
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:
        raise Conflict(N_("This WeChat is already linked to another account.")) from None
    audit.record(db, actor_id=actor.user_id, action="wechat_linked", target_type="user",
                 target_id=actor.user_id, app=app)
    return row


def unlink(db: Session, actor: Actor, *, app: str) -> bool:
    """The account holder removes their WeChat link (audited); False when there was none."""
    if not permissions.allowed("use_own_credentials", actor):
        raise Forbidden(N_("Only the account holder, signed in as themselves, can link WeChat."))
    row = db.exec(select(WeChatLink).where(WeChatLink.app == app,
                                           WeChatLink.user_id == actor.user_id)).first()
    if row is None:
        return False
    db.delete(row)
    audit.record(db, actor_id=actor.user_id, action="wechat_unlinked", target_type="user",
                 target_id=actor.user_id, app=app)
    db.flush()
    return True
