"""Staff's ballot page: paper and proxy ballots keyed in, differing keyings settled by a
third person; what a ballot says is never shown."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse

from consult import clock
from consult.elections import labels, services
from consult.elections.routes.common import can, chosen
from consult.i18n import N_, Msg
from consult.web.auth import current_actor, require
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import FormPage, form_view
from consult.web.responses import redirect_to
from consult.web.templating import render

PAPER_MESSAGES = {
    "entered": N_("Paper ballot %(serial)s entered."),
    "confirmed": N_("Paper ballot %(serial)s keyed a second time: both keyings agree."),
    "mismatch": N_("Paper ballot %(serial)s: the second keying differs from the first. It is not counted until a third person checks the paper."),
}


def ballots_context(request: Request, election_id: int, **extra) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    election, estate = services.get_election(db, election_id)
    return {"election": election, "estate": estate,
            "state": services.state_of(election, clock.utcnow()).value,
            "candidates": services.candidates_of(db, election),
            "papers": services.uncounted_papers(db, actor, election_id),
            "proxies": services.proxies_of(db, actor, election_id),
            "can": can(request, estate), "errors": {}, "error": None, "form": {},
            "which": "", **labels.names(), **extra}


async def ballots_page(request: Request):
    _, estate = services.get_election(get_db(request), request.path_params["election_id"])
    require(request, "enter_owner_election_paper", estate.ids_from_root)
    return render(request, "elections/ballots.html",
                  ballots_context(request, request.path_params["election_id"]))


def _again(request: Request, election_id: int, which: str, values: dict) -> FormPage:
    return FormPage("elections/ballots.html", lambda **problem: ballots_context(
        request, election_id, which=which, form=values, **problem))


async def paper_enter(request: Request):
    form = await read_form(request)
    election_id = request.path_params["election_id"]
    values = {k: str(form.get(k, "")) for k in ("serial", "home")}
    return form_view(
        request, lambda: services.enter_paper_ballot(
            get_db(request), current_actor(request), election_id, candidates=chosen(form),
            now=clock.utcnow(), **values),
        again=_again(request, election_id, "paper", values),
        message=lambda entry: Msg(PAPER_MESSAGES[entry.outcome], {"serial": entry.ballot.paper_serial}),
        done=lambda _: redirect_to(request, "election_ballots", election_id=election_id))


async def paper_resolve(request: Request):
    form = await read_form(request)
    election_id = request.path_params["election_id"]
    values = {k: str(form.get(k, "")) for k in ("serial", "home")}
    return form_view(
        request, lambda: services.resolve_paper(
            get_db(request), current_actor(request), election_id, candidates=chosen(form),
            now=clock.utcnow(), **values),
        again=_again(request, election_id, "resolve", values),
        message=lambda ballot: Msg(N_("Paper ballot %(serial)s now counts."), {"serial": ballot.paper_serial}),
        done=lambda _: redirect_to(request, "election_ballots", election_id=election_id))


async def proxy_enter(request: Request):
    form = await read_form(request, max_files=1)
    election_id = request.path_params["election_id"]
    values = {k: str(form.get(k, "")) for k in ("home", "holder")}
    upload = form.get("file")
    scan = await upload.read() if isinstance(upload, UploadFile) else b""
    return form_view(
        request, lambda: services.enter_proxy_ballot(
            get_db(request), current_actor(request), election_id, candidates=chosen(form),
            now=clock.utcnow(), settings=request.app.state.settings, scan=scan, **values),
        again=_again(request, election_id, "proxy", values),
        message=Msg(N_("Proxy ballot for home %(home)s entered."), {"home": values["home"].strip()}),
        done=lambda _: redirect_to(request, "election_ballots", election_id=election_id))


async def proxy_scan(request: Request):
    """A written proxy's signed form, for staff (personal data: never cached, never public)."""
    proxy, path = services.proxy_scan(get_db(request), current_actor(request), request.app.state.settings,
                                      request.path_params["proxy_id"])
    kind = "application/pdf" if path.suffix == ".pdf" else "image/jpeg"
    return FileResponse(path, media_type=kind, headers={
        "Content-Disposition": f'attachment; filename="proxy-{proxy.id}{path.suffix}"',
        "Cache-Control": "private, no-store"})
