"""The owners' overview, an estate's matters, putting a matter to the owners, its page
with the online vote, its documents and its printable notice."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock
from consult.i18n import N_, Msg
from consult.owners import rules, services
from consult.owners.routes.common import _can, _file, _names, _upload
from consult.parsing import MAX_QUERY
from consult.web.auth import current_actor, current_user, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.downloads import qr_svg
from consult.web.forms import FormPage, form_view
from consult.web.responses import redirect_to
from consult.web.templating import render


async def index(request: Request):
    require_user(request)
    now = clock.utcnow()
    db = get_db(request)
    estates = services.estates_for(db, current_actor(request))
    return render(request, "owners/index.html", {
        "estates": estates, "now": now, "state_of": services.state_of,
        "link_requests": len(services.my_link_requests(db, require_user(request))), **_names()})


async def estate_page(request: Request):
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    return render(request, "owners/estate.html", {
        "estate": estate, "matters": services.matters_of(db, estate, request.query_params.get("q")),
        "q": request.query_params.get("q", "").strip()[:MAX_QUERY], "now": clock.utcnow(),
        "state_of": services.state_of, "can": _can(request, estate), **_names()})


def _new_matter_context(estate, **extra) -> dict:
    return {"estate": estate, "form": {"kind": "ordinary"}, "errors": {}, "error": None,
            "kind_values": [k.value for k in rules.MatterKind], "notice_days": rules.NOTICE_DAYS,
            **_names(), **extra}


async def matter_new_page(request: Request):
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    require(request, "manage_owner_matter", estate.ids_from_root)
    return render(request, "owners/matter_new.html", _new_matter_context(estate))


async def matter_create(request: Request):
    form = await read_form(request)
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    values = {k: str(form.get(k, "")) for k in ("title", "kind", "description", "opens_at", "closes_at",
                                                "notice_days")}
    double_key = form.get("paper_double_key") == "1"
    return form_view(
        request, lambda: services.create_matter(db, current_actor(request), estate,
                                                paper_double_key=double_key, now=clock.utcnow(), **values),
        again=FormPage("owners/matter_new.html", lambda **problem: _new_matter_context(
            estate, form={**values, "paper_double_key": double_key}, **problem)),
        message=N_("The matter was created. Print the notice and post it."),
        done=lambda matter: redirect_to(request, "owners_matter", matter_id=matter.id))


def _matter_context(request: Request, matter_id: int, **extra) -> dict:
    db = get_db(request)
    now = clock.utcnow()
    matter, estate = services.get_matter(db, matter_id)
    can = _can(request, estate)
    turnout = None
    if can["view_owner_turnout"]:
        turnout = services.turnout(db, current_actor(request), matter.id)[2]
    return {
        "matter": matter, "estate": estate, "state": services.state_of(matter, now).value,
        "attachments": services.attachments_of(db, matter),
        "voices": services.voices(db, current_user(request), matter) if can["cast_owner_ballot"] else [],
        "turnout": turnout, "can": can, "errors": {}, "error": None, **_names(), **extra,
    }


async def matter_page(request: Request):
    return render(request, "owners/matter.html", _matter_context(request, request.path_params["matter_id"]))


RECORDED = {
    "agree": N_("Your ballot was recorded: you agree. Thank you."),
    "disagree": N_("Your ballot was recorded: you disagree. Thank you."),
    "abstain": N_("Your ballot was recorded: you abstain. Thank you."),
}


async def vote(request: Request):
    form = await read_form(request)
    matter_id = request.path_params["matter_id"]
    user = require_user(request)
    choice = str(form.get("choice", ""))
    return form_view(
        request, lambda: services.cast_web_ballot(get_db(request), current_actor(request), user, matter_id,
                                                  owner=str(form.get("owner", "")), choice=choice,
                                                  now=clock.utcnow()),
        again=FormPage("owners/matter.html", lambda **problem: _matter_context(request, matter_id, **problem)),
        message=lambda _: Msg(RECORDED[choice]),
        done=lambda _: redirect_to(request, "owners_matter", matter_id=matter_id))


async def attachment_add(request: Request):
    form = await read_form(request, max_files=1)
    matter_id = request.path_params["matter_id"]
    filename, data = await _upload(form)
    return form_view(
        request, lambda: services.add_attachment(get_db(request), current_actor(request),
                                                 request.app.state.settings, matter_id, filename=filename,
                                                 data=data, now=clock.utcnow()),
        again=FormPage("owners/matter.html", lambda **problem: _matter_context(request, matter_id, **problem)),
        message=N_("The document was added."),
        done=lambda _: redirect_to(request, "owners_matter", matter_id=matter_id))


async def attachment_file(request: Request):
    attachment, path = services.get_attachment(get_db(request), request.app.state.settings,
                                               request.path_params["attachment_id"])
    return _file(path, attachment.content_type, attachment.filename)


async def notice_page(request: Request):
    db = get_db(request)
    matter, estate = services.get_matter(db, request.path_params["matter_id"])
    settings = request.app.state.settings
    link = settings.base_url + request.app.url_path_for("owners_matter", matter_id=matter.id)
    return render(request, "owners/notice.html", {
        "matter": matter, "estate": estate, "link": link, "qr": qr_svg(link, scale=5),
        "major": rules.is_major(matter.kind), "attachments": services.attachments_of(db, matter),
        "notice_ends": services.notice_ends(matter), **_names()})
