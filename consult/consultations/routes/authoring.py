"""The idea form: a new draft, editing, the check before it goes public, submitting
and withdrawing."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from consult import clock, permissions
from consult.consultations import rules, services
from consult.consultations.models import Consultation, Idea
from consult.consultations.routes.common import _path_param, _photos, _settings, again, render
from consult.consultations.routes.idea import _idea_again
from consult.errors import FieldErrors, Forbidden
from consult.i18n import N_, Msg
from consult.web.auth import current_actor, current_user, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db, keep_writes
from consult.web.forms import form_view
from consult.web.responses import flash, redirect_to

_IDEA_FIELDS = ("title", "description", "category_id", "place_id", "estimated_cost")


def _idea_form_context(request: Request, consultation: Consultation, *, idea: Idea | None,
                       form: dict, errors: dict, kept: list | None = None) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    scope = services.scope_of(db, consultation)
    return {
        "consultation": consultation, "idea": idea, "form": form, "errors": errors,
        "category_options": [(c.id, c.name) for c in services.categories_of(db, consultation.id)],
        "place_options": [(p.id, p.name) for p in services.idea_place_choices(db, actor, scope)],
        "photos": services.photos_of(db, idea.id) if idea else [],
        "max_photos": rules.MAX_PHOTOS,
        # photos sent with the form's refused tries, kept under form["photo_token"]
        "kept_photos": kept or [],
    }


def _idea_form(request: Request, consultation: Consultation, *, idea: Idea | None, form: dict):
    return render(request, "consultations/idea_form.html",
                  _idea_form_context(request, consultation, idea=idea, form=form, errors={}))


def _idea_form_again(request: Request, idea: Idea | None, form: dict, sent: _SentPhotos,
                     consultation: Consultation | None = None):
    """The idea form shown again with its fields' messages, the request's writes rolled back,
    and the photos sent so far kept for the next try (issue 16 item 6: a browser keeps no
    chosen file): those writes are kept though the answer is an error."""

    def build(errors: dict) -> dict:
        db = get_db(request)
        db.rollback()
        token, kept = services.keep_photos(db, current_actor(request).user_id, sent.token, sent.photos,
                                           sent.remove, media_dir=_settings(request).media_dir,
                                           now=clock.utcnow())
        keep_writes(request)
        shown = consultation or services.get_consultation(db, idea.consultation_id)
        return _idea_form_context(request, shown, idea=idea, form={**form, "photo_token": token},
                                  errors=errors, kept=kept)

    return again("consultations/idea_form.html", build, shows=(FieldErrors,))


@dataclass(frozen=True)
class _SentPhotos:
    """The photos an idea form carries: sent now, and kept from its refused tries (their
    token, and those ticked to remove)."""

    photos: list[bytes]
    token: str
    remove: list[str]

    @classmethod
    async def read(cls, form) -> _SentPhotos:
        return cls(await _photos(form), str(form.get("photo_token", "")),
                   [str(v) for v in form.getlist("remove_kept")])

    def service_args(self) -> dict:
        return {"photos": self.photos, "photo_token": self.token, "remove_kept": self.remove}


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
    return _idea_form(request, consultation, idea=None,
                      form={"place_id": str(own.id) if own else "",
                            "title": request.query_params.get("title", "")[:rules.TITLE_MAX]})


async def idea_create(request: Request):
    form = await read_form(request, max_files=rules.MAX_PHOTOS)
    db = get_db(request)
    consultation = services.get_consultation(db, _path_param(request, "cid"))
    user = require_user(request)
    values = {k: str(form.get(k, "")) for k in _IDEA_FIELDS}
    sent = await _SentPhotos.read(form)
    return form_view(
        request, lambda: services.create_draft(
            db, current_actor(request), user, consultation, **values, **sent.service_args(),
            media_dir=_settings(request).media_dir, now=clock.utcnow()),
        again=_idea_form_again(request, None, {**values, "photos_sent": len(sent.photos)}, sent, consultation),
        done=lambda idea: redirect_to(request, "idea_confirm", iid=idea.id))


async def idea_edit(request: Request):
    db = get_db(request)
    idea = services.visible_idea(db, current_actor(request), _path_param(request, "iid"))
    require_user(request)
    consultation = services.get_consultation(db, idea.consultation_id)
    form = {"title": idea.title, "description": idea.description,
            "category_id": str(idea.category_id), "place_id": str(idea.place_id),
            "estimated_cost": rules.format_yuan(idea.estimated_cost_fen)}
    return _idea_form(request, consultation, idea=idea, form=form)


async def idea_update(request: Request):
    form = await read_form(request, max_files=rules.MAX_PHOTOS)
    db = get_db(request)
    actor = current_actor(request)
    idea = services.visible_idea(db, actor, _path_param(request, "iid"))
    require_user(request)
    values = {k: str(form.get(k, "")) for k in _IDEA_FIELDS}
    sent = await _SentPhotos.read(form)

    def act() -> Idea:
        services.update_idea(db, actor, idea, **values, **sent.service_args(),
                             remove_photos=[str(v) for v in form.getlist("remove_photo")],
                             media_dir=_settings(request).media_dir, now=clock.utcnow())
        return idea

    # a draft goes on to the check before it goes public; a public idea says its new version
    return form_view(
        request, act, again=_idea_form_again(request, idea, {**values, "photos_sent": len(sent.photos)}, sent),
        message=lambda saved: None if saved.state == "draft" else Msg(
            N_("Your changes were saved as version %(n)s."), {"n": saved.version}),
        done=lambda saved: redirect_to(request, "idea_confirm" if saved.state == "draft" else "idea",
                                       iid=saved.id))


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
    return form_view(request, lambda: services.withdraw_idea(db, actor, idea, clock.utcnow()),
                     again=_idea_again(request, idea.id), message=N_("The idea was withdrawn."),
                     done=lambda _: redirect_to(request, "my_ideas"))
