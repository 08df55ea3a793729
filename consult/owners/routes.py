"""Pages for owners' votes: the register, matters, ballots, turnout and the result.

Thin: read the request, call :mod:`consult.owners.services`, render or redirect.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from consult import clock
from consult.communities.models import HomeOwner
from consult.db.ids import parse_id
from consult.errors import FieldErrors, NotFound, UserError
from consult.i18n import N_, Msg
from consult.web.auth import current_actor, current_user, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.downloads import CSV_TYPE, download, excel_csv, qr_svg
from consult.web.responses import flash, redirect_to
from consult.web.templating import render

from . import labels, rules, services


def _names() -> dict:
    """The label tables every owners' page reads."""
    return {"kinds": labels.KIND_NAMES, "choices": labels.CHOICE_NAMES,
            "channels": labels.CHANNEL_NAMES, "states": labels.STATE_NAMES,
            "statuses": labels.STATUS_NAMES, "developer_name": labels.DEVELOPER_NAME,
            "pct": labels.percent}


def _can(request: Request, estate) -> dict[str, bool]:
    actor = current_actor(request)
    return {action: services.may(action, actor, estate) for action in (
        "manage_owner_register", "manage_owner_matter", "cast_owner_ballot",
        "enter_owner_paper_ballot", "void_owner_ballot", "view_owner_turnout")}


async def _upload(form, name: str = "file") -> tuple[str, bytes]:
    item = form.get(name)
    if isinstance(item, UploadFile):
        return item.filename or "", await item.read()
    return "", b""


def _csv(text: str, filename: str) -> Response:
    return download(excel_csv(text), filename, CSV_TYPE)


# -- overview ------------------------------------------------------------------------------


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
        "estate": estate, "matters": services.matters_of(db, estate), "now": clock.utcnow(),
        "state_of": services.state_of, "can": _can(request, estate), **_names()})


# -- the register --------------------------------------------------------------------------


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
    try:
        summary = services.import_register(db, current_actor(request), estate, filename=filename,
                                           data=data, now=clock.utcnow())
    except services.RegisterRejected as exc:
        return render(request, "owners/register.html",
                      _register_context(request, estate, import_errors=exc.messages), status=422)
    except UserError as exc:
        if exc.status in (401, 403, 404):
            raise
        return render(request, "owners/register.html",
                      _register_context(request, estate, error=exc.msg), status=exc.status)
    flash(request, Msg(N_("Register imported: %(created)s new, %(updated)s updated, %(removed)s removed homes."),
                       {"created": summary.created, "updated": summary.updated,
                        "removed": summary.removed}))
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
    try:
        home = services.update_home(get_db(request), current_actor(request), home_id,
                                    developer_held=developer_held, now=clock.utcnow(), **values)
    except FieldErrors as exc:
        context = _home_context(request, home_id, errors=exc.errors)
        context["form"] = {**values, "developer_held": developer_held}
        return render(request, "owners/home.html", context, status=422)
    except UserError as exc:
        if exc.status in (401, 403, 404):
            raise
        return render(request, "owners/home.html", _home_context(request, home_id, error=exc.msg),
                      status=exc.status)
    flash(request, Msg(N_("Home %(home)s saved."), {"home": home.code}))
    return redirect_to(request, "owners_home", home_id=home.id)


