"""Family pages (亲情账号): the links, acting for a family member, approving a reset, the
desk's confirmation in person, and the family way back in. Thin: parse →
``consult.accounts.family``.

Contexts: family: ``helpers`` (my family members), ``helping`` (people I help),
``resets`` (requests waiting for me), ``is_resident``, ``form``, ``errors``, ``error``;
forgot_family: ``state`` (ask, waiting, approved, refused, gone), ``form``, ``errors``,
``error``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult import clock
from consult.accounts import family
from consult.accounts.sessions import start_acting
from consult.errors import Conflict, FieldErrors
from consult.i18n import N_
from consult.web.auth import current_actor, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import FormPage, form_view
from consult.web.responses import redirect_to
from consult.web.templating import render

RESET_KEY = "family_reset"


def _family(request: Request, **extra) -> dict:
    user = require_user(request)
    db = get_db(request)
    helpers, helping = family.links_of(db, user.id)
    return {"helpers": helpers, "helping": helping,
            "resets": family.reset_requests_for(db, user.id, clock.utcnow()),
            "is_resident": family._is_resident(db, user), "max_proxies": family.MAX_PROXIES,
            "form": {}, "errors": {}, "error": None, **extra}


async def family_page(request: Request):
    require(request, "manage_family_links")
    return render(request, "accounts/family.html", _family(request))


def _post(request: Request, act, message, values=None):
    return form_view(
        request, act,
        again=FormPage("accounts/family.html", lambda **problem: _family(request, form=values or {}, **problem)),
        message=message, done=lambda _: redirect_to(request, "family"))


async def family_ask(request: Request):
    """A family member asks to help a resident (``phone``)."""
    return await _asking(request, "phone", family.ask_to_help, N_(
        "Your request was sent. It takes effect when the person confirms it, signed in or at their residents' committee."))


async def family_name(request: Request):
    """The resident names a family member (``proxy_phone``)."""
    return await _asking(request, "proxy_phone", family.name_family_member, N_(
        "Your family member was asked. The link takes effect when they accept it."))


async def _asking(request: Request, field: str, service, message):
    form = await read_form(request)
    actor = require(request, "manage_family_links")
    phone = str(form.get(field, ""))[:40]
    return _post(request, lambda: service(get_db(request), actor, phone=phone, now=clock.utcnow()),
                 message, {field: phone})


async def family_confirm(request: Request):
    await read_form(request)
    actor = require(request, "manage_family_links")
    return _post(request, lambda: family.confirm(get_db(request), actor, request.path_params["link_id"], clock.utcnow()),
                 N_("The link is in force."))


async def family_end(request: Request):
    await read_form(request)
    actor = require(request, "manage_family_links")
    return _post(request, lambda: family.end(get_db(request), actor, request.path_params["link_id"], clock.utcnow()),
                 N_("The link has ended. Both of you were told."))


async def family_act(request: Request):
    await read_form(request)
    actor = require(request, "act_for_family")

    def started(raw):
        start_acting(request, raw)
        return redirect_to(request, "home")

    return form_view(
        request, lambda: family.start_acting(get_db(request), actor, request.path_params["link_id"], clock.utcnow()),
        again=FormPage("accounts/family.html", lambda **problem: _family(request, **problem)),
        message=N_("You are acting for your family member for at most 30 minutes. Everything you send is marked 由家属代办 on their page. You cannot vote for them."),
        done=started)


async def family_reset_decide(request: Request):
    form = await read_form(request)
    actor = require(request, "approve_family_reset")
    approve = form.get("approve") == "1"
    return _post(request, lambda: family.decide_reset(get_db(request), actor, request.path_params["reset_id"],
                                                      approve=approve, now=clock.utcnow()),
                 N_("Approved. Your family member can now set a new password on the device they asked from.")
                 if approve else N_("Refused. Your family member was not let in."))


async def family_confirm_desk(request: Request):
    await read_form(request)
    require(request, "view_staff_area")
    uid = request.path_params["user_id"]
    return form_view(
        request, lambda: family.confirm_at_desk(get_db(request), current_actor(request),
                                                request.path_params["link_id"], clock.utcnow()),
        again=FormPage("accounts/person.html", dict, shows=()),  # refusals: the error page
        message=N_("The person confirmed the family link in person. It is in force."),
        done=lambda _: redirect_to(request, "person_record", user_id=uid))


# -- the family way back in ------------------------------------------------------------------


def _forgot(request: Request, **extra) -> dict:
    raw = request.session.get(RESET_KEY)
    state = family.reset_state(get_db(request), raw if isinstance(raw, str) else None, clock.utcnow())
    return {"state": "ask" if state == "gone" and not raw else state, "form": {}, "errors": {},
            "error": None, **extra}


async def forgot_family_page(request: Request):
    return render(request, "accounts/forgot_family.html", _forgot(request))


async def forgot_family_ask(request: Request):
    form = await read_form(request)
    login = str(form.get("login", ""))[:40]

    def asked(raw):
        request.session[RESET_KEY] = raw
        return redirect_to(request, "forgot_family")

    return form_view(
        request, lambda: family.ask_reset(get_db(request), login=login, now=clock.utcnow()),
        again=FormPage("accounts/forgot_family.html", lambda **problem: {
            **_forgot(request), "state": "ask", "form": {"login": login}, **problem}),
        message=N_("If this number has a linked family member, they were asked. Ask them to open 我的 › 亲情账号 and approve; then come back to this page on this device."),
        done=asked)


async def forgot_family_again(request: Request):
    await read_form(request)
    request.session.pop(RESET_KEY, None)
    return redirect_to(request, "forgot_family")


async def forgot_family_set(request: Request):
    form = await read_form(request)
    raw = request.session.get(RESET_KEY)

    def done(_):
        request.session.pop(RESET_KEY, None)
        return redirect_to(request, "login")

    return form_view(
        request, lambda: family.reset_with_approval(
            get_db(request), request.app.state.settings, raw=raw if isinstance(raw, str) else None,
            new=str(form.get("new", "")), confirm=str(form.get("confirm", "")), now=clock.utcnow()),
        again=FormPage("accounts/forgot_family.html", lambda **problem: {**_forgot(request), **problem},
                       shows=(FieldErrors, Conflict)),
        message=N_("Your password was reset and every device was signed out. Please sign in with the new password."),
        done=done)


routes = [
    Route("/account/family", family_page, methods=["GET"], name="family"),
    Route("/account/family/ask", family_ask, methods=["POST"], name="family_ask"),
    Route("/account/family/name", family_name, methods=["POST"], name="family_name"),
    Route("/account/family/{link_id:int}/confirm", family_confirm, methods=["POST"], name="family_confirm"),
    Route("/account/family/{link_id:int}/end", family_end, methods=["POST"], name="family_end"),
    Route("/account/family/{link_id:int}/act", family_act, methods=["POST"], name="family_act"),
    Route("/account/family/resets/{reset_id:int}", family_reset_decide, methods=["POST"],
          name="family_reset_decide"),
    Route("/staff/people/{user_id:int}/family/{link_id:int}/confirm", family_confirm_desk,
          methods=["POST"], name="family_confirm_desk"),
    Route("/password/forgot/family", forgot_family_page, methods=["GET"], name="forgot_family"),
    Route("/password/forgot/family", forgot_family_ask, methods=["POST"], name="forgot_family_ask"),
    Route("/password/forgot/family/again", forgot_family_again, methods=["POST"], name="forgot_family_again"),
    Route("/password/forgot/family/set", forgot_family_set, methods=["POST"], name="forgot_family_set"),
]
