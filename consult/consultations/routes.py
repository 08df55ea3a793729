"""Consultation pages. Thin: parse → service → respond; POSTs answer 303 or re-render with errors.

Template contexts (tests read ``response.context``):
consultations: ``summaries``; consultation: ``consultation``, ``scope``, ``steps``,
``categories``, ``current``, ``can_submit``, ``can_manage``, ``can_review``, ``can_export``;
ideas: ``consultation`` (a light row: id, title, scope_place_id, ideas_version),
``scope``, ``page`` (``IdeaPage``), ``filters``, ``categories``, ``places``, ``body``
(the rendered list, maybe from the page cache); idea: ``detail``, ``can``, ``review_actions``, ``merge_targets``, ``errors``,
``error``; idea_form: ``consultation``, ``idea``, ``form``, ``errors``,
``category_options``, ``place_options``, ``photos``; idea_confirm: ``idea``, ``similar``; diff: ``idea``, ``diffs``,
``old``, ``new``, ``versions``; review: ``consultation``, ``rows``, ``reported``,
``errors``, ``error``; stats: ``stats``, ``by_state``, ``charts``; manage: ``consultation``, ``steps``,
``form``, ``errors``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Route

from consult import clock, permissions
from consult.cache import Cache
from consult.consultations import charts, exports, rules, services
from consult.consultations.models import Comment, Consultation, Idea
from consult.db.ids import parse_count
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound, NotSignedIn, UserError
from consult.i18n import N_, Msg
from consult.parsing import parse_local_datetime
from consult.web.auth import current_actor, current_user, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.downloads import CSV_TYPE, XLSX_TYPE, download, qr_svg
from consult.web.responses import flash, redirect_to
from consult.web.routing import path_for
from consult.web.templating import locale_of, render_fragment, translator_for
from consult.web.templating import render as _render

_MEDIA_NAME = re.compile(r"[0-9a-f]{64}(?:_t)?\.jpg")
YEAR_SECONDS = 365 * 24 * 3600
#: the names of states, kinds, roles… every consultation template gets as ``names``
NAMES = {
    "state": rules.STATE_NAMES, "kind": rules.ROUND_KIND_NAMES,
    "round_state": rules.ROUND_STATE_NAMES, "role": rules.ACTOR_ROLE_NAMES,
    "sort": rules.SORTS, "review": rules.REVIEW_ACTION_NAMES, "pipeline": rules.PIPELINE_COUNTS,
}


def render(request: Request, name: str, context: dict, status: int = 200):
    return _render(request, name, {"names": NAMES, "timeline_text": rules.timeline_text,
                                   **context}, status=status)


def _settings(request: Request):
    return request.app.state.settings


def _path_param(request: Request, name: str) -> int:
    """An id from the address: ``{name:int}`` takes at most 9 digits, so it fits the
    database (``consult.web.routing.DatabaseIntConvertor``)."""
    return request.path_params[name]


def _linker(request: Request, name: str, param: str, sample: int | str):
    """A cheap ``url(name, param=value)`` for long lists.

    ``url_path_for`` walks every route of the app, which for the 20 items of a list
    was the page's largest cost; here the sample's path comes from the app's kept links
    (``path_for``), and each link is string joining.
    """
    head, tail = path_for(request.app, name, **{param: sample}).split(str(sample), 1)
    return lambda value: f"{head}{value}{tail}"


async def _photos(form) -> list[bytes]:
    """The uploaded photo files that carry something (an empty file input sends nothing useful)."""
    files = []
    for item in form.getlist("photos"):
        if hasattr(item, "read") and getattr(item, "filename", None):
            data = await item.read()
            if data:
                files.append(data)
    return files


# -- consultations ------------------------------------------------------------------------


async def consultations_page(request: Request):
    db = get_db(request)
    actor = current_actor(request)
    return render(request, "consultations/list.html", {
        "summaries": services.consultations_overview(db, actor, clock.utcnow()),
        "can_create": bool(services.manageable_scopes(db, actor)),
    })


def _consultation_context(request: Request, consultation: Consultation) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    now = clock.utcnow()
    scope = services.scope_of(db, consultation)
    steps = services.pipeline(db, consultation, now)
    current = next((s.round for s in steps if s.state == "open"), None)
    choices = services.idea_place_choices(db, actor, scope) if current and current.kind == "collect" else []
    return {
        "consultation": consultation, "scope": scope, "steps": steps, "current": current,
        "categories": services.categories_of(db, consultation.id),
        "can_submit": any(permissions.allowed("submit_idea", actor, p.ids_from_root) for p in choices),
        "can_manage": permissions.allowed("manage_consultation", actor, scope.ids_from_root),
        "can_review": services.may_review_in(db, actor, consultation),
        "can_export": permissions.allowed("export_ideas", actor, scope.ids_from_root),
        "now": now,
    }


async def consultation_page(request: Request):
    consultation = services.get_consultation(get_db(request), _path_param(request, "cid"))
    return render(request, "consultations/consultation.html",
                  _consultation_context(request, consultation))


def _new_form(request: Request, form: dict, errors: dict, status: int = 200):
    scopes = services.manageable_scopes(get_db(request), current_actor(request))
    if not scopes:
        raise Forbidden()
    return render(request, "consultations/consultation_form.html",
                  {"scopes": [(p.id, p.name) for p in scopes], "form": form, "errors": errors},
                  status=status)


async def consultation_new(request: Request):
    require_user(request)
    return _new_form(request, {"year": str(clock.to_local(clock.utcnow()).year),
                               "categories": "\n".join(rules.DEFAULT_CATEGORIES)}, {})


_CONSULTATION_FIELDS = ("scope_place_id", "title", "year", "description", "budget", "categories")


async def consultation_create(request: Request):
    form = await read_form(request)
    actor = require(request, "use_account")
    values = {k: str(form.get(k, "")) for k in _CONSULTATION_FIELDS}
    try:
        consultation = services.create_consultation(get_db(request), actor, **values)
    except FieldErrors as exc:
        return _new_form(request, values, exc.errors, status=422)
    flash(request, Msg(N_("The consultation was created. Now add its rounds.")))
    return redirect_to(request, "consultation_manage", cid=consultation.id)


def _manage_context(request: Request, consultation: Consultation, *, form=None, errors=None,
                    forms=None) -> dict:
    db = get_db(request)
    scope = services.scope_of(db, consultation)
    if not permissions.allowed("manage_consultation", current_actor(request), scope.ids_from_root):
        raise Forbidden() if current_user(request) else NotSignedIn()
    categories = services.categories_of(db, consultation.id)
    return {
        "consultation": consultation, "scope": scope,
        "steps": services.pipeline(db, consultation, clock.utcnow()),
        "form": form or {
            "title": consultation.title, "year": str(consultation.year),
            "description": consultation.description,
            "budget": rules.format_yuan(consultation.budget_fen),
            "categories": "\n".join(c.name for c in categories),
        },
        "errors": errors or {},
        "forms": forms or {},
        "round_kinds": rules.ROUND_KINDS,
    }


async def consultation_manage(request: Request):
    consultation = services.get_consultation(get_db(request), _path_param(request, "cid"))
    return render(request, "consultations/manage.html", _manage_context(request, consultation))


async def consultation_update(request: Request):
    form = await read_form(request)
    db = get_db(request)
    consultation = services.get_consultation(db, _path_param(request, "cid"))
    actor = require(request, "use_account")
    values = {k: str(form.get(k, "")) for k in _CONSULTATION_FIELDS[1:]}
    try:
        services.update_consultation(db, actor, consultation, **values)
    except FieldErrors as exc:
        db.expire(consultation)
        return render(request, "consultations/manage.html",
                      _manage_context(request, consultation, form=values, errors=exc.errors),
                      status=422)
    flash(request, Msg(N_("Saved.")))
    return redirect_to(request, "consultation_manage", cid=consultation.id)


def _round_form(form) -> dict:
    return {k: str(form.get(k, "")) for k in ("kind", "title", "opens_at", "closes_at",
                                               "ideas_per_resident", "supports_needed",
                                               "reason", "open_next")}


async def _round_action(request: Request, action: str):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    now = clock.utcnow()
    values = _round_form(form)
    if action == "add":
        consultation = services.get_consultation(db, _path_param(request, "cid"))
        key = "new"
    else:
        item = services.get_round(db, _path_param(request, "rid"))
        consultation = services.get_consultation(db, item.consultation_id)
        key = f"{action}-{item.id}"
    try:
        if action == "add":
            services.add_round(
                db, actor, consultation, kind=values["kind"], title=values["title"],
                opens_at=parse_local_datetime(values["opens_at"]),
                closes_at=parse_local_datetime(values["closes_at"]),
                ideas_per_resident=values["ideas_per_resident"] or "3",
                supports_needed=values["supports_needed"] or "0")
            message = Msg(N_("The round was added."))
        elif action == "edit":
            services.update_round(
                db, actor, item, title=values["title"],
                opens_at=parse_local_datetime(values["opens_at"]),
                closes_at=parse_local_datetime(values["closes_at"]),
                ideas_per_resident=values["ideas_per_resident"] or "0",
                supports_needed=values["supports_needed"] or "0", now=now)
            message = Msg(N_("The round was changed."))
        elif action == "close":
            carried = services.close_round(db, actor, item, reason=values["reason"], now=now,
                                           open_next=values["open_next"] == "1")
            message = Msg(N_("The round was closed; %(n)s ideas were carried into the next round."),
                          {"n": carried})
        elif action == "extend":
            services.extend_round(db, actor, item, reason=values["reason"], now=now,
                                  closes_at=parse_local_datetime(values["closes_at"]))
            message = Msg(N_("The round was extended."))
        else:
            carried = services.carry_forward(db, actor, item, now)
            message = Msg(N_("%(n)s ideas were carried into the next round."), {"n": carried})
    except FieldErrors as exc:
        db.rollback()
        return render(request, "consultations/manage.html", _manage_context(
            request, consultation, forms={key: {"values": values, "errors": exc.errors}}),
            status=422)
    except UserError as exc:
        db.rollback()
        return render(request, "consultations/manage.html", _manage_context(
            request, consultation, forms={key: {"values": values, "errors": {}, "error": exc.msg}}),
            status=exc.status)
    flash(request, message)
    return redirect_to(request, "consultation_manage", cid=consultation.id)


async def round_add(request: Request):
    return await _round_action(request, "add")


async def round_edit(request: Request):
    return await _round_action(request, "edit")


async def round_close(request: Request):
    return await _round_action(request, "close")


async def round_extend(request: Request):
    return await _round_action(request, "extend")


async def round_carry(request: Request):
    return await _round_action(request, "carry")


# -- ideas: lists -------------------------------------------------------------------------


#: rendered list pages each worker keeps: about 16 KB each (HTML and the page's rows),
#: up to about 100 KB when every idea has a 2,000-character description
LIST_CACHE_ENTRIES = 256
#: filter values longer than this are never made by the form: served, but not cached
_CACHEABLE_LENGTH = 24


@dataclass(frozen=True, slots=True)
class ListItem:
    """One idea as the list shows it: plain strings, made once when the list is rendered."""

    href: str
    title: str
    state: str
    state_label: str
    category: str
    place: str
    supports: str
    comments: str
    cost_fen: int | None
    thumb: str | None


@dataclass(frozen=True)
class ListView:
    """What the idea list shows below the page header; cached whole (see ``ideas_page``)."""

    scope: object
    page: services.IdeaPage
    categories: list
    places: list
    body: Markup


def _list_cache(request: Request) -> Cache:
    cache = getattr(request.app.state, "ideas_list_cache", None)
    if cache is None:
        cache = Cache(LIST_CACHE_ENTRIES, _settings(request).public_cache_seconds)
        request.app.state.ideas_list_cache = cache
    return cache


def _list_view(request: Request, consultation, filters: dict, page_number: str) -> ListView:
    db = get_db(request)
    page = services.list_ideas(db, consultation, category_id=filters["category"] or None,
                               state=filters["state"] or None, place_id=filters["place"] or None,
                               sort=filters["sort"], page=page_number)
    menus = services.list_menus(db, consultation, filters["place"] or None)
    t = translator_for(request)
    states = {k: t(v) for k, v in rules.STATE_NAMES.items()}
    supports, comments = t(N_("%(n)s supports")), t(N_("%(n)s comments"))
    idea_href = _linker(request, "idea", "iid", 987654321)
    media_href = _linker(request, "media", "file", "MEDIA-FILE")
    items = [ListItem(
        href=idea_href(r.idea.id), title=r.idea.title, state=r.idea.state,
        state_label=states[r.idea.state], category=r.category_name, place=r.place_name,
        supports=supports % {"n": r.idea.support_count}, comments=comments % {"n": r.comment_count},
        cost_fen=r.idea.estimated_cost_fen,
        thumb=media_href(f"{r.photo_key}_t.jpg") if r.photo_key else None,
    ) for r in page.rows]
    body = render_fragment("consultations/_ideas_list.html", t, request=request, names=NAMES,
                           consultation=consultation, scope=menus.scope, page=page,
                           filters=filters, categories=menus.categories, places=menus.places,
                           items=items)
    return ListView(scope=menus.scope, page=page, categories=menus.categories,
                    places=menus.places, body=body)


async def ideas_page(request: Request):
    """The public idea list. Its body is the same for everyone, so each worker keeps the
    rendered body, keyed by the consultation's ``ideas_version`` (raised by every service
    that changes what a list shows: see ``services.ideas_changed``), the filters, the page
    and the language; a repeat costs one small statement instead of five and a render."""
    consultation = services.list_header(request.app.state.database, _path_param(request, "cid"))
    q = request.query_params
    filters = {"category": q.get("category", ""), "state": q.get("state", ""),
               "place": q.get("place", ""), "sort": q.get("sort", "newest")}
    if filters["sort"] not in rules.SORTS:
        filters["sort"] = "newest"
    page_number = q.get("page", "1")
    key = (consultation.id, consultation.ideas_version, locale_of(request), filters["category"],
           filters["state"], filters["place"], filters["sort"], page_number)
    cacheable = all(len(v) <= _CACHEABLE_LENGTH for v in key[3:])
    cache = _list_cache(request)
    view = cache.get(key) if cacheable else None
    if view is None:
        view = _list_view(request, consultation, filters, page_number)
        if cacheable:
            cache.put(key, view)
    return render(request, "consultations/ideas.html", {
        "consultation": consultation, "scope": view.scope, "page": view.page, "filters": filters,
        "categories": view.categories, "places": view.places, "body": view.body,
    })


async def my_ideas_page(request: Request):
    user = require_user(request)
    return render(request, "consultations/my_ideas.html",
                  {"items": services.my_ideas(get_db(request), user)})


# -- ideas: the form ----------------------------------------------------------------------

_IDEA_FIELDS = ("title", "description", "category_id", "place_id", "estimated_cost")


def _idea_form(request: Request, consultation: Consultation, *, idea: Idea | None, form: dict,
               errors: dict, status: int = 200):
    db = get_db(request)
    actor = current_actor(request)
    scope = services.scope_of(db, consultation)
    return render(request, "consultations/idea_form.html", {
        "consultation": consultation, "idea": idea, "form": form, "errors": errors,
        "category_options": [(c.id, c.name) for c in services.categories_of(db, consultation.id)],
        "place_options": [(p.id, p.name) for p in services.idea_place_choices(db, actor, scope)],
        "photos": services.photos_of(db, idea.id) if idea else [],
        "max_photos": rules.MAX_PHOTOS,
    }, status=status)


async def idea_new(request: Request):
    db = get_db(request)
    consultation = services.get_consultation(db, _path_param(request, "cid"))
    require_user(request)
    actor = current_actor(request)
    scope = services.scope_of(db, consultation)
    choices = services.idea_place_choices(db, actor, scope)
    if not any(permissions.allowed("submit_idea", actor, p.ids_from_root) for p in choices):
        raise Forbidden(N_("Only verified residents of this area can submit ideas here."))
    # preselect the resident's own area (the first place they may submit for)
    own = next((p for p in choices if permissions.allowed("submit_idea", actor, p.ids_from_root)), None)
    return _idea_form(request, consultation, idea=None, errors={},
                      form={"place_id": str(own.id) if own else "",
                            "title": request.query_params.get("title", "")[:rules.TITLE_MAX]})


async def idea_create(request: Request):
    form = await read_form(request, max_files=rules.MAX_PHOTOS)
    db = get_db(request)
    consultation = services.get_consultation(db, _path_param(request, "cid"))
    user = require_user(request)
    values = {k: str(form.get(k, "")) for k in _IDEA_FIELDS}
    try:
        idea = services.create_draft(
            db, current_actor(request), user, consultation, **values,
            photos=await _photos(form), media_dir=_settings(request).media_dir, now=clock.utcnow())
    except FieldErrors as exc:
        db.rollback()
        return _idea_form(request, consultation, idea=None, form=values, errors=exc.errors,
                          status=422)
    return redirect_to(request, "idea_confirm", iid=idea.id)


async def idea_edit(request: Request):
    db = get_db(request)
    idea = services.visible_idea(db, current_actor(request), _path_param(request, "iid"))
    require_user(request)
    consultation = services.get_consultation(db, idea.consultation_id)
    form = {"title": idea.title, "description": idea.description,
            "category_id": str(idea.category_id), "place_id": str(idea.place_id),
            "estimated_cost": rules.format_yuan(idea.estimated_cost_fen)}
    return _idea_form(request, consultation, idea=idea, form=form, errors={})


async def idea_update(request: Request):
    form = await read_form(request, max_files=rules.MAX_PHOTOS)
    db = get_db(request)
    actor = current_actor(request)
    idea = services.visible_idea(db, actor, _path_param(request, "iid"))
    require_user(request)
    values = {k: str(form.get(k, "")) for k in _IDEA_FIELDS}
    try:
        services.update_idea(db, actor, idea, **values, photos=await _photos(form),
                             remove_photos=[str(v) for v in form.getlist("remove_photo")],
                             media_dir=_settings(request).media_dir, now=clock.utcnow())
    except FieldErrors as exc:
        db.rollback()
        consultation = services.get_consultation(db, idea.consultation_id)
        return _idea_form(request, consultation, idea=idea, form=values, errors=exc.errors,
                          status=422)
    if idea.state == "draft":
        return redirect_to(request, "idea_confirm", iid=idea.id)
    flash(request, Msg(N_("Your changes were saved as version %(n)s."), {"n": idea.version}))
    return redirect_to(request, "idea", iid=idea.id)


async def idea_confirm(request: Request):
    """The step before a draft goes public: check it, and look at similar ideas first."""
    db = get_db(request)
    actor = current_actor(request)
    idea = services.visible_idea(db, actor, _path_param(request, "iid"))
    if idea.author_id != actor.user_id or idea.state != "draft":
        return redirect_to(request, "idea", iid=idea.id)
    return render(request, "consultations/idea_confirm.html", {
        "detail": services.idea_detail(db, idea, current_user(request), clock.utcnow()),
        "similar": services.similar_ideas(db, idea.consultation_id, idea.title, exclude=idea.id),
    })


async def idea_submit(request: Request):
    await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    idea = services.visible_idea(db, actor, _path_param(request, "iid"))
    services.submit_idea(db, actor, idea, clock.utcnow())
    flash(request, Msg(N_("Thank you! Your idea is now public; you can follow it on this page.")))
    return redirect_to(request, "idea", iid=idea.id)


async def idea_withdraw(request: Request):
    await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    idea = services.visible_idea(db, actor, _path_param(request, "iid"))
    try:
        services.withdraw_idea(db, actor, idea, clock.utcnow())
    except UserError as exc:
        return _idea_error(request, idea, exc)
    flash(request, Msg(N_("The idea was withdrawn.")))
    return redirect_to(request, "my_ideas")


# -- the idea page ------------------------------------------------------------------------


def _idea_context(request: Request, idea: Idea) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    user = current_user(request)
    now = clock.utcnow()
    detail = services.idea_detail(db, idea, user, now)
    path = detail.place.ids_from_root
    kind = detail.current_round.kind if detail.current_round else None
    state = detail.round_state
    is_author = user is not None and user.id == idea.author_id
    may_review = permissions.allowed("review_idea", actor, path)
    may_decide = permissions.may_decide("review_idea", actor, path, idea.author_id)
    review_actions = [a for a in rules.REVIEW_ACTIONS
                      if may_decide and rules.review_problem(a, idea.state, kind, state) is None]
    scope_path = services.scope_of(db, detail.consultation).ids_from_root
    can = {
        "support": (permissions.allowed("support_idea", actor, path) and not is_author
                    and rules.support_problem(idea.state, kind, state) is None),
        "comment": permissions.allowed("comment", actor, path) and idea.state != "draft",
        "report": permissions.allowed("report_comment", actor, path),
        "hide": permissions.allowed("hide_comment", actor, path),
        "edit": ((is_author and rules.edit_problem(idea.state, kind, state, False) is None)
                 or (may_review and idea.state != "draft"
                     and rules.edit_problem(idea.state, kind, state, True) is None)),
        "withdraw": is_author and rules.withdraw_problem(idea.state, kind) is None,
        "review": may_review,
        "review_own": may_review and not may_decide,  # waiting for another moderator
        "me": actor.user_id,
        "export": permissions.allowed("export_ideas", actor, scope_path),
        "is_author": is_author,
    }
    merge_targets = []
    if "merge" in review_actions:
        similar = services.similar_ideas(db, idea.consultation_id, idea.title, exclude=idea.id,
                                         limit=10)
        merge_targets = [i for i in similar if i.state in rules.ACTIVE
                         and i.author_id != actor.user_id]
    return {"detail": detail, "can": can, "review_actions": review_actions,
            "merge_targets": merge_targets, "errors": {}, "error": None, "form": {}}


async def idea_page(request: Request):
    db = get_db(request)
    idea = services.visible_idea(db, current_actor(request), _path_param(request, "iid"))
    if idea.state == "draft":
        return redirect_to(request, "idea_confirm", iid=idea.id)
    return render(request, "consultations/idea.html", _idea_context(request, idea))


def _idea_error(request: Request, idea: Idea, exc: UserError, form: dict | None = None):
    """Show the idea page again with the message, changing nothing."""
    db = get_db(request)
    db.rollback()
    idea = services.get_idea(db, idea.id)
    context = _idea_context(request, idea)
    context["form"] = form or {}
    if isinstance(exc, FieldErrors):
        context["errors"] = exc.errors
    else:
        context["error"] = exc.msg
    return render(request, "consultations/idea.html", context, status=exc.status)


async def idea_support(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    idea = services.visible_idea(db, actor, _path_param(request, "iid"))
    try:
        if form.get("support") == "0":
            services.unsupport_idea(db, actor, idea, clock.utcnow())
            flash(request, Msg(N_("Your support was withdrawn.")))
        else:
            services.support_idea(db, actor, idea, clock.utcnow())
            flash(request, Msg(N_("Thank you for your support.")))
    except UserError as exc:
        return _idea_error(request, idea, exc)
    return redirect_to(request, "idea", iid=idea.id)


async def idea_comment(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    idea = services.visible_idea(db, actor, _path_param(request, "iid"))
    values = {"body": str(form.get("body", "")), "parent_id": str(form.get("parent_id", ""))}
    try:
        comment = services.add_comment(db, actor, idea, body=values["body"],
                                       parent_id=values["parent_id"] or None, now=clock.utcnow())
    except UserError as exc:
        return _idea_error(request, idea, exc, form=values)
    flash(request, Msg(N_("Your comment was posted.")))
    response = redirect_to(request, "idea", iid=idea.id)
    response.headers["location"] += f"#c{comment.id}"
    return response


async def comment_report(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    comment = services.report_comment(db, actor, _path_param(request, "comment_id"),
                                      reason=str(form.get("reason", "")), now=clock.utcnow())
    flash(request, Msg(N_("Thank you. A moderator will look at this comment.")))
    return redirect_to(request, "idea", iid=comment.idea_id)


async def comment_hide(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    comment_id = _path_param(request, "comment_id")
    try:
        comment = services.hide_comment(db, actor, comment_id, reason=str(form.get("reason", "")),
                                        now=clock.utcnow())
    except (FieldErrors, UserError) as exc:
        idea = services.get_idea(db, db.get(Comment, comment_id).idea_id)
        return _idea_error(request, idea, _keyed(exc, f"hide-{comment_id}"))
    flash(request, Msg(N_("The comment was hidden.")))
    if form.get("next") == "review":
        idea = services.get_idea(db, comment.idea_id)
        return redirect_to(request, "review_queue", cid=idea.consultation_id)
    return redirect_to(request, "idea", iid=comment.idea_id)


async def comment_unhide(request: Request):
    await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    comment_id = _path_param(request, "comment_id")
    try:
        comment = services.unhide_comment(db, actor, comment_id, now=clock.utcnow())
    except Conflict as exc:
        idea = services.get_idea(db, db.get(Comment, comment_id).idea_id)
        return _idea_error(request, idea, exc)
    flash(request, Msg(N_("The comment is shown again.")))
    return redirect_to(request, "idea", iid=comment.idea_id)


def _keyed(exc: UserError, key: str) -> UserError:
    """Attach a form's errors to that form (several forms on one page share field names)."""
    if isinstance(exc, FieldErrors):
        return FieldErrors({key: next(iter(exc.errors.values()))})
    return exc