async def owner_link(request: Request):
    """Staff ask for a link; the owner (or a second staff member) confirms it."""
    form = await read_form(request)
    owner_id = request.path_params["owner_id"]
    db = get_db(request)
    owner = db.get(HomeOwner, owner_id)
    try:
        link = services.request_link(db, current_actor(request), owner_id,
                                     phone=str(form.get("phone", "")), now=clock.utcnow())
    except FieldErrors as exc:
        return render(request, "owners/home.html",
                      _home_context(request, owner.home_id, link_errors={owner_id: exc.errors["phone"]}),
                      status=422)
    except UserError as exc:
        if exc.status in (401, 403, 404):
            raise
        return render(request, "owners/home.html", _home_context(request, owner.home_id, error=exc.msg),
                      status=exc.status)
    flash(request, Msg(N_("The link of %(name)s waits for confirmation: the owner confirms it on their owners' page or reads you the code shown there; otherwise a second staff member approves it."),
                       {"name": link.name}))
    return redirect_to(request, "owners_home", home_id=owner.home_id)


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
    try:
        if action == "cancel":
            services.refuse_link(db, actor, link_id, now=now)
        else:
            method = rules.LinkMethod.CODE if action == "code" else rules.LinkMethod.SECOND_STAFF
            services.confirm_link(db, actor, link_id, method=method, code=str(form.get("code", "")),
                                  now=now)
    except UserError as exc:
        if exc.status in (401, 403, 404) or home is None:
            raise
        extra = ({"code_errors": {link_id: exc.errors["code"]}} if isinstance(exc, FieldErrors)
                 else {"error": exc.msg})
        return render(request, "owners/home.html", _home_context(request, home.id, **extra),
                      status=exc.status)
    flash(request, Msg(N_("The link request was withdrawn.") if action == "cancel" else LINK_DONE,
                       {"name": link.name}))
    if home is None:
        return redirect_to(request, "owners_index")
    return redirect_to(request, "owners_home", home_id=home.id)


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
    try:
        if action == "confirm":
            link = services.confirm_link(db, actor, link_id, method=rules.LinkMethod.OWNER, now=now)
        else:
            link = services.refuse_link(db, actor, link_id, now=now)
    except UserError as exc:
        if exc.status in (401, 404):
            raise
        return render(request, "owners/links.html", _links_context(request, error=exc.msg),
                      status=exc.status)
    flash(request, Msg(LINK_DONE if action == "confirm" else N_("You refused the link to %(name)s."),
                       {"name": link.name}))
    return redirect_to(request, "owners_links")


async def owner_unlink(request: Request):
    await read_form(request)
    db = get_db(request)
    owner_id = request.path_params["owner_id"]
    services.unlink_owner(db, current_actor(request), owner_id, now=clock.utcnow())
    owner = db.get(HomeOwner, owner_id)
    flash(request, Msg(N_("The account link of %(name)s was removed."), {"name": owner.name}))
    return redirect_to(request, "owners_home", home_id=owner.home_id)


# -- matters -------------------------------------------------------------------------------


def _new_matter_context(estate, **extra) -> dict:
    return {"estate": estate, "form": {"kind": "ordinary"}, "errors": {}, "error": None,
            "kind_values": [k.value for k in rules.MatterKind], **_names(), **extra}


async def matter_new_page(request: Request):
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    require(request, "manage_owner_matter", estate.ids_from_root)
    return render(request, "owners/matter_new.html", _new_matter_context(estate))


async def matter_create(request: Request):
    form = await read_form(request)
    db = get_db(request)
    estate = services.get_estate(db, request.path_params["estate_id"])
    values = {k: str(form.get(k, "")) for k in ("title", "kind", "description", "opens_at", "closes_at")}
    double_key = form.get("paper_double_key") == "1"
    try:
        matter = services.create_matter(db, current_actor(request), estate,
                                        paper_double_key=double_key, now=clock.utcnow(), **values)
    except FieldErrors as exc:
        return render(request, "owners/matter_new.html", _new_matter_context(
            estate, form={**values, "paper_double_key": double_key}, errors=exc.errors), status=422)
    except UserError as exc:
        if exc.status in (401, 403, 404):
            raise
        return render(request, "owners/matter_new.html", _new_matter_context(
            estate, form={**values, "paper_double_key": double_key}, error=exc.msg), status=exc.status)
    flash(request, Msg(N_("The matter was created. Print the notice and post it.")))
    return redirect_to(request, "owners_matter", matter_id=matter.id)


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
    try:
        services.cast_web_ballot(get_db(request), current_actor(request), user, matter_id,
                                 owner=str(form.get("owner", "")), choice=choice,
                                 now=clock.utcnow())
    except FieldErrors as exc:
        return render(request, "owners/matter.html",
                      _matter_context(request, matter_id, errors=exc.errors), status=422)
    except UserError as exc:
        if exc.status in (401, 404):
            raise
        return render(request, "owners/matter.html",
                      _matter_context(request, matter_id, error=exc.msg), status=exc.status)
    flash(request, Msg(RECORDED[choice]))
    return redirect_to(request, "owners_matter", matter_id=matter_id)


async def attachment_add(request: Request):
    form = await read_form(request, max_files=1)
    matter_id = request.path_params["matter_id"]
    filename, data = await _upload(form)
    try:
        services.add_attachment(get_db(request), current_actor(request),
                                request.app.state.settings, matter_id, filename=filename,
                                data=data, now=clock.utcnow())
    except FieldErrors as exc:
        return render(request, "owners/matter.html",
                      _matter_context(request, matter_id, errors=exc.errors), status=422)
    except UserError as exc:
        if exc.status in (401, 403, 404):
            raise
        return render(request, "owners/matter.html",
                      _matter_context(request, matter_id, error=exc.msg), status=exc.status)
    flash(request, Msg(N_("The document was added.")))
    return redirect_to(request, "owners_matter", matter_id=matter_id)


