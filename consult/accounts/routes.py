"""Account pages: register, sign in and out, password, preferences. Thin: parse → service → respond."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from consult import clock, messaging, permissions
from consult.accounts import (
    desk_routes,
    family_routes,
    message_routes,
    reset_routes,
    services,
    wechat,
    wechat_routes,
)
from consult.accounts.sessions import known_device, remember_device, sign_in, sign_out
from consult.communities import services as communities
from consult.errors import FieldErrors, Forbidden, TooManyRequests, Unavailable
from consult.i18n import LOCALES, N_, Msg
from consult.web.auth import current_actor, current_user, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db, keep_writes
from consult.web.forms import FormPage, form_view
from consult.web.responses import flash, redirect_to, safe_next
from consult.web.security import request_client
from consult.web.templating import render

YEAR = 365 * 24 * 3600
LOCK_NAMES = {
    "pair": N_("this account from one address"),
    "device": N_("this account on one device"),
    "account": N_("this account from everywhere"),
    "address": N_("every account from this address"),
}


def _register_context(**extra) -> dict:
    """The form, and whether the number is proved by a code first (SMS reaches phones)."""
    return {"form": {}, "errors": {}, "error": None, "needs_code": messaging.reaches_phones(),
            "code_sent": False, "masked": None, **extra}


async def register_page(request: Request):
    return render(request, "accounts/register.html",
                  _register_context(form={"next": safe_next(request.query_params.get("next"), "")}))


async def register_code(request: Request):
    """Step one with SMS: send a code to the number, then show the rest of the form."""
    form = await read_form(request)
    values = {"phone": str(form.get("phone", ""))[:40], "display_name": "",
              "next": safe_next(str(form.get("next", "")), "")}
    db = get_db(request)
    try:
        message = services.send_register_code(db, request.app.state.settings, phone=values["phone"],
                                              now=clock.utcnow(), address=request_client(request))
    except (TooManyRequests, Unavailable) as exc:
        keep_writes(request)  # no code went; the attempt stays in the message log
        return FormPage("accounts/register.html", lambda **problem: _register_context(
            form=values, **problem)).show(request, exc)
    except FieldErrors as exc:
        return FormPage("accounts/register.html", lambda **problem: _register_context(
            form=values, **problem)).show(request, exc)
    values["phone"] = message.phone
    return render(request, "accounts/register.html",
                  _register_context(form=values, code_sent=True, masked=messaging.mask(message.phone)))


async def register_submit(request: Request):
    form = await read_form(request)
    values = {k: str(form.get(k, "")) for k in ("phone", "display_name")}
    nxt = values["next"] = safe_next(str(form.get("next", "")), "")

    def signed_in(user):
        if request.cookies.get("elder") == "1":  # chosen before registering: keep it
            services.set_elder_mode(get_db(request), user, True)
        sign_in(request, user)
        # on to the verification request, keeping the page the person came from
        response = redirect_to(request, "verify")
        if nxt:
            response.headers["location"] += "?" + urlencode({"next": nxt})
        remember_device(request, response, user)
        return response

    def act():
        return reset_routes.counting_wrong_codes(request, lambda: services.register(
            get_db(request), request.app.state.settings,
            phone=values["phone"], display_name=values["display_name"],
            password=str(form.get("password", "")),
            password_confirm=str(form.get("password_confirm", "")),
            code=str(form.get("code", ""))[:20], now=clock.utcnow()))

    # with SMS, stay on the second step unless the number itself is the problem
    return form_view(
        request, act,
        again=FormPage("accounts/register.html", lambda errors: _register_context(
            form=values, errors=errors, code_sent="phone" not in errors), shows=(FieldErrors,)),
        message=N_("Welcome! Ask to be verified as a resident so you can take part."),
        done=signed_in)


def _wechat(request: Request) -> bool:
    return wechat.configured(request.app.state.settings)


async def login_page(request: Request):
    return render(request, "accounts/login.html",
                  {"form": {}, "error": None, "next": safe_next(request.query_params.get("next")),
                   "wechat": _wechat(request)})


async def login_submit(request: Request):
    form = await read_form(request)
    login = str(form.get("login", ""))
    nxt = safe_next(str(form.get("next", "")))
    keep_writes(request)  # the attempt is counted even when it is refused

    def signed_in(user):
        sign_in(request, user)
        response = RedirectResponse(nxt, status_code=303)
        remember_device(request, response, user)
        return response

    return form_view(
        request, lambda: services.authenticate(
            get_db(request), request.app.state.settings, login=login,
            password=str(form.get("password", "")), client=request_client(request),
            now=clock.utcnow(), device=known_device(request)),
        again=FormPage("accounts/login.html",
                       lambda **problem: {"form": {"login": login}, "error": problem.get("error"),
                                          "next": nxt, "wechat": _wechat(request)}),
        done=signed_in)


async def logout(request: Request):
    await read_form(request)
    sign_out(request)
    return redirect_to(request, "home")


async def logout_everywhere(request: Request):
    await read_form(request)
    user = _themselves(request)
    services.logout_everywhere(get_db(request), user)
    sign_out(request)
    return redirect_to(request, "home")


async def account_page(request: Request):
    user = require_user(request)
    db = get_db(request)
    return render(request, "accounts/account.html", {
        "roles": communities.roles_of(db, user),
        "requests": communities.my_requests(db, user),
        "wechat": _wechat(request),
        "wechat_linked": _wechat(request) and "web" in wechat.linked_apps(db, user.id),
    })


def _themselves(request: Request):
    """The signed-in person acting as themselves: nobody helping them (代办) changes their
    password, tokens or sessions."""
    require(request, "use_own_credentials")
    return require_user(request)


async def password_page(request: Request):
    _themselves(request)
    return render(request, "accounts/password.html", {"errors": {}})


async def password_submit(request: Request):
    form = await read_form(request)
    user = _themselves(request)

    def changed(_):
        sign_in(request, user)  # this device stays signed in; every other session is revoked
        return redirect_to(request, "account")

    return form_view(
        request, lambda: services.change_password(
            get_db(request), request.app.state.settings, user,
            current=str(form.get("current", "")), new=str(form.get("new", "")),
            confirm=str(form.get("confirm", ""))),
        again=FormPage("accounts/password.html", lambda errors: {"errors": errors},
                       shows=(FieldErrors,)),
        message=N_("Your password was changed. Other devices have been signed out."),
        done=changed)


async def tokens_page(request: Request):
    user = _themselves(request)
    return render(request, "accounts/tokens.html",
                  {"tokens": services.tokens_of(get_db(request), user, clock.utcnow())})


async def token_revoke(request: Request):
    await read_form(request)
    user = _themselves(request)
    services.revoke_token_of(get_db(request), user, request.path_params["tid"])
    flash(request, Msg(N_("The token was revoked: programs using it are signed out.")))
    return redirect_to(request, "tokens")


async def lockouts_page(request: Request):
    require_user(request)
    db = get_db(request)
    actor = current_actor(request)
    if not permissions.allowed("lift_login_lockout", actor, communities.root_path(db)):
        raise Forbidden()
    return render(request, "accounts/lockouts.html",
                  {"lockouts": services.lockouts(db, clock.utcnow()), "errors": {},
                   "lock_names": LOCK_NAMES})


async def lockout_lift(request: Request):
    form = await read_form(request)
    require_user(request)
    db = get_db(request)
    return form_view(
        request, lambda: services.lift_lockout(db, current_actor(request),
                                               root=communities.root_path(db),
                                               login=str(form.get("login", "")),
                                               address=str(form.get("address", ""))),
        again=FormPage("accounts/lockouts.html", lambda errors: {
            "lockouts": services.lockouts(db, clock.utcnow()), "errors": errors,
            "lock_names": LOCK_NAMES}, shows=(FieldErrors,)),
        message=lambda cleared: Msg(N_("Sign-in is open again (%(n)s counters cleared)."),
                                    {"n": cleared}),
        done=lambda _: redirect_to(request, "lockouts"))


async def set_language(request: Request):
    form = await read_form(request)
    lang = str(form.get("lang", ""))
    response = RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)
    if lang in LOCALES:
        response.set_cookie("lang", lang, max_age=YEAR, samesite="lax",
                            secure=request.app.state.settings.https, httponly=True)
        user = current_user(request)
        if user:
            user.locale = lang
            get_db(request).add(user)
    return response


async def set_elder_mode(request: Request):
    form = await read_form(request)
    on = form.get("elder") == "1"
    response = RedirectResponse(safe_next(str(form.get("next", ""))), status_code=303)
    response.set_cookie("elder", "1" if on else "0", max_age=YEAR, samesite="lax",
                        secure=request.app.state.settings.https, httponly=True)
    user = current_user(request)
    if user:
        services.set_elder_mode(get_db(request), user, on)
    return response


routes = [
    Route("/register", register_page, methods=["GET"], name="register"),
    Route("/register", register_submit, methods=["POST"], name="register_submit"),
    Route("/register/code", register_code, methods=["POST"], name="register_code"),
    Route("/login", login_page, methods=["GET"], name="login"),
    Route("/login", login_submit, methods=["POST"], name="login_submit"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/logout/everywhere", logout_everywhere, methods=["POST"], name="logout_everywhere"),
    Route("/account", account_page, methods=["GET"], name="account"),
    Route("/account/password", password_page, methods=["GET"], name="password"),
    Route("/account/password", password_submit, methods=["POST"], name="password_submit"),
    Route("/account/tokens", tokens_page, methods=["GET"], name="tokens"),
    Route("/account/tokens/{tid:int}/revoke", token_revoke, methods=["POST"], name="token_revoke"),
    Route("/staff/lockouts", lockouts_page, methods=["GET"], name="lockouts"),
    Route("/staff/lockouts/lift", lockout_lift, methods=["POST"], name="lockout_lift"),
    Route("/prefs/language", set_language, methods=["POST"], name="set_language"),
    Route("/prefs/elder", set_elder_mode, methods=["POST"], name="set_elder_mode"),
    *reset_routes.routes,
    *desk_routes.routes,
    *family_routes.routes,
    *message_routes.routes,
    *wechat_routes.routes,
]
