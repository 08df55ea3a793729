"""What every voting page shares: the names shown for settings and states, the round
of the path, what the committee links on a page may offer.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request

from consult import clock, permissions
from consult.errors import Forbidden, NotSignedIn, UserError
from consult.voting import rules, services
from consult.web.auth import current_actor, refusal
from consult.web.db import get_db
from consult.web.forms import FormPage
from consult.web.templating import render as _render

NAMES = {"kind": rules.BALLOT_KIND_NAMES, "rule": rules.RULE_NAMES,
         "eligibility": rules.ELIGIBILITY_NAMES, "status": rules.STATUS_NAMES,
         "channel": rules.CHANNEL_NAMES, "tie": rules.TIE_BREAKING_TEXT}


def render(request: Request, name: str, context: dict, status: int = 200):
    return _render(request, name, {"names": NAMES, **context}, status=status)


def again(template: str, context: Callable[..., dict],
          shows: tuple[type[UserError], ...] = (UserError,)) -> FormPage:
    """A voting page shown again by ``form_view`` (with the ``names`` every voting page gets)."""
    return FormPage(template, lambda **problem: {"names": NAMES, **context(**problem)}, shows)


class UnreadableBallot(UserError):
    """A ballot form that cannot even be read as a ballot (``rules.BallotFormError``)."""

    status = 422
    code = "bad_ballot"


def _round(request: Request) -> services.VoteRound:
    return services.load_round(get_db(request), request.path_params["rid"], clock.utcnow())


def _staff(request: Request, vr: services.VoteRound) -> dict[str, bool]:
    """What the committee links and forms on a page may offer this person."""
    actor = current_actor(request)
    path = vr.scope.ids_from_root
    staff = {action: permissions.allowed(action, actor, path)
             for action in ("manage_consultation", "publish_results", "answer_objection")}
    within = actor.holds_anywhere(permissions.STAFF) and services.staff_within(
        get_db(request), actor, vr, "enter_paper_ballot")
    staff["enter_paper_ballot"] = staff["view_turnout"] = within
    return staff


def _staff_actor(request: Request, vr: services.VoteRound, action: str):
    """The actor, if they may do ``action`` for this round or a part of its scope."""
    actor = current_actor(request)
    if not actor.authenticated:
        raise NotSignedIn()
    if not services.staff_within(get_db(request), actor, vr, action):
        raise Forbidden(refusal(request, action, vr.scope.ids_from_root))
    return actor


def _pairs(form) -> list[tuple[str, object]]:
    return list(form.multi_items())


def _read_ballot(vr: services.VoteRound, form) -> rules.RawBallot:
    return rules.read_form_ballot(vr.settings.ballot_kind, _pairs(form))


def read_ballot(vr: services.VoteRound, form) -> rules.RawBallot:
    """The ballot of ``form``, or :class:`UnreadableBallot` (for ``form_view``)."""
    try:
        return _read_ballot(vr, form)
    except rules.BallotFormError as exc:
        raise UnreadableBallot(exc.msg) from None
