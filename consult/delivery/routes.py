"""Delivery pages: the projects overview and list, a project's public page (timeline,
accounts, milestones, ratings, pledging and rating), its printable 公示; for staff the
manage page (state, budget, pledges' steps, milestones, paper ratings), the safety check
on a phone with its printable checklist, the register's due list and the exports."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult import clock, permissions
from consult.communities import services as places
from consult.db.ids import parse_id
from consult.delivery import exports, rules
from consult.delivery.services import load, money, projects, register, works
from consult.errors import UserError
from consult.i18n import N_
from consult.parsing import format_yuan
from consult.web.auth import current_actor, current_user, require
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.downloads import CSV_TYPE, XLSX_TYPE, download, download_file, qr_svg
from consult.web.forms import FormPage, form_view, named_files
from consult.web.forms import uploaded_files as files
from consult.web.responses import redirect_to
from consult.web.templating import render, translator_for

NAMES = {"state": rules.STATE_NAMES, "category": rules.CATEGORIES, "party": rules.PARTIES,
         "source": rules.SOURCES, "entry": rules.ENTRY_KINDS, "pledger": rules.PLEDGER_KINDS,
         "pledge_kind": rules.PLEDGE_KINDS, "pledge_state": rules.PLEDGE_STATE_NAMES,
         "event": rules.EVENTS, "kind": rules.KINDS, "result": rules.RESULTS, "phase": rules.PHASES,
         "capacity": rules.CAPACITIES, "receipt": money.RECEIPTS, "item": rules.ITEM_LABELS}


PDF_TYPE = "application/pdf"

#: the projects the overview lists at most (the tables above them count them all)
LIST_LIMIT = 200


def _render(request: Request, name: str, context: dict, status: int = 200):
    return render(request, name, {"names": NAMES, "yuan": rules.yuan, **context}, status=status)


def _media_dir(request: Request):
    return request.app.state.settings.media_dir


def _text(form, *names: str) -> dict[str, str]:
    return {n: str(form.get(n, "")) for n in names}


# -- public ---------------------------------------------------------------------------


async def overview_page(request: Request):
    db = get_db(request)
    area = parse_id(request.query_params.get("area"))
    state = request.query_params.get("state")
    return _render(request, "delivery/overview.html", {
        "overview": projects.overview(db), "rows": projects.listing(db, area_id=area, state=state, limit=LIST_LIMIT),
        "limit": LIST_LIMIT,
        "area": area, "state": state if state in rules.STATES else None,
        "is_staff": current_actor(request).holds_anywhere(permissions.STAFF)})


def project_context(request: Request, project_id, **extra) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    loaded = load(db, project_id)
    project = loaded.project
    today = clock.utcnow().date()
    pledges = money.pledges(db, project.id)
    signed = works.signoffs(db, project.id)
    context = {
        "project": project, "place": loaded.place, "today": today, "me": actor.user_id,
        "accounts": money.accounts(db, project.id),
        "pledges": pledges, "pledge_totals": money.pledge_totals(pledges),
        "receipts": money.receipts(db, project.id) if pledges else {},
        "public_name": money.public_name,
        "mine": [p for p in pledges if p.user_id is not None and p.user_id == actor.user_id],
        "milestones": works.milestones(db, project.id), "signoffs": signed,
        "documents": works.milestone_documents(db, project.id),
        "ratings": works.rating_summary(db, project, today),
        "my_rating": works.my_rating(db, actor.user_id, project, today),
        "timeline": projects.timeline(db, project.id),
        "checks": register.checks(db, project.id), "repairs": register.repairs(db, project.id),
        "due": rules.due_state(project.next_check_due, today),
        "may": {
            "manage": permissions.allowed("manage_project", actor, loaded.path),
            "pledge": permissions.allowed("pledge_to_project", actor, loaded.path)
            and rules.action_allowed("pledge", project.state),
            "rate": permissions.allowed("rate_project", actor, loaded.path)
            and rules.action_allowed("rate", project.state),
            "sign": permissions.allowed("sign_acceptance", actor, loaded.path)
            and rules.action_allowed("sign_acceptance", project.state)
            and actor.user_id not in {s.user_id for s, _ in signed},
            "check": permissions.allowed("record_safety_check", actor, loaded.path)
            and rules.action_allowed("check", project.state),
        },
        "rating_wave": rules.rating_wave(project.accepted_on, today),
        "checklist": rules.CHECKLISTS[project.kind],
        "errors": {}, "error": None, "values": {}, "form_name": None,
        "names": NAMES, "yuan": rules.yuan,
    }
    context.update(extra)
    return context


async def project_page(request: Request):
    return _render(request, "delivery/project.html", project_context(request, request.path_params["project_id"]))


def _again(request: Request, template: str, form_name: str, values: dict | None = None) -> FormPage:
    return FormPage(template, lambda **problem: project_context(
        request, request.path_params["project_id"], form_name=form_name, values=values or {}, **problem))


def _to_project(request: Request, project_id: int, page: str = "project"):
    return redirect_to(request, page, project_id=project_id)


async def rate(request: Request):
    form = await read_form(request)
    db = get_db(request)
    pid = request.path_params["project_id"]
    values = _text(form, "stars", "comment")
    return form_view(request, lambda: works.rate(db, current_actor(request), pid, **values,
                                                 channel=str(form.get("channel", "")), now=clock.utcnow()),
                     again=_again(request, "delivery/project.html", "rate", values),
                     message=N_("Thank you for rating the project."),
                     done=lambda item: _to_project(request, item.project_id))


async def pledge(request: Request):
    form = await read_form(request)
    db = get_db(request)
    pid = request.path_params["project_id"]
    values = _text(form, "pledger_kind", "pledger_name", "kind", "unit", "quantity")
    staff = form.get("from") == "manage"
    return form_view(request, lambda: money.pledge(db, current_actor(request), current_user(request), pid,
                                                   **values, show_name=form.get("show_name") == "1",
                                                   now=clock.utcnow(), on_behalf=staff),
                     again=(_manage_again(request, "pledge", values) if staff
                            else _again(request, "delivery/project.html", "pledge", values)),
                     message=N_("The pledge is recorded. Thank you!"),
                     done=lambda item: _to_project(request, item.project_id, "project_manage" if staff else "project"))


async def pledge_change(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = current_actor(request)
    pledge_id = request.path_params["pledge_id"]
    project = money.project_of(db, pledge_id)
    request.path_params["project_id"] = project.id
    values = _text(form, "quantity")
    if form.get("withdraw") == "1":
        act = lambda: money.withdraw_pledge(db, actor, pledge_id, clock.utcnow())  # noqa: E731
        message = N_("Your pledge is withdrawn.")
    else:
        act = lambda: money.change_pledge(db, actor, pledge_id, quantity=values["quantity"],  # noqa: E731
                                          show_name=form.get("show_name") == "1", now=clock.utcnow())
        message = N_("Your pledge is changed.")
    return form_view(request, act, again=_again(request, "delivery/project.html", f"pledge{pledge_id}", values),
                     message=message, done=lambda item: _to_project(request, item.project_id))


async def receipt_confirm(request: Request):
    """The pledger (on the project page) or a second staff member (on the manage page)
    confirms a receipt."""
    await read_form(request)
    db = get_db(request)
    actor = current_actor(request)
    entry_id = request.path_params["entry_id"]
    request.path_params["project_id"] = project_id = money.receipt_project_id(db, entry_id)
    staff = permissions.allowed("confirm_receipt", actor, load(db, project_id).path)
    return form_view(request, lambda: money.confirm_receipt(db, actor, entry_id, clock.utcnow()),
                     again=(_manage_again(request, f"receipt{entry_id}") if staff
                            else _again(request, "delivery/project.html", f"receipt{entry_id}")),
                     message=N_("The receipt is confirmed."),
                     done=lambda entry: _to_project(request, project_id, "project_manage" if staff else "project"))


async def sign(request: Request):
    form = await read_form(request, max_files=1)
    db = get_db(request)
    pid = request.path_params["project_id"]
    record = (await files(form, "record") or [None])[0]
    return form_view(request, lambda: works.sign_acceptance(db, current_actor(request), pid,
                                                            note=str(form.get("note", "")), record=record,
                                                            media_dir=_media_dir(request), now=clock.utcnow()),
                     again=_again(request, "delivery/project.html", "sign"),
                     message=N_("Your signature of the acceptance is recorded."),
                     done=lambda item: _to_project(request, item.project_id))


async def notice_page(request: Request):
    """The printable A4 公示 of the accounts, with a QR code to the project page."""
    context = project_context(request, request.path_params["project_id"])
    url = str(request.url_for("project", project_id=context["project"].id))
    return _render(request, "delivery/notice.html", {**context, "qr": qr_svg(url, 4), "page_url": url})


async def progress_page(request: Request):
    """The printable A4 notice of a project's progress (进展公示): state, responsible
    parties, milestones with their photos, acceptance, and a QR code to the project page.
    A print stylesheet makes the A4 page (no PDF library is a dependency)."""
    context = project_context(request, request.path_params["project_id"])
    url = str(request.url_for("project", project_id=context["project"].id))
    return _render(request, "delivery/progress.html", {**context, "qr": qr_svg(url, 4), "page_url": url})


# -- staff ----------------------------------------------------------------------------


def _staff_context(request: Request, project_id, **extra) -> dict:
    context = project_context(request, project_id, **extra)
    if not context["may"]["manage"]:
        require(request, "manage_project", context["place"].ids_from_root)
    project = context["project"]
    context.setdefault("project_values", {
        **{k: getattr(project, k) for k in projects.ProjectInput.__dataclass_fields__ if k != "budget"},
        "budget": format_yuan(project.budget_fen)})
    return context


async def manage_page(request: Request):
    return _render(request, "delivery/manage.html", _staff_context(request, request.path_params["project_id"]))


def _manage_again(request: Request, form_name: str, values: dict | None = None) -> FormPage:
    return FormPage("delivery/manage.html", lambda **problem: _staff_context(
        request, request.path_params["project_id"], form_name=form_name, values=values or {}, **problem))


async def move(request: Request):
    form = await read_form(request)
    action = request.path_params["action"]
    if action not in rules.MOVES:
        raise UserError(N_("This step does not exist."), code="bad_step")
    db = get_db(request)
    return form_view(request, lambda: projects.move(db, current_actor(request), request.path_params["project_id"],
                                                    action, clock.utcnow(), note=str(form.get("note", ""))),
                     again=_manage_again(request, "move"), message=N_("The project's state is changed."),
                     done=lambda p: _to_project(request, p.id, "project_manage"))


async def edit(request: Request):
    form = await read_form(request)
    data = projects.ProjectInput(**_text(form, *projects.ProjectInput.__dataclass_fields__))
    db = get_db(request)
    return form_view(request, lambda: projects.edit(db, current_actor(request), request.path_params["project_id"],
                                                    data, clock.utcnow()),
                     again=_manage_again(request, "edit", vars(data)), message=N_("The project is saved."),
                     done=lambda p: _to_project(request, p.id, "project_manage"))


async def add_line(request: Request):
    form = await read_form(request)
    db = get_db(request)
    values = _text(form, "name")
    return form_view(request, lambda: money.add_line(db, current_actor(request), request.path_params["project_id"],
                                                     name=values["name"], required=form.get("required") == "1",
                                                     now=clock.utcnow()),
                     again=_manage_again(request, "line", values), message=N_("The budget line is added."),
                     done=lambda line: _to_project(request, line.project_id, "project_manage"))


async def add_entry(request: Request):
    form = await read_form(request)
    db = get_db(request)
    values = _text(form, "line_id", "kind", "source", "amount", "reason")
    return form_view(request, lambda: money.add_entry(db, current_actor(request), request.path_params["project_id"],
                                                      now=clock.utcnow(), **values),
                     again=_manage_again(request, "entry", values), message=N_("The entry is added to the accounts."),
                     done=lambda e: _to_project(request, e.project_id, "project_manage"))


async def meeting(request: Request):
    form = await read_form(request, max_files=1)
    db = get_db(request)
    values = _text(form, "meeting_on", "appeal_partner")
    uploaded = await files(form, "record")

    def act():
        scans = works.processed_photos(uploaded, "record", 1)
        key = works.store_photos(scans, _media_dir(request))[0] if scans else None
        return projects.record_meeting(db, current_actor(request), request.path_params["project_id"],
                                       meeting_on=rules.parse_date(values["meeting_on"]), record_key=key,
                                       public_appeal=form.get("public_appeal") == "1",
                                       appeal_partner=values["appeal_partner"], now=clock.utcnow())

    return form_view(request, act, again=_manage_again(request, "meeting", values),
                     message=N_("The residents' meeting decision is recorded."),
                     done=lambda p: _to_project(request, p.id, "project_manage"))


async def pledge_step(request: Request):
    form = await read_form(request, max_files=1)
    db = get_db(request)
    actor = current_actor(request)
    pledge_id = request.path_params["pledge_id"]
    step = request.path_params["step"]
    request.path_params["project_id"] = money.project_of(db, pledge_id).id
    values = _text(form, "quantity", "receipt", "note")
    scans = await files(form, "receipt_file")

    def act():
        now = clock.utcnow()
        if step == "confirm":
            return money.confirm_pledge(db, actor, pledge_id, now)
        if step == "receive":
            processed = works.processed_photos(scans, "receipt_file", 1)
            key = works.store_photos(processed, _media_dir(request))[0] if processed else None
            return money.receive_pledge(db, actor, pledge_id, quantity=values["quantity"], receipt=values["receipt"],
                                        receipt_key=key, note=values["note"], now=now)
        return money.use_pledge(db, actor, pledge_id, action=step, quantity=values["quantity"],
                                note=values["note"], now=now)

    if step not in ("confirm", "receive", "use", "return"):
        raise UserError(N_("This step does not exist."), code="bad_step")
    return form_view(request, act, again=_manage_again(request, f"pledge{pledge_id}", values),
                     message=N_("The pledge's step is recorded."),
                     done=lambda item: _to_project(request, item.project_id, "project_manage"))


async def milestone(request: Request):
    form = await read_form(request, max_files=rules.MAX_PHOTOS + rules.MAX_DOCUMENTS + 1)
    db = get_db(request)
    values = _text(form, "title", "happened_on", "body", "phase")
    photos = await files(form, "photos")
    documents = await named_files(form, "documents")
    return form_view(request, lambda: works.add_milestone(
        db, current_actor(request), request.path_params["project_id"], title=values["title"],
        happened_on=rules.parse_date(values["happened_on"]), body=values["body"], phase=values["phase"],
        photos=photos, documents=documents, media_dir=_media_dir(request), now=clock.utcnow()),
        again=_manage_again(request, "milestone", values), message=N_("The milestone is added."),
        done=lambda m: _to_project(request, m.project_id, "project_manage"))


async def document(request: Request):
    """A milestone's PDF, as a download (never shown inline)."""
    item, path = works.document_file(get_db(request), request.path_params["document_id"], _media_dir(request))
    return download_file(path, item.filename, PDF_TYPE, sha256=item.key)


