"""The staff outbox page: every message with its status, and 退订 recorded at the desk."""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult import clock
from consult.errors import FieldErrors
from consult.i18n import N_, Msg
from consult.messaging import rules, services
from consult.web.auth import require
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.responses import flash, redirect_to
from consult.web.templating import render


def _context(request: Request, actor, **extra) -> dict:
    status = request.query_params.get("status")
    status = status if status in rules.STATUSES else None
    db = get_db(request)
    config = services.current()
    return {"rows": services.outbox(db, actor, status=status), "status": status,
            "statuses": rules.STATUS_LABELS, "reasons": rules.REASONS,
            "templates": rules.TEMPLATES, "mask": rules.mask, "backend": config.backend.name,
            "reaches_phones": config.backend.reaches_phones,
            "opted_out": services.opted_out_count(db), "errors": {}, "form": {}, **extra}


async def outbox_page(request: Request):
    actor = require(request, "view_staff_area")
    return render(request, "messaging/outbox.html", _context(request, actor))


async def opt_out(request: Request):
    form = await read_form(request)
    actor = require(request, "record_sms_opt_out")
    phone = str(form.get("phone", ""))[:40]
    try:
        added = services.opt_out(get_db(request), actor, phone=phone, now=clock.utcnow())
    except FieldErrors as exc:
        return render(request, "messaging/outbox.html",
                      _context(request, actor, errors=exc.errors, form={"phone": phone}), status=422)
    flash(request, Msg(N_("%(phone)s gets no more notices by text message.") if added
                       else N_("%(phone)s had already unsubscribed."),
                       {"phone": rules.mask(rules.normalize(phone))}))
    return redirect_to(request, "outbox")


routes = [
    Route("/staff/messages", outbox_page, methods=["GET"], name="outbox"),
    Route("/staff/messages/opt-out", opt_out, methods=["POST"], name="outbox_opt_out"),
]