def _file(path, content_type: str, filename: str) -> FileResponse:
    return FileResponse(path, media_type=content_type, headers={
        "content-disposition": f"inline; filename*=UTF-8''{quote(filename)}",
        "cache-control": "private, max-age=3600"})


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
        **_names()})


# -- ballots (staff) -----------------------------------------------------------------------


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


async def paper_enter(request: Request):
    form = await read_form(request)
    matter_id = request.path_params["matter_id"]
    values = {k: str(form.get(k, "")) for k in ("serial", "home", "choice")}
    try:
        entry = services.enter_paper_ballot(get_db(request), current_actor(request), matter_id,
                                            now=clock.utcnow(), **values)
    except FieldErrors as exc:
        return render(request, "owners/ballots.html", _ballots_context(
            request, matter_id, paper_errors=exc.errors, paper_form=values), status=422)
    except UserError as exc:
        if exc.status in (401, 403, 404):
            raise
        return render(request, "owners/ballots.html", _ballots_context(
            request, matter_id, error=exc.msg, paper_form=values), status=exc.status)
    messages = {
        "entered": N_("Paper ballot %(serial)s entered."),
        "confirmed": N_("Paper ballot %(serial)s keyed a second time: both keyings agree."),
        "mismatch": N_("Paper ballot %(serial)s: the second keying differs from the first. It is not counted until someone checks the paper."),
    }
    flash(request, Msg(messages[entry.outcome], {"serial": entry.ballot.paper_serial}))
    return redirect_to(request, "owners_ballots", matter_id=matter_id)


async def proxy_enter(request: Request):
    form = await read_form(request, max_files=1)
    matter_id = request.path_params["matter_id"]
    values = {k: str(form.get(k, "")) for k in ("home", "choice", "holder")}
    filename, data = await _upload(form)
    try:
        services.enter_proxy_ballot(get_db(request), current_actor(request),
                                    request.app.state.settings, matter_id, filename=filename,
                                    scan=data, now=clock.utcnow(), **values)
    except FieldErrors as exc:
        return render(request, "owners/ballots.html", _ballots_context(
            request, matter_id, proxy_errors=exc.errors, proxy_form=values), status=422)
    except UserError as exc:
        if exc.status in (401, 403, 404):
            raise
        return render(request, "owners/ballots.html", _ballots_context(
            request, matter_id, error=exc.msg, proxy_form=values), status=exc.status)
    flash(request, Msg(N_("Proxy ballot for home %(home)s entered."), {"home": values["home"].strip()}))
    return redirect_to(request, "owners_ballots", matter_id=matter_id)


async def ballot_resolve(request: Request):
    form = await read_form(request)
    ballot_id = request.path_params["ballot_id"]
    db = get_db(request)
    ballot, matter, _ = services.get_ballot(db, ballot_id)
    try:
        services.resolve_by_rekeying(db, current_actor(request), ballot_id,
                                     home=str(form.get("home", "")),
                                     choice=str(form.get("choice", "")), now=clock.utcnow())
    except UserError as exc:
        if exc.status in (401, 403, 404):
            raise
        return render(request, "owners/ballots.html", _ballots_context(
            request, matter.id, error=exc.msg), status=exc.status)
    flash(request, Msg(N_("Paper ballot %(serial)s now counts."), {"serial": ballot.paper_serial}))
    return redirect_to(request, "owners_ballots", matter_id=matter.id)


async def ballot_void(request: Request):
    form = await read_form(request)
    ballot_id = request.path_params["ballot_id"]
    db = get_db(request)
    _, matter, _ = services.get_ballot(db, ballot_id)
    try:
        services.void_ballot(db, current_actor(request), ballot_id,
                             reason=str(form.get("reason", "")), now=clock.utcnow())
    except FieldErrors as exc:
        return render(request, "owners/ballots.html", _ballots_context(
            request, matter.id, row_errors={ballot_id: exc.errors["reason"]}), status=422)
    except UserError as exc:
        if exc.status in (401, 403, 404):
            raise
        return render(request, "owners/ballots.html", _ballots_context(
            request, matter.id, error=exc.msg), status=exc.status)
    flash(request, Msg(N_("The ballot was voided. The owner may vote again.")))
    return redirect_to(request, "owners_ballots", matter_id=matter.id)


