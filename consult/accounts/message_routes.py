"""How I am told (issue 17 item 5): per topic, in the app, by text message, or both;
and taking back a 退订. Thin: parse → ``consult.notifications.services``.

Context of accounts/messages.html: ``prefs`` (topic → channel), ``topics``,
``channels``, ``staff``, ``phone`` (masked), ``opted_out``, ``errors``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult import messaging
from consult.errors import FieldErrors
from consult.i18n import N_
from consult.notifications import channels
from consult.notifications import services as notifications
from consult.web.auth import current_actor, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import FormPage, form_view
from consult.web.responses import redirect_to
from consult.web.templating import render


def _context(request: Request, **extra) -> dict:
    user = require_user(request)
    db = get_db(request)
    staff = current_actor(request).holds_anywhere({"moderator", "admin"})
    return {"prefs": notifications.preferences_of(db, user.id),
            "topics": {k: v for k, v in channels.TOPICS.items() if v[2] == "all" or staff},
            "channels": channels.CHANNEL_NAMES, "staff": staff,
            "phone": messaging.mask(user.phone) if user.phone else None,
            "opted_out": bool(user.phone) and messaging.is_opted_out(db, user.phone),
            "errors": {}, **extra}


async def messages_page(request: Request):
    require(request, "choose_message_channels")
    return render(request, "accounts/messages.html", _context(request))


async def messages_submit(request: Request):
    form = await read_form(request)
    require(request, "choose_message_channels")
    user = require_user(request)
    db = get_db(request)
    choices = {topic: str(form.get(f"topic_{topic}", ""))[:8] for topic in channels.TOPICS
               if f"topic_{topic}" in form}

    def act():
        done = notifications.set_preferences(db, user.id, choices)
        if form.get("resubscribe") == "1" and user.phone:
            messaging.resubscribe(db, user.phone)
        return done

    return form_view(
        request, act,
        again=FormPage("accounts/messages.html", lambda errors: _context(request, errors=errors),
                       shows=(FieldErrors,)),
        message=N_("Saved. Text messages come as one digest a day at most; codes and password alerts come at once."),
        done=lambda _: redirect_to(request, "message_prefs"))


routes = [
    Route("/account/messages", messages_page, methods=["GET"], name="message_prefs"),
    Route("/account/messages", messages_submit, methods=["POST"], name="message_prefs_submit"),
]