async def paper_rating(request: Request):
    form = await read_form(request)
    db = get_db(request)
    values = _text(form, "card", "stars", "comment")
    return form_view(request, lambda: works.enter_paper_rating(
        db, current_actor(request), request.path_params["project_id"], now=clock.utcnow(), **values),
        again=_manage_again(request, "paper_rating", values), message=N_("The rating card is entered."),
        done=lambda r: _to_project(request, r.project_id, "project_manage"))


# -- safety checks --------------------------------------------------------------------


def _check_context(request: Request, **extra) -> dict:
    context = _staff_context(request, request.path_params["project_id"], **extra)
    context["today_text"] = context["today"].isoformat()
    return context


async def check_page(request: Request):
    return _render(request, "delivery/check.html", _check_context(request))


async def checklist_page(request: Request):
    """The printable paper checklist; its QR code opens the check on a phone."""
    context = _check_context(request)
    url = str(request.url_for("project_check", project_id=context["project"].id))
    return _render(request, "delivery/checklist.html", {**context, "qr": qr_svg(url, 4), "check_url": url})


async def record_check(request: Request):
    form = await read_form(request, max_files=24)
    db = get_db(request)
    project = load(db, request.path_params["project_id"]).project
    items, values = {}, dict(form.items())
    for key, _label in rules.CHECKLISTS[project.kind]:
        items[key] = register.ItemInput(
            result=str(form.get(f"item_{key}", "")), note=str(form.get(f"note_{key}", "")),
            photos=await files(form, f"photos_{key}"), repair_party=str(form.get(f"party_{key}", "")),
            repair_unit=str(form.get(f"unit_{key}", "")), repair_due=rules.parse_date(form.get(f"due_on_{key}")))
    values = {k: str(v) for k, v in values.items() if isinstance(v, str)}
    return form_view(request, lambda: register.record_check(
        db, current_actor(request), project.id, checked_on=rules.parse_date(form.get("checked_on")),
        items=items, media_dir=_media_dir(request), now=clock.utcnow()),
        again=FormPage("delivery/check.html", lambda **problem: _check_context(request, values=values, **problem)),
        message=N_("The safety check is recorded."),
        done=lambda c: _to_project(request, c.project_id, "project_manage"))


