"""What the points pages share: the POST written once (form_view with the page shown
again on a user error), and the links a page offers next."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from consult import clock
from consult.errors import Conflict, FieldErrors
from consult.i18n import Msg
from consult.points import rules
from consult.web.forms import FormPage, form_view
from consult.web.responses import redirect_to


def act(request: Request, do: Callable[[], object], *, template: str, context: Callable[..., dict],
        message: Msg | str | Callable | None, to: str, part: str = "", values: dict | None = None,
        **params):
    """Run ``do()``; on a user error show ``template`` again with the message (at the
    form ``part``, with the ``values`` as typed); else flash ``message`` and 303 to ``to``."""
    def again(**problem) -> dict:
        return context(part=part, values=values or {}, **problem)

    return form_view(request, do, again=FormPage(template, again, shows=(FieldErrors, Conflict)),
                     message=message, done=lambda _: redirect_to(request, to, **params))


def export_format(request: Request) -> str:
    """``xlsx`` at an export's ``.xlsx`` address, else ``csv``."""
    return "xlsx" if request.url.path.endswith(".xlsx") else "csv"


def labels() -> dict:
    """The names the templates show for kinds and states."""
    return {"kind_names": rules.KIND_NAMES, "activity_states": rules.ACTIVITY_STATE_NAMES,
            "day_states": rules.DAY_STATE_NAMES}


def activity_state(activity) -> str:
    return rules.activity_state(activity.starts_at, activity.ends_at, activity.cancelled_at, clock.utcnow())


def day_state(day) -> str:
    return rules.day_state(day.opens_at, day.closes_at, day.released_at, clock.utcnow())
