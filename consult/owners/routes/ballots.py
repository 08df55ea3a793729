"""Staff's ballot pages: the list, paper and proxy ballots keyed in, differing keyings
settled, ballots voided, and the scanned proxy forms."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.db.ids import parse_id
from consult.i18n import N_, Msg
from consult.owners import rules, services
from consult.owners.routes.common import _can, _file, _names, _shown_at, _upload
from consult.web.auth import current_actor, require
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import FormPage, form_view
from consult.web.responses import redirect_to
from consult.web.templating import render


def _ballots_context(request: Request, matter_id: int, **extra) -> dict:
    db = get_db(request)
    matter, estate, listing = services.ballot_list(db, current_actor(request), matter_id,
                                                   parse_id(request.query_params.get("page")) or 1)
    state = services.state_of(matter, clock.utcnow())
    return {"matter": matter, "estate": estate, "listing": listing, "state": state.value,
            "show_choices": rules.choices_visible(state), "can": _can(request, estate),
            "paper_errors": {}, "proxy_errors": {}, "row_errors": {}, "error": None,
            "paper_form": {}, "proxy_form": {}, **_names(), **extra}


async def ballots_page(request: Request):
    _, estate = services.get_matter(get_db(request), request.path_params["matter_id"])
    require(request, "enter_owner_paper_ballot", estate.ids_from_root)
    return render(request, "owners/ballots.html", _ballots_context(request, request.path_params["matter_id"]))


#: what keying a paper ballot did, by ``services.enter_paper_ballot``'s outcome
PAPER_ENTERED = {
    "entered": N_("Paper ballot %(serial)s entered."),
    "confirmed": N_("Paper ballot %(serial)s keyed a second time: both keyings agree."),
    "mismatch": N_("Paper ballot %(serial)s: the second keying differs from the first. It is not counted until someone checks the paper."),
}


async def paper_enter(request: Request):
    form = await read_form(request)
    matter_id = request.path_params["matter_id"]
    values = {k: str(form.get(k, "")) for k in ("serial", "home", "choice")}
    return form_view(
        request, lambda: services.enter_paper_ballot(get_db(request), current_actor(request), matter_id,
                                                     now=clock.utcnow(), **values),
        again=FormPage("owners/ballots.html",
                       lambda **problem: _ballots_context(request, matter_id, paper_form=values, **problem),
                       problem=_shown_at("paper_errors")),
        message=lambda entry: Msg(PAPER_ENTERED[entry.outcome], {"serial": entry.ballot.paper_serial}),
        done=lambda _: redirect_to(request, "owners_ballots", matter_id=matter_id))



async def proxy_enter(request: Request):
    form = await read_form(request, max_files=1)
    matter_id = request.path_params["matter_id"]
    values = {k: str(form.get(k, "")) for k in ("home", "choice", "holder")}
    filename, data = await _upload(form)
    return form_view(
        request, lambda: services.enter_proxy_ballot(get_db(request), current_actor(request),
                                                     request.app.state.settings, matter_id,
                                                     filename=filename, scan=data, now=clock.utcnow(),
                                                     **values),
        again=FormPage("owners/ballots.html",
                       lambda **problem: _ballots_context(request, matter_id, proxy_form=values, **problem),
                       problem=_shown_at("proxy_errors")),
        message=Msg(N_("Proxy ballot for home %(home)s entered."), {"home": values["home"].strip()}),
        done=lambda _: redirect_to(request, "owners_ballots", matter_id=matter_id))


async def ballot_resolve(request: Request):
    form = await read_form(request)
    ballot_id = request.path_params["ballot_id"]
    db = get_db(request)
    ballot, matter, _ = services.get_ballot(db, ballot_id)
    return form_view(
        request, lambda: services.resolve_by_rekeying(db, current_actor(request), ballot_id,
                                                      home=str(form.get("home", "")),
                                                      choice=str(form.get("choice", "")),
                                                      now=clock.utcnow()),
        # the keyings are settled on the list: any problem is the page's one message
        again=FormPage("owners/ballots.html", lambda **problem: _ballots_context(request, matter.id),
                       problem=lambda exc: {"error": exc.msg}),
        message=lambda _: Msg(N_("Paper ballot %(serial)s now counts."), {"serial": ballot.paper_serial}),
        done=lambda _: redirect_to(request, "owners_ballots", matter_id=matter.id))


async def ballot_void(request: Request):
    form = await read_form(request)
    ballot_id = request.path_params["ballot_id"]
    db = get_db(request)
    _, matter, _ = services.get_ballot(db, ballot_id)
    return form_view(
        request, lambda: services.void_ballot(db, current_actor(request), ballot_id,
                                              reason=str(form.get("reason", "")), now=clock.utcnow()),
        again=FormPage("owners/ballots.html", lambda **problem: _ballots_context(request, matter.id, **problem),
                       problem=_shown_at("row_errors", "reason", ballot_id)),
        message=N_("The ballot was voided. The owner may vote again."),
        done=lambda _: redirect_to(request, "owners_ballots", matter_id=matter.id))


async def proxy_scan(request: Request):
    ballot, path = services.proxy_scan(get_db(request), current_actor(request),
                                       request.app.state.settings, request.path_params["ballot_id"])
    kind = "application/pdf" if path.suffix == ".pdf" else "image/jpeg"
    return _file(path, kind, f"proxy-{ballot.id}{path.suffix}")