async def idea_review(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    idea = services.visible_idea(db, actor, _path_param(request, "iid"))
    action = str(form.get("action", ""))
    values = {"action": action, "note": str(form.get("note", "")),
              "target_id": str(form.get("target_id", ""))}
    try:
        services.review_idea(db, actor, idea, action, note=values["note"],
                             target_id=values["target_id"], now=clock.utcnow())
    except UserError as exc:
        return _idea_error(request, idea, _keyed(exc, f"review-{action}"), form=values)
    flash(request, Msg(N_("Done. The decision is on the idea's public timeline.")))
    return redirect_to(request, "idea", iid=idea.id)


async def idea_diff(request: Request):
    db = get_db(request)
    idea = services.visible_idea(db, current_actor(request), _path_param(request, "iid"))
    versions = services.versions(db, idea.id)
    if len(versions) < 1:
        raise NotFound()
    numbers = [v.number for v in versions]
    latest = numbers[-1]

    def pick(name: str, default: int) -> int:
        value = request.query_params.get(name, "")
        return number if (number := parse_count(value)) in numbers else default

    new = pick("to", latest)
    old = pick("from", max(1, new - 1))
    return render(request, "consultations/diff.html", {
        "idea": idea, "versions": versions, "old": old, "new": new,
        "diffs": services.diff_versions(db, idea, old, new), "labels": services.DIFF_LABELS,
    })


# -- committee pages ----------------------------------------------------------------------


def _review_context(request: Request, consultation: Consultation, **extra) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    if not actor.authenticated:
        raise NotSignedIn()
    if not services.may_review_in(db, actor, consultation):
        raise Forbidden()
    state = request.query_params.get("state", "")
    states = (state,) if state in rules.ACTIVE else ("submitted", "revision_requested", "shortlisted")
    context = {
        "consultation": consultation, "state": state,
        "rows": services.review_queue(db, actor, consultation, states),
        "me": actor.user_id,
        "reported": services.reported_comments(db, actor, consultation),
        "errors": {}, "error": None, "form": {},
    }
    context.update(extra)
    return context


async def review_page(request: Request):
    consultation = services.get_consultation(get_db(request), _path_param(request, "cid"))
    return render(request, "consultations/review.html", _review_context(request, consultation))


async def review_bulk(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    consultation = services.get_consultation(db, _path_param(request, "cid"))
    values = {"action": str(form.get("action", "")), "note": str(form.get("note", "")),
              "ideas": [str(v) for v in form.getlist("ideas")]}
    try:
        n = services.bulk_review(db, actor, consultation, values["ideas"], values["action"],
                                 note=values["note"], now=clock.utcnow())
    except UserError as exc:
        db.rollback()
        extra = {"form": values}
        if isinstance(exc, FieldErrors):
            extra["errors"] = exc.errors
        else:
            extra["error"] = exc.msg
        return render(request, "consultations/review.html",
                      _review_context(request, consultation, **extra), status=exc.status)
    flash(request, Msg(N_("%(n)s ideas were updated."), {"n": n}))
    return redirect_to(request, "review_queue", cid=consultation.id)


def _export_guard(request: Request) -> tuple[Consultation, object]:
    db = get_db(request)
    consultation = services.get_consultation(db, _path_param(request, "cid"))
    scope = services.scope_of(db, consultation)
    require(request, "export_ideas", scope.ids_from_root)
    return consultation, scope


async def stats_page(request: Request):
    consultation, scope = _export_guard(request)
    db = get_db(request)
    t = translator_for(request)
    figures = services.stats(db, consultation)
    by_state = [(t(rules.STATE_NAMES[s]), n) for s, n in figures.by_state]
    return render(request, "consultations/stats.html", {
        "consultation": consultation, "scope": scope, "stats": figures, "by_state": by_state,
        "charts": {
            "state": charts.bar_chart(by_state, title=t(N_("Ideas by state"))),
            "category": charts.bar_chart(figures.by_category, title=t(N_("Ideas by category"))),
            "area": charts.bar_chart(figures.by_area, title=t(N_("Ideas by residential area"))),
        },
    })


async def export_xlsx(request: Request):
    consultation, _ = _export_guard(request)
    rows = services.export_rows(get_db(request), consultation)
    data = exports.to_xlsx(rows, translator_for(request), title=consultation.title)
    return download(data, f"ideas-{consultation.id}.xlsx", XLSX_TYPE)


async def export_csv(request: Request):
    consultation, _ = _export_guard(request)
    rows = services.export_rows(get_db(request), consultation)
    data = exports.to_csv(rows, translator_for(request))
    return download(data, f"ideas-{consultation.id}.csv", CSV_TYPE)


async def consultation_notice(request: Request):
    consultation, scope = _export_guard(request)
    db = get_db(request)
    url = _settings(request).base_url + str(request.app.url_path_for("consultation", cid=consultation.id))
    return render(request, "consultations/notice.html", {
        "consultation": consultation, "scope": scope, "idea": None, "target_url": url,
        "qr": qr_svg(url),
        "steps": services.pipeline(db, consultation, clock.utcnow()),
        "categories": services.categories_of(db, consultation.id),
    })


async def idea_notice(request: Request):
    db = get_db(request)
    idea = services.visible_idea(db, current_actor(request), _path_param(request, "iid"))
    consultation = services.get_consultation(db, idea.consultation_id)
    scope = services.scope_of(db, consultation)
    require(request, "export_ideas", scope.ids_from_root)
    url = _settings(request).base_url + str(request.app.url_path_for("idea", iid=idea.id))
    return render(request, "consultations/notice.html", {
        "consultation": consultation, "scope": scope, "target_url": url, "qr": qr_svg(url),
        "idea": services.idea_detail(db, idea, None, clock.utcnow()), "steps": [],
        "categories": [],
    })


# -- photos -------------------------------------------------------------------------------


async def media(request: Request):
    """Serve a stored photo; names are content hashes, so they can be cached for a year."""
    name = request.path_params["file"]
    if not _MEDIA_NAME.fullmatch(name):
        raise NotFound()
    path = _settings(request).media_dir / name
    if not path.is_file():
        raise NotFound()
    return FileResponse(path, media_type="image/jpeg", headers={
        "cache-control": f"public, max-age={YEAR_SECONDS}, immutable"})


routes = [
    Route("/consultations", consultations_page, methods=["GET"], name="consultations"),
    Route("/consultations", consultation_create, methods=["POST"], name="consultation_create"),
    Route("/consultations/new", consultation_new, methods=["GET"], name="consultation_new"),
    Route("/consultations/{cid:int}", consultation_page, methods=["GET"], name="consultation"),
    Route("/consultations/{cid:int}/manage", consultation_manage, methods=["GET"],
          name="consultation_manage"),
    Route("/consultations/{cid:int}/manage", consultation_update, methods=["POST"],
          name="consultation_update"),
    Route("/consultations/{cid:int}/rounds", round_add, methods=["POST"], name="round_add"),
    Route("/rounds/{rid:int}/edit", round_edit, methods=["POST"], name="round_edit"),
    Route("/rounds/{rid:int}/close", round_close, methods=["POST"], name="round_close"),
    Route("/rounds/{rid:int}/extend", round_extend, methods=["POST"], name="round_extend"),
    Route("/rounds/{rid:int}/carry", round_carry, methods=["POST"], name="round_carry"),
    Route("/consultations/{cid:int}/ideas", ideas_page, methods=["GET"], name="ideas"),
    Route("/consultations/{cid:int}/ideas", idea_create, methods=["POST"], name="idea_create"),
    Route("/consultations/{cid:int}/ideas/new", idea_new, methods=["GET"], name="idea_new"),
    Route("/consultations/{cid:int}/review", review_page, methods=["GET"], name="review_queue"),
    Route("/consultations/{cid:int}/review", review_bulk, methods=["POST"], name="review_bulk"),
    Route("/consultations/{cid:int}/stats", stats_page, methods=["GET"], name="consultation_stats"),
    Route("/consultations/{cid:int}/export.xlsx", export_xlsx, methods=["GET"], name="export_xlsx"),
    Route("/consultations/{cid:int}/export.csv", export_csv, methods=["GET"], name="export_csv"),
    Route("/consultations/{cid:int}/notice", consultation_notice, methods=["GET"],
          name="consultation_notice"),
    Route("/ideas/{iid:int}", idea_page, methods=["GET"], name="idea"),
    Route("/ideas/{iid:int}/confirm", idea_confirm, methods=["GET"], name="idea_confirm"),
    Route("/ideas/{iid:int}/submit", idea_submit, methods=["POST"], name="idea_submit"),
    Route("/ideas/{iid:int}/edit", idea_edit, methods=["GET"], name="idea_edit"),
    Route("/ideas/{iid:int}/edit", idea_update, methods=["POST"], name="idea_update"),
    Route("/ideas/{iid:int}/withdraw", idea_withdraw, methods=["POST"], name="idea_withdraw"),
    Route("/ideas/{iid:int}/support", idea_support, methods=["POST"], name="idea_support"),
    Route("/ideas/{iid:int}/comments", idea_comment, methods=["POST"], name="idea_comment"),
    Route("/ideas/{iid:int}/review", idea_review, methods=["POST"], name="idea_review"),
    Route("/ideas/{iid:int}/versions", idea_diff, methods=["GET"], name="idea_diff"),
    Route("/ideas/{iid:int}/notice", idea_notice, methods=["GET"], name="idea_notice"),
    Route("/comments/{comment_id:int}/report", comment_report, methods=["POST"],
          name="comment_report"),
    Route("/comments/{comment_id:int}/hide", comment_hide, methods=["POST"], name="comment_hide"),
    Route("/comments/{comment_id:int}/unhide", comment_unhide, methods=["POST"], name="comment_unhide"),
    Route("/me/ideas", my_ideas_page, methods=["GET"], name="my_ideas"),
    Route("/media/{file}", media, methods=["GET"], name="media"),
]
