"""What every consultation page shares: the template names, ``render`` (and
``render_public``) with them, a
refused form's page shown again with them, ids from the address, cheap links for long
lists and the uploaded photos of a form."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from consult.consultations import rules
from consult.errors import UserError
from consult.web.forms import FormPage
from consult.web.routing import path_for
from consult.web.templating import render as _render
from consult.web.templating import render_public as _render_public

#: the names of states, kinds, roles… every consultation template gets as ``names``
NAMES = {
    "state": rules.STATE_NAMES, "kind": rules.ROUND_KIND_NAMES,
    "round_state": rules.ROUND_STATE_NAMES, "role": rules.ACTOR_ROLE_NAMES,
    "sort": rules.SORTS, "review": rules.REVIEW_ACTION_NAMES, "pipeline": rules.PIPELINE_COUNTS,
}


def _named(context: dict) -> dict:
    return {"names": NAMES, "timeline_text": rules.timeline_text, **context}


def render(request: Request, name: str, context: dict, status: int = 200):
    return _render(request, name, _named(context), status=status)


def render_public(request: Request, name: str, context: dict, **kept):
    """``render`` of a page kept for visitors not signed in (``consult.web.templating``)."""
    return _render_public(request, name, _named(context), **kept)


def again(template: str, build: Callable[..., dict],
          shows: tuple[type[UserError], ...] = (UserError,)) -> FormPage:
    """A consultation page shown again with the problem (``errors=`` or ``error=`` to
    ``build``), for :func:`consult.web.forms.form_view`."""
    return FormPage(template, lambda **problem: _named(build(**problem)), shows)


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
