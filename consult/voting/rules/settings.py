"""A vote round's settings: the form read, the combinations that cannot work, the budget."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from consult.db.ids import parse_count
from consult.i18n import N_, Msg
from consult.parsing import clean_text, parse_money
from consult.voting.rules.texts import (
    APPROVAL_KINDS,
    BALLOT_KINDS,
    ELIGIBILITY,
    MAX_LIMIT,
    MAX_NOTICE_DAYS,
    MAX_POINTS,
    SELECTION_RULES,
)

#: what the settings form sets of a round's ``VoteSettings`` (the rules below read these
#: attributes of any settings object)
SETTINGS_FIELDS = ("ballot_kind", "min_choices", "max_choices", "max_points",
                   "max_points_per_idea", "ranking_length", "points_per_rank", "rule",
                   "min_score", "k", "budget_fen", "eligibility", "double_key", "notice_days", "assisted_voting")


def _whole(text: object, *, low: int = 0, high: int = MAX_LIMIT) -> tuple[int | None, bool]:
    """A whole number typed in a form: (value, ok); empty → (None, True)."""
    text = unicodedata.normalize("NFKC", str(text if text is not None else "")).strip()
    if not text:
        return None, True
    value = parse_count(text)
    if value is None:
        return None, False
    return (value, True) if low <= value <= high else (None, False)


def parse_settings(form: Mapping[str, object], consultation_budget_fen: int | None, values
                   ) -> tuple[object, dict[str, Msg]]:
    """Read the settings form into ``values`` (a ``VoteSettings``, every field of
    ``SETTINGS_FIELDS`` set from the form); return it and one message per bad field."""
    errors: dict[str, Msg] = {}
    number = Msg(N_("Please enter a whole number from %(low)s to %(high)s."), {"low": 0, "high": MAX_LIMIT})

    def whole(name: str, low: int = 0, high: int = MAX_LIMIT) -> int | None:
        value, ok = _whole(form.get(name), low=low, high=high)
        if not ok:
            errors[name] = Msg(number.text, {"low": low, "high": high})
        return value

    kind = clean_text(form.get("ballot_kind"))
    if kind not in BALLOT_KINDS:
        errors["ballot_kind"] = Msg(N_("Please choose the kind of ballot."))
    values.ballot_kind = kind
    values.min_choices = whole("min_choices") or 0
    values.max_choices = whole("max_choices", 1)
    values.max_points = whole("max_points", 1, MAX_POINTS)
    values.max_points_per_idea = whole("max_points_per_idea", 1, MAX_POINTS)
    values.ranking_length = whole("ranking_length", 1, 100)
    rule = clean_text(form.get("rule"))
    if rule not in SELECTION_RULES:
        errors["rule"] = Msg(N_("Please choose a selection rule."))
    values.rule = rule
    # blank: no minimum; left out (an API call): the default, 1 (greedy-threshold names its own)
    if "min_score" in form or rule == "greedy-threshold":
        values.min_score = whole("min_score", 0, 10**9)
    values.k = whole("k", 1)
    values.notice_days = whole("notice_days", 0, MAX_NOTICE_DAYS)
    if values.notice_days is None and "notice_days" not in errors:
        values.notice_days = 7
    budget, problem = parse_money(clean_text(form.get("budget")))
    if problem:
        errors["budget"] = problem
    values.budget_fen = budget
    eligibility = clean_text(form.get("eligibility")) or "residents"
    if eligibility not in ELIGIBILITY:
        errors["eligibility"] = Msg(N_("Please choose who may vote."))
    values.eligibility = eligibility
    values.double_key = clean_text(form.get("double_key")) in ("1", "on", "true")
    values.assisted_voting = clean_text(form.get("assisted_voting")) in ("1", "on", "true")
    if values.assisted_voting and eligibility == "owners":
        errors["assisted_voting"] = Msg(N_("Family members cannot vote for owners: an owner who cannot come signs a written proxy (委托书)."))

    values.points_per_rank = []
    points_text = unicodedata.normalize("NFKC", clean_text(form.get("points_per_rank")))
    if points_text:
        parts = [p.strip() for p in re.split(r"[,，\s]+", points_text) if p.strip()]
        if not all(parse_count(p, MAX_POINTS) is not None for p in parts):
            errors["points_per_rank"] = Msg(N_("Write whole numbers separated by commas, such as 3,2,1."))
        else:
            values.points_per_rank = [int(p) for p in parts]
    errors.update(settings_problems(values, consultation_budget_fen, skip=set(errors)))
    return values, errors


def settings_problems(values, consultation_budget_fen: int | None,
                      skip: Iterable[str] = ()) -> dict[str, Msg]:
    """Combinations that cannot work; fills in defaults (e.g. points per rank k, k-1, … 1)."""
    errors: dict[str, Msg] = {}
    skip = set(skip)
    kind, rule = values.ballot_kind, values.rule
    if values.max_choices is not None and values.max_choices < values.min_choices:
        errors["max_choices"] = Msg(N_("The maximum cannot be less than the minimum."))
    if kind == "cumulative" and values.max_points is None and "max_points" not in skip:
        errors["max_points"] = Msg(N_("Say how many points each voter distributes."))
    if kind == "ordinal":
        if values.ranking_length is None and "ranking_length" not in skip:
            errors["ranking_length"] = Msg(N_("Say how many ideas each voter may rank."))
        elif values.ranking_length is not None:
            if not values.points_per_rank and "points_per_rank" not in skip:
                values.points_per_rank = list(range(values.ranking_length, 0, -1))
            elif values.points_per_rank and len(values.points_per_rank) != values.ranking_length:
                errors["points_per_rank"] = Msg(
                    N_("Give exactly %(n)s numbers, one for each rank."), {"n": values.ranking_length})
            if values.min_choices > values.ranking_length:
                errors["min_choices"] = Msg(N_("The minimum cannot be more than the ranking length."))
    if rule in ("equalshares", "equalshares/add1") and kind in BALLOT_KINDS and kind not in APPROVAL_KINDS:
        errors["rule"] = Msg(N_("The Method of Equal Shares needs approval or choose-one ballots."))
    if rule == "greedy-threshold" and values.min_score is None and "min_score" not in skip:
        errors["min_score"] = Msg(N_("Give the minimum score an idea needs."))
    if rule == "top-k" and values.k is None and "k" not in skip:
        errors["k"] = Msg(N_("Say how many ideas are selected."))
    needs_budget = rule != "top-k" or kind == "approval_budget"
    if needs_budget and values.budget_fen is None and consultation_budget_fen is None and "budget" not in skip:
        errors["budget"] = Msg(N_("This vote needs a budget: give one here or in the consultation."))
    return errors


def budget_of(values, consultation_budget_fen: int | None) -> int | None:
    """The vote's own budget, else the consultation's."""
    return values.budget_fen if values.budget_fen is not None else consultation_budget_fen
