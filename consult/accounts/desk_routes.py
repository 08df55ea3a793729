"""The desk (窗口): finding a person, managed residents, acting for someone (代办), and a
person's own record of who acted for them. Thin: parse → ``consult.accounts.acting``.

Contexts: desk: ``query``, ``people``, ``areas``, ``form``, ``errors``, ``error``;
person: ``person``, ``roles``, ``sessions``, ``log``, ``can_assist``, ``can_reset``,
``needs_login``, ``form``, ``errors``, ``error``; helped: ``sessions``, ``log``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult import clock, permissions
from consult.accounts import acting, family
from consult.accounts.reset_routes import show_slip
from consult.accounts.resets import may_act_for
from consult.accounts.sessions import start_acting, stop_acting
from consult.communities import services as communities
from consult.errors import FieldErrors
from consult.i18n import N_, Msg
from consult.web.auth import helping, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import FormPage, form_view
from consult.web.responses import flash, redirect_to
from consult.web.templating import render

HELP_KINDS = {"desk": N_("by staff at the desk"), "family": N_("by a family member")}

#: what a form sent for the person did, by the page's handler (``ActingLog.action``), in
#: words the person reads on their own record; never what was chosen or answered
HELP_ACTIONS = {
    "idea_create": N_("wrote an idea"),
    "idea_submit": N_("submitted an idea"),
    "idea_update": N_("edited an idea"),
    "idea_withdraw": N_("withdrew an idea"),
    "idea_support": N_("supported an idea, or withdrew the support"),
    "idea_comment": N_("commented on an idea"),
    "survey_answer": N_("answered a survey or form (what was answered is not shown)"),
    "verify_submit": N_("asked to be verified as a resident"),
    "ballot_cast": N_("cast a ballot"),
}


def _areas(db, actor):
    return [area for area in communities.places_of_kind(db, "area")
            if permissions.allowed("create_managed_resident", actor, area.ids_from_root)]


def _desk(request: Request, actor, **extra) -> dict:
    db = get_db(request)
    query = str(request.query_params.get("q", ""))[:40]
    return {"query": query, "people": acting.find_people(db, actor, query),
            "areas": _areas(db, actor), "form": {}, "errors": {}, "error": None, **extra}


async def desk_page(request: Request):
    actor = require(request, "view_staff_area")
    return render(request, "accounts/desk.html", _desk(request, actor))


async def create_resident(request: Request):
    form = await read_form(request)
    actor = require(request, "view_staff_area")
    values = {k: str(form.get(k, ""))[:100] for k in ("name", "area_id", "note")}
    return form_view(
        request, lambda: acting.create_managed_resident(
            get_db(request), actor, name=values["name"], area_id=values["area_id"],
            note=values["note"], now=clock.utcnow()),
        again=FormPage("accounts/desk.html", lambda **problem: _desk(request, actor, form=values, **problem)),
        message=N_("The resident was added. You can now act for them at the desk."),
        done=lambda person: redirect_to(request, "person_record", user_id=person.id))


def _person(request: Request, actor, person, **extra) -> dict:
    db = get_db(request)
    return {"person": person, "roles": communities.roles_of(db, person),
            "sessions": acting.sessions_of(db, person.id), "log": acting.help_log(db, person.id),
            "can_assist": may_act_for(db, "assist_at_desk", actor, person),
            "can_reset": may_act_for(db, "issue_desk_reset", actor, person) and person.can_sign_in,
            "needs_login": person.managed_by is not None and not person.can_sign_in,
            "family_waiting": family.pending_for_person(db, person.id),
            "help_kinds": HELP_KINDS, "help_actions": HELP_ACTIONS, "form": {}, "errors": {}, "error": None, **extra}


async def person_page(request: Request):
    actor = require(request, "view_staff_area")
    person = acting.person_for_staff(get_db(request), actor, request.path_params["user_id"])
    return render(request, "accounts/person.html", _person(request, actor, person))


async def assist_start(request: Request):
    form = await read_form(request)
    actor = require(request, "view_staff_area")
    db = get_db(request)
    person = acting.person_for_staff(db, actor, request.path_params["user_id"])
    reason = str(form.get("reason", ""))[:200]

    def started(raw):
        start_acting(request, raw)
        return redirect_to(request, "home")

    return form_view(
        request, lambda: acting.start_desk(db, actor, person=person, reason=reason, now=clock.utcnow()),
        again=FormPage("accounts/person.html", lambda **problem: _person(
            request, actor, person, form={"reason": reason}, **problem)),
        message=Msg(N_("You are now acting for %(name)s, for at most 30 minutes. End it with the button at the top when you are done."),
                    {"name": person.display_name}),
        done=started)


async def assist_end(request: Request):
    await read_form(request)
    require_user(request)
    running = helping(request)
    stop_acting(request)
    if running is None:
        return redirect_to(request, "account")
    flash(request, Msg(N_("You are no longer acting for %(name)s."), {"name": running.person_name}))
    if running.kind == "desk":
        return redirect_to(request, "person_record", user_id=running.person_id)
    return redirect_to(request, "family")


async def give_login(request: Request):
    form = await read_form(request)
    actor = require(request, "view_staff_area")
    db = get_db(request)
    person = acting.person_for_staff(db, actor, request.path_params["user_id"])
    phone = str(form.get("phone", ""))[:40]

    return form_view(
        request, lambda: acting.give_login(db, actor, request.app.state.settings, person=person,
                                           phone=phone, now=clock.utcnow()),
        again=FormPage("accounts/person.html", lambda **problem: _person(
            request, actor, person, form={"phone": phone}, **problem), shows=(FieldErrors,)),
        message=N_("The number is now this person's login. Print the slip: with it they choose a password."),
        done=lambda result: show_slip(request, result))


async def helped_page(request: Request):
    """The person's own record: who acted for them, when, why, and each thing done."""
    user = require_user(request)
    db = get_db(request)
    return render(request, "accounts/helped.html", {
        "sessions": acting.sessions_of(db, user.id), "log": acting.help_log(db, user.id),
        "help_kinds": HELP_KINDS, "help_actions": HELP_ACTIONS})


routes = [
    Route("/staff/desk", desk_page, methods=["GET"], name="desk"),
    Route("/staff/desk/residents", create_resident, methods=["POST"], name="desk_create_resident"),
    Route("/staff/people/{user_id:int}", person_page, methods=["GET"], name="person_record"),
    Route("/staff/people/{user_id:int}/assist", assist_start, methods=["POST"], name="assist_start"),
    Route("/staff/people/{user_id:int}/login", give_login, methods=["POST"], name="managed_give_login"),
    Route("/assist/end", assist_end, methods=["POST"], name="assist_end"),
    Route("/account/helped", helped_page, methods=["GET"], name="my_help_log"),
]
