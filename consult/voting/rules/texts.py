"""What voting says: ballot kinds, rules and statuses by name, ballot messages, money."""

from __future__ import annotations

import re
from collections.abc import Mapping

from consult.i18n import N_, Msg
from consult.voting import tally
from consult.voting.tally import BallotError

BALLOT_KINDS = ("approval", "approval_budget", "cumulative", "ordinal", "choose_one")
APPROVAL_KINDS = frozenset({"approval", "approval_budget", "choose_one"})
#: the selection rules a vote round can use, in the order a form lists them
SELECTION_RULES = ("greedy", "greedy-no-skip", "greedy-threshold", "equalshares/add1", "top-k")
ELIGIBILITY = ("residents", "owners")
CHANNELS = ("web", "paper", "import")
MAX_SERIAL = 40
MAX_OBJECTION = 4000
MAX_ANSWER = 1000
MAX_NOTICE_DAYS = 60
MAX_LIMIT = 1000
MAX_POINTS = 10000

BALLOT_KIND_NAMES = {
    "approval": N_("Approval: choose ideas"),
    "approval_budget": N_("Approval within the budget: chosen ideas must fit the budget"),
    "cumulative": N_("Cumulative: distribute points"),
    "ordinal": N_("Ranking: rank your favourite ideas"),
    "choose_one": N_("Choose one idea"),
}
RULE_NAMES = {
    "greedy": N_("Greedy by score within the budget (skip what does not fit)"),
    "greedy-no-skip": N_("Greedy by score, stopping at the first idea that does not fit"),
    "greedy-threshold": N_("Greedy by score among ideas reaching a minimum score"),
    "equalshares": N_("Method of Equal Shares"),
    "equalshares-comparison": N_("Method of Equal Shares, then compared with the greedy outcome"),
    "equalshares/add1": N_("Method of Equal Shares (with the add-one completion)"),
    "equalshares/add1-comparison": N_("Method of Equal Shares (add-one completion, then compared with the greedy outcome)"),
    "top-k": N_("The ideas with the highest scores, whatever they cost"),
}
ELIGIBILITY_NAMES = {
    "residents": N_("Verified residents of the area"),
    "owners": N_("Owners of record, one ballot per home"),
}
STATUS_NAMES = {
    "counted": N_("Counted"),
    "pending": N_("Waiting for the second entry"),
    "disputed": N_("The two entries differ: waiting for a moderator"),
}
CHANNEL_NAMES = {"web": N_("Online"), "paper": N_("Paper"), "import": N_("Imported")}
#: tally.TIE_BREAKING as stored with a result → its translatable wording
TIE_BREAKING_TEXT = {
    tally.TIE_BREAKING: N_("Ties are broken in favour of the higher score, then the lower cost, "
                           "then the idea listed first (the lower idea number)."),
}

#: ``tally.BALLOT_MESSAGES`` (English ``{name}`` templates) in the catalogue's ``%(name)s``
#: form; ``ballot_text`` converts one into the other and a test checks they agree.
BALLOT_TEXTS = {
    "too_few_choices": N_("Choose at least %(min)s projects (you chose %(count)s)."),
    "too_many_choices": N_("Choose at most %(max)s projects (you chose %(count)s)."),
    "over_budget": N_("Your choices cost %(total)s, more than the budget of %(budget)s."),
    "unknown_project": N_("There is no project %(project)s on this ballot."),
    "duplicate_project": N_("Project %(project)s appears more than once."),
    "points_not_integer": N_("Points for project %(project)s must be a whole number, not %(value)s."),
    "points_negative": N_("Points for project %(project)s cannot be negative (%(points)s)."),
    "points_over_project_limit": N_("At most %(max)s points per project (%(project)s has %(points)s)."),
    "points_over_limit": N_("You gave %(total)s points; at most %(max)s may be given."),
    "points_under_limit": N_("You gave %(total)s points; give at least %(min)s."),
    "ranking_too_long": N_("Rank at most %(max)s projects (you ranked %(count)s)."),
    "ranking_too_short": N_("Rank at least %(min)s projects (you ranked %(count)s)."),
}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def ballot_text(template: str) -> str:
    """A ``tally.BALLOT_MESSAGES`` template (``{name}``) in gettext form (``%(name)s``)."""
    return _PLACEHOLDER.sub(r"%(\1)s", template.replace("%", "%%"))


def money(fen: int | None) -> str:
    """Integer fen as ``¥1,234.50`` (the same as the templates' ``money`` filter)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(fen), 100)
    return f"{sign}¥{yuan:,}.{rest:02d}"


def ballot_message(error: BallotError, titles: Mapping[str, str] | None = None,
                   money_params: bool = True) -> Msg:
    """A tally ``BallotError`` as a translatable message naming ideas by their titles.

    Costs in the ``over_budget`` message are fen and shown as money.
    """
    params = dict(error.params)
    if "project" in params:
        key = str(params["project"])
        params["project"] = (titles or {}).get(key) or f"“{key[:20]}”"
    if "value" in params:
        params["value"] = f"“{str(params['value'])[:20]}”"
    if error.code == "over_budget" and money_params:
        params["total"], params["budget"] = money(params["total"]), money(params["budget"])
    return Msg(BALLOT_TEXTS[error.code], params)
