"""The idea form: a new draft, editing, the check before it goes public, submitting
and withdrawing."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock, permissions
from consult.consultations import rules, services
from consult.consultations.models import Consultation, Idea
from consult.consultations.routes.common import _path_param, _photos, _settings, render
from consult.consultations.routes.idea import _idea_error
from consult.errors import FieldErrors, Forbidden, UserError
from consult.i18n import N_, Msg
from consult.web.auth import current_actor, current_user, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.responses import flash, redirect_to

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