async def proxy_scan(request: Request):
    ballot, path = services.proxy_scan(get_db(request), current_actor(request),
                                       request.app.state.settings, request.path_params["ballot_id"])
    kind = "application/pdf" if path.suffix == ".pdf" else "image/jpeg"
    return _file(path, kind, f"proxy-{ballot.id}{path.suffix}")


# -- result and exports --------------------------------------------------------------------


async def result_page(request: Request):
    db = get_db(request)
    matter, estate, outcome = services.result(db, request.path_params["matter_id"], clock.utcnow())
    return render(request, "owners/result.html", {
        "matter": matter, "estate": estate, "outcome": outcome,
        "voided": services.voided_reasons(db, matter),
        "can": _can(request, estate), **_names()})


async def matter_register_export(request: Request):
    matter, text = services.matter_register_csv(get_db(request), current_actor(request),
                                                request.path_params["matter_id"])
    return _csv(text, f"homes-matter-{matter.id}.csv")


async def ballots_export(request: Request):
    matter, text = services.ballots_csv(get_db(request), current_actor(request),
                                        request.path_params["matter_id"], clock.utcnow())
    return _csv(text, f"ballots-matter-{matter.id}.csv")


routes = [
    Route("/owners", index, methods=["GET"], name="owners_index"),
    Route("/estates/{estate_id:int}/owners", estate_page, methods=["GET"], name="owners_estate"),
    Route("/estates/{estate_id:int}/owners/register", register_page, methods=["GET"],
          name="owners_register"),
    Route("/estates/{estate_id:int}/owners/register", register_import, methods=["POST"],
          name="owners_register_import"),
    Route("/estates/{estate_id:int}/owners/homes.csv", register_export, methods=["GET"],
          name="owners_register_export"),
    Route("/estates/{estate_id:int}/owners/matters/new", matter_new_page, methods=["GET"],
          name="owners_matter_new"),
    Route("/estates/{estate_id:int}/owners/matters", matter_create, methods=["POST"],
          name="owners_matter_create"),
    Route("/owners/homes/{home_id:int}", home_page, methods=["GET"], name="owners_home"),
    Route("/owners/homes/{home_id:int}", home_update, methods=["POST"], name="owners_home_update"),
    Route("/owners/owner-records/{owner_id:int}/link", owner_link, methods=["POST"],
          name="owners_owner_link"),
    Route("/owners/owner-records/{owner_id:int}/unlink", owner_unlink, methods=["POST"],
          name="owners_owner_unlink"),
    Route("/owners/links/{link_id:int}/{action:str}", link_decide, methods=["POST"],
          name="owners_link_decide"),
    Route("/owners/links", links_page, methods=["GET"], name="owners_links"),
    Route("/owners/my-links/{link_id:int}/{action:str}", link_answer, methods=["POST"],
          name="owners_link_answer"),
    Route("/owners/matters/{matter_id:int}", matter_page, methods=["GET"], name="owners_matter"),
    Route("/owners/matters/{matter_id:int}/vote", vote, methods=["POST"], name="owners_vote"),
    Route("/owners/matters/{matter_id:int}/notice", notice_page, methods=["GET"],
          name="owners_notice"),
    Route("/owners/matters/{matter_id:int}/attachments", attachment_add, methods=["POST"],
          name="owners_attachment_add"),
    Route("/owners/attachments/{attachment_id:int}", attachment_file, methods=["GET"],
          name="owners_attachment"),
    Route("/owners/matters/{matter_id:int}/ballots", ballots_page, methods=["GET"],
          name="owners_ballots"),
    Route("/owners/matters/{matter_id:int}/paper", paper_enter, methods=["POST"],
          name="owners_paper"),
    Route("/owners/matters/{matter_id:int}/proxy", proxy_enter, methods=["POST"],
          name="owners_proxy"),
    Route("/owners/ballots/{ballot_id:int}/resolve", ballot_resolve, methods=["POST"],
          name="owners_ballot_resolve"),
    Route("/owners/ballots/{ballot_id:int}/void", ballot_void, methods=["POST"],
          name="owners_ballot_void"),
    Route("/owners/ballots/{ballot_id:int}/scan", proxy_scan, methods=["GET"],
          name="owners_proxy_scan"),
    Route("/owners/matters/{matter_id:int}/result", result_page, methods=["GET"],
          name="owners_result"),
    Route("/owners/matters/{matter_id:int}/homes.csv", matter_register_export, methods=["GET"],
          name="owners_matter_register_export"),
    Route("/owners/matters/{matter_id:int}/ballots.csv", ballots_export, methods=["GET"],
          name="owners_ballots_export"),
]
