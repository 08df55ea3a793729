"""The consultations' own pages: the overview, one consultation, creating and managing
it, and the forms that add, change, close, extend and carry its rounds."""

from __future__ import annotations

from starlette.requests import Request

from consult import clock, permissions
from consult.consultations import rules, services
from consult.consultations.models import Consultation
from consult.consultations.routes.common import _path_param, again, render
from consult.errors import FieldErrors, Forbidden, NotSignedIn
from consult.i18n import N_, Msg
from consult.parsing import parse_local_datetime
from consult.web.auth import current_actor, current_user, refusal, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import form_view
from consult.web.responses import redirect_to


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


def _new_form_context(request: Request, form: dict, errors: dict) -> dict:
    scopes = services.manageable_scopes(get_db(request), current_actor(request))
    if not scopes:
        raise Forbidden()
    return {"scopes": [(p.id, p.name) for p in scopes], "form": form, "errors": errors}


async def consultation_new(request: Request):
    require_user(request)
    return render(request, "consultations/consultation_form.html", _new_form_context(
        request, {"year": str(clock.to_local(clock.utcnow()).year),
                  "categories": "\n".join(rules.DEFAULT_CATEGORIES)}, {}))


_CONSULTATION_FIELDS = ("scope_place_id", "title", "year", "description", "budget", "categories")


async def consultation_create(request: Request):
    form = await read_form(request)
    actor = require(request, "use_account")
    values = {k: str(form.get(k, "")) for k in _CONSULTATION_FIELDS}
    return form_view(
        request, lambda: services.create_consultation(get_db(request), actor, **values),
        again=again("consultations/consultation_form.html",
                    lambda errors: _new_form_context(request, values, errors), shows=(FieldErrors,)),
        message=N_("The consultation was created. Now add its rounds."),
        done=lambda consultation: redirect_to(request, "consultation_manage", cid=consultation.id))


def _manage_context(request: Request, consultation: Consultation, *, form=None, errors=None,
                    forms=None) -> dict:
    db = get_db(request)
    scope = services.scope_of(db, consultation)
    if not permissions.allowed("manage_consultation", current_actor(request), scope.ids_from_root):
        if not current_user(request):
            raise NotSignedIn()
        raise Forbidden(refusal(request, "manage_consultation", scope.ids_from_root))
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

    def shown_again(errors: dict) -> dict:
        db.expire(consultation)  # the page shows the consultation as stored
        return _manage_context(request, consultation, form=values, errors=errors)

    return form_view(
        request, lambda: services.update_consultation(db, actor, consultation, **values),
        again=again("consultations/manage.html", shown_again, shows=(FieldErrors,)),
        message=N_("Saved."),
        done=lambda _: redirect_to(request, "consultation_manage", cid=consultation.id))


def _round_form(form) -> dict:
    return {k: str(form.get(k, "")) for k in ("kind", "title", "opens_at", "closes_at",
                                               "ideas_per_resident", "supports_needed",
                                               "reason", "open_next", "move_later")}


async def _round_action(request: Request, action: str):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    values = _round_form(form)
    if action == "add":
        consultation = services.get_consultation(db, _path_param(request, "cid"))
        key = "new"
    else:
        item = services.get_round(db, _path_param(request, "rid"), lock=True)
        consultation = services.get_consultation(db, item.consultation_id)
        key = f"{action}-{item.id}"
    now = clock.utcnow()  # once the round is locked

    def act() -> Msg:
        """The change, and what the page says of it."""
        if action == "add":
            services.add_round(
                db, actor, consultation, kind=values["kind"], title=values["title"],
                opens_at=parse_local_datetime(values["opens_at"]),
                closes_at=parse_local_datetime(values["closes_at"]),
                ideas_per_resident=values["ideas_per_resident"] or "3",
                supports_needed=values["supports_needed"] or "0")
            return Msg(N_("The round was added."))
        elif action == "edit":
            services.update_round(
                db, actor, item, title=values["title"],
                opens_at=parse_local_datetime(values["opens_at"]),
                closes_at=parse_local_datetime(values["closes_at"]),
                ideas_per_resident=values["ideas_per_resident"] or "0",
                supports_needed=values["supports_needed"] or "0", now=now)
            return Msg(N_("The round was changed."))
        elif action == "close":
            carried = services.close_round(db, actor, item, reason=values["reason"], now=now,
                                           open_next=values["open_next"] == "1")
            return Msg(N_("The round was closed; %(n)s ideas were carried into the next round."),
                       {"n": carried})
        elif action == "extend":
            services.extend_round(db, actor, item, reason=values["reason"], now=now,
                                  closes_at=parse_local_datetime(values["closes_at"]),
                                  move_later=values["move_later"] == "1")
            return Msg(N_("The round was extended."))
        carried = services.carry_forward(db, actor, item, now)
        return Msg(N_("%(n)s ideas were carried into the next round."), {"n": carried})

    def shown_again(errors: dict | None = None, error: Msg | None = None) -> dict:
        """The manage page as it was, the problem shown at the round's own form."""
        db.rollback()
        shown = {"values": values, "errors": errors} if errors is not None else {
            "values": values, "errors": {}, "error": error}
        return _manage_context(request, consultation, forms={key: shown})

    return form_view(request, act, again=again("consultations/manage.html", shown_again),
                     message=lambda said: said,
                     done=lambda _: redirect_to(request, "consultation_manage", cid=consultation.id))


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