async def recheck(request: Request):
    form = await read_form(request, max_files=3)
    db = get_db(request)
    repair_id = request.path_params["repair_id"]
    request.path_params["project_id"] = register.repair_project_id(db, repair_id)
    photos = await files(form, "photos")
    return form_view(request, lambda: register.recheck_repair(
        db, current_actor(request), repair_id, result=str(form.get("result", "")), note=str(form.get("note", "")),
        photos=photos, media_dir=_media_dir(request), now=clock.utcnow()),
        again=_manage_again(request, f"repair{repair_id}"),
        message=N_("The re-check is recorded."),
        done=lambda r: _to_project(request, r.project_id, "project_manage"))


async def register_page(request: Request):
    actor = require(request, "view_staff_area")
    db = get_db(request)
    today = clock.utcnow().date()
    mine = places.staff_places(actor, db)
    root = any(len(p.ids_from_root) == 1 for p in mine)
    areas = None if root else sorted({rules.area_of(p.ids_from_root) or p.id for p in mine})
    return _render(request, "delivery/register.html", {
        "due": register.due_list(db, today, area_ids=areas), "counts": register.register_counts(db, today),
        "today": today, "export_names": exports.NAMES})


# -- creating and exporting -----------------------------------------------------------


def _new_context(request: Request, **extra) -> dict:
    actor = require(request, "view_staff_area")
    context = {"places": places.staff_places(actor, get_db(request)), "values": {"year": str(clock.utcnow().year)},
               "errors": {}, "error": None, "names": NAMES, "yuan": rules.yuan}
    context.update(extra)
    return context


