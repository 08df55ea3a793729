"""What every rating page shares: the display helpers its templates use, and a page
shown again with the problem after a refused form."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from consult.errors import UserError
from consult.ratings import rules
from consult.surveys import rules as survey_rules
from consult.web.forms import FormPage
from consult.web.templating import render


def helpers() -> dict:
    """Display helpers and names the rating templates share."""
    return {
        "percent": survey_rules.percent, "decimals": survey_rules.two_decimals,
        "source_names": rules.SOURCE_NAMES, "measure_names": rules.MEASURE_NAMES,
        "subject_kind_names": rules.SUBJECT_KIND_NAMES, "campaign_state_names": rules.STATE_NAMES,
    }


def _page(request: Request, template: str, context: dict, status: int = 200):
    return render(request, template, {**helpers(), **context}, status=status)


def _again(template: str, build: Callable[..., dict], shows=(UserError,)) -> FormPage:
    """A rating page shown again with the problem (``errors=`` or ``error=`` to ``build``)."""
    return FormPage(template, lambda **problem: {**helpers(), **build(**problem)}, shows)
