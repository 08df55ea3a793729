"""Linking owners of record to accounts: staff ask, and the account holder, the code
they are shown or a second staff member confirms; staff may also withdraw or undo a link."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.communities.models import HomeOwner
from consult.errors import NotFound, UserError
from consult.i18n import N_, Msg
from consult.owners import rules, services
from consult.owners.routes.common import _shown_at
from consult.owners.routes.homes import _home_context
from consult.web.auth import current_actor, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import FormPage, form_view
from consult.web.responses import flash, redirect_to
from consult.web.templating import render


async def owner_link(request: Request):
    """Staff ask for a link; the owner (or a second staff member) confirms it."""
    form = await read_form(request)
    owner_id = request.path_params["owner_id"]
    db = get_db(request)
    owner = db.get(HomeOwner, owner_id)
    return form_view(
        request, lambda: services.request_link(db, current_actor(request), owner_id,
                                               phone=str(form.get("phone", "")), now=clock.utcnow()),
        again=FormPage("owners/home.html", lambda **problem: _home_context(request, owner.home_id, **problem),
                       problem=_shown_at("link_errors", "phone", owner_id)),
        message=lambda link: Msg(N_("The link of %(name)s waits for confirmation: the owner confirms it on their owners' page or reads you the code shown there; otherwise a second staff member approves it."),
                                 {"name": link.name}),
        done=lambda _: redirect_to(request, "owners_home", home_id=owner.home_id))


LINK_DONE = N_("%(name)s is now linked to their account and can vote online.")


async def link_decide(request: Request):
    """Staff confirm a requested link with the owner's code, approve it as a second
    staff member, or withdraw it."""
    form = await read_form(request)
    db = get_db(request)
    link_id = request.path_params["link_id"]
    action = request.path_params["action"]
    if action not in ("code", "approve", "cancel"):
        raise NotFound()
    link, _ = services.get_link(db, link_id)
    home = services.link_home(db, link)
    actor, now = current_actor(request), clock.utcnow()

    def act() -> None:
        if action == "cancel":
            services.refuse_link(db, actor, link_id, now=now)
        else:
            method = rules.LinkMethod.CODE if action == "code" else rules.LinkMethod.SECOND_STAFF
            services.confirm_link(db, actor, link_id, method=method, code=str(form.get("code", "")),
                                  now=now)

    return form_view(
        request, act,
        # a link whose home is gone has no page to show its problem on: the error page says it
        again=FormPage("owners/home.html", lambda **problem: _home_context(request, home.id, **problem),
                       shows=() if home is None else (UserError,),
                       problem=_shown_at("code_errors", "code", link_id)),
        message=Msg(N_("The link request was withdrawn.") if action == "cancel" else LINK_DONE,
                    {"name": link.name}),
        done=lambda _: redirect_to(request, "owners_index") if home is None
        else redirect_to(request, "owners_home", home_id=home.id))


def _links_context(request: Request, **extra) -> dict:
    user = require_user(request)
    return {"requests": services.my_link_requests(get_db(request), user), "me": user.id,
            "error": None, **extra}


async def links_page(request: Request):
    return render(request, "owners/links.html", _links_context(request))


async def link_answer(request: Request):
    """The account holder confirms or refuses a link to their account."""
    await read_form(request)
    require_user(request)
    db = get_db(request)
    link_id, action = request.path_params["link_id"], request.path_params["action"]
    if action not in ("confirm", "refuse"):
        raise NotFound()
    actor, now = current_actor(request), clock.utcnow()

    def act():
        if action == "confirm":
            return services.confirm_link(db, actor, link_id, method=rules.LinkMethod.OWNER, now=now)
        return services.refuse_link(db, actor, link_id, now=now)

    return form_view(
        request, act,
        again=FormPage("owners/links.html", lambda **problem: _links_context(request, **problem),
                       problem=lambda exc: {"error": exc.msg}),
        message=lambda link: Msg(LINK_DONE if action == "confirm" else N_("You refused the link to %(name)s."),
                                 {"name": link.name}),
        done=lambda _: redirect_to(request, "owners_links"))


async def owner_unlink(request: Request):
    await read_form(request)
    db = get_db(request)
    owner_id = request.path_params["owner_id"]
    services.unlink_owner(db, current_actor(request), owner_id, now=clock.utcnow())
    owner = db.get(HomeOwner, owner_id)
    flash(request, Msg(N_("The account link of %(name)s was removed."), {"name": owner.name}))
    return redirect_to(request, "owners_home", home_id=owner.home_id)