async def new_page(request: Request):
    return _render(request, "delivery/new.html", _new_context(request))


async def create(request: Request):
    form = await read_form(request)
    db = get_db(request)
    data = projects.ProjectInput(**_text(form, *projects.ProjectInput.__dataclass_fields__))
    values = {**vars(data), **_text(form, "place_id", "year")}
    year = parse_id(values["year"]) or clock.utcnow().year
    return form_view(request, lambda: projects.create(db, current_actor(request), place_id=values["place_id"],
                                                      year=year, data=data, now=clock.utcnow()),
                     again=FormPage("delivery/new.html", lambda **problem: _new_context(request, values=values, **problem)),
                     message=N_("The project is created."),
                     done=lambda p: _to_project(request, p.id, "project_manage"))


async def export(request: Request):
    actor = require(request, "view_staff_area")
    what = request.path_params["what"]
    fmt = request.path_params["fmt"]
    if what not in exports.TABLES or fmt not in ("csv", "xlsx"):
        raise UserError(N_("This export does not exist."), code="bad_export")
    db = get_db(request)
    t = translator_for(request)
    rows = exports.TABLES[what](db, exports.scope_areas(db, actor))
    name = t(exports.NAMES[what])
    if fmt == "csv":
        return download(exports.csv_bytes(what, rows, t), f"{name}.csv", CSV_TYPE)
    return download(exports.xlsx(what, rows, t), f"{name}.xlsx", XLSX_TYPE)


