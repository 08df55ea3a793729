"""The register's pages: the estate's register (import and export) and one home,
corrected by staff."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.db.ids import parse_id
from consult.i18n import N_, Msg
from consult.owners import rules, services
from consult.owners.routes.common import _csv, _names, _upload
from consult.web.auth import current_actor, require
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import FormPage, form_view
from consult.web.responses import flash, redirect_to
from consult.web.templating import render


def _register_context(request: Request, estate, **extra) -> dict:
    page = services.register_page(get_db(request), current_actor(request), estate,
                                  parse_id(request.query_params.get("page")) or 1)
    return {"estate": estate, "register": page, "import_errors": [], "error": None,
            "summary": None, **_names(), **extra}


async def register_page(request: Request):
    estate = services.get_estate(get_db(request), request.path_params["estate_id"])
    require(request, "manage_owner_register", estate.ids_from_root)
    return render(request, "owners/register.html", _register_context(request, estate))


async def register_import(request: Request):
    form = await read_form(request, max_files=1)
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    filename, data = await _upload(form)
    return form_view(
        request, lambda: services.import_register(db, current_actor(request), estate, filename=filename,
                                                  data=data, now=clock.utcnow()),
        # a rejected file lists every problem it has, each in its place
        again=FormPage("owners/register.html", lambda **problem: _register_context(request, estate, **problem),
                       problem=lambda exc: ({"import_errors": exc.messages}
                                            if isinstance(exc, services.RegisterRejected)
                                            else {"error": exc.msg})),
        message=lambda summary: Msg(
            N_("Register imported: %(created)s new, %(updated)s updated, %(removed)s removed homes."),
            {"created": summary.created, "updated": summary.updated, "removed": summary.removed}),
        done=lambda summary: _imported(request, estate, summary))


def _imported(request: Request, estate, summary):
    """Back to the register, telling what the import warns about (e.g. owners told apart
    by name only)."""
    for warning in summary.warnings:
        flash(request, warning)
    return redirect_to(request, "owners_register", estate_id=estate.id)


async def register_export(request: Request):
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    text = services.register_csv(db, current_actor(request), estate)
    return _csv(text, f"homes-{estate.id}.csv")


def _home_context(request: Request, home_id: int, **extra) -> dict:
    db = get_db(request)
    home, estate = services.get_home(db, home_id)
    owners = services.home_owners(db, home)
    form = {"building": home.building, "room": home.room,
            "area": str(rules.cents_to_area(home.area_hundredths)),
            "owners": "; ".join(o.name for o, _ in owners), "developer_held": home.developer_held}
    actor = current_actor(request)
    return {"home": home, "estate": estate, "owners": owners, "form": form, "errors": {},
            "error": None, "link_errors": {}, "code_errors": {},
            "pending": services.pending_links(db, actor, home), "me": actor.user_id,
            "may_approve": services.may("approve_owner_link", actor, estate), **extra}


async def home_page(request: Request):
    db = get_db(request)
    home, estate = services.get_home(db, request.path_params["home_id"])
    require(request, "manage_owner_register", estate.ids_from_root)
    return render(request, "owners/home.html", _home_context(request, home.id))


async def home_update(request: Request):
    form = await read_form(request)
    home_id = request.path_params["home_id"]
    values = {k: str(form.get(k, "")) for k in ("building", "room", "area", "owners")}
    developer_held = form.get("developer_held") == "1"

    def shown_again(**problem) -> dict:
        """The home as stored; a field's problem also shows the form as it was sent."""
        context = _home_context(request, home_id, **problem)
        if "errors" in problem:
            context["form"] = {**values, "developer_held": developer_held}
        return context

    return form_view(
        request, lambda: services.update_home(get_db(request), current_actor(request), home_id,
                                              developer_held=developer_held, now=clock.utcnow(), **values),
        again=FormPage("owners/home.html", shown_again),
        message=lambda home: Msg(N_("Home %(home)s saved."), {"home": home.code}),
        done=lambda home: redirect_to(request, "owners_home", home_id=home.id))