routes = [
    Route("/projects", overview_page, methods=["GET"], name="projects"),
    Route("/projects/{project_id:int}", project_page, methods=["GET"], name="project"),
    Route("/projects/{project_id:int}/notice", notice_page, methods=["GET"], name="project_notice"),
    Route("/projects/{project_id:int}/progress", progress_page, methods=["GET"], name="project_progress"),
    Route("/projects/{project_id:int}/rate", rate, methods=["POST"], name="project_rate"),
    Route("/projects/{project_id:int}/pledges", pledge, methods=["POST"], name="project_pledge"),
    Route("/pledges/{pledge_id:int}/change", pledge_change, methods=["POST"], name="pledge_change"),
    Route("/projects/{project_id:int}/sign", sign, methods=["POST"], name="project_sign"),
    Route("/receipts/{entry_id:int}/confirm", receipt_confirm, methods=["POST"], name="receipt_confirm"),
    Route("/projects/{project_id:int}/manage", manage_page, methods=["GET"], name="project_manage"),
    Route("/projects/{project_id:int}/edit", edit, methods=["POST"], name="project_edit"),
    Route("/projects/{project_id:int}/move/{action}", move, methods=["POST"], name="project_move"),
    Route("/projects/{project_id:int}/lines", add_line, methods=["POST"], name="project_line"),
    Route("/projects/{project_id:int}/entries", add_entry, methods=["POST"], name="project_entry"),
    Route("/projects/{project_id:int}/meeting", meeting, methods=["POST"], name="project_meeting"),
    Route("/pledges/{pledge_id:int}/{step}", pledge_step, methods=["POST"], name="pledge_step"),
    Route("/projects/{project_id:int}/milestones", milestone, methods=["POST"], name="project_milestone"),
    Route("/project-documents/{document_id:int}", document, methods=["GET"], name="project_document"),
    Route("/projects/{project_id:int}/paper-rating", paper_rating, methods=["POST"], name="project_paper_rating"),
    Route("/projects/{project_id:int}/check", check_page, methods=["GET"], name="project_check"),
    Route("/projects/{project_id:int}/checklist", checklist_page, methods=["GET"], name="project_checklist"),
    Route("/projects/{project_id:int}/checks", record_check, methods=["POST"], name="project_record_check"),
    Route("/repairs/{repair_id:int}/recheck", recheck, methods=["POST"], name="repair_recheck"),
    Route("/staff/register", register_page, methods=["GET"], name="delivery_register"),
    Route("/staff/projects/new", new_page, methods=["GET"], name="project_new"),
    Route("/staff/projects", create, methods=["POST"], name="project_create"),
    Route("/staff/projects/export/{what}.{fmt}", export, methods=["GET"], name="projects_export"),
]
