"""Pure rules of the voting domain: settings, reading a ballot, counting a round, receipts.

Nothing here touches the database or reads the clock. Counting is delegated to
:mod:`consult.voting.tally` (the same code ``python -m consult pb tally`` runs), so
the platform's result and anyone's recount of the exported ``.pb`` file agree.

Money on the platform is integer fen. The tally counts in a *money unit*: the yuan
when every cost and the budget are whole yuan, otherwise the fen (see
:func:`money_unit`). Greedy rules do not depend on the unit; the Method of Equal
Shares' add-one completion raises every voter's share by one unit at a time, like
the cities that use it do with their currency.

One module per concept, all of them named here (the package is the surface other
modules use: ``rules.count``, ``rules.ROUND_ACTIONS``):

- ``texts``: ballot kinds, rules, statuses and channels by name; ballot messages; money
- ``settings``: the settings form and the combinations that cannot work
- ``ballots``: reading a ballot (form, JSON), checking it, its running total; paper serials
- ``counting``: the money unit, canonical ballots and their digest, the count, the method in words
- ``receipts``: receipts, voter keys, the day stored with a ballot
- ``results``: the notice period, objections, the bars of the results page, turnout shares
- ``lifecycle``: a round's states and what may be done in each
- ``groups``: a long ballot grouped by residential area
"""

from __future__ import annotations

from consult.parsing import parse_money
from consult.voting import tally
from consult.voting.rules.ballots import (
    BallotFormError,
    Choice,
    RawBallot,
    Running,
    check_ballot,
    json_ballot_field,
    json_ballot_shape,
    ranking_from_ranks,
    read_form_ballot,
    read_json_ballot,
    read_numbers,
    running_total,
    serial_problem,
)
from consult.voting.rules.counting import (
    Count,
    ballot_digest,
    canonical_ballot,
    count,
    count_scores,
    counted_line,
    method_description,
    money_unit,
    split_counted_line,
)
from consult.voting.rules.groups import BallotGroup, ballot_groups
from consult.voting.rules.lifecycle import (
    COUNT_FIELDS,
    REFUSAL_CODES,
    ROUND_ACTIONS,
    ROUND_STATES,
    changed_count_fields,
    lifecycle_state,
    objection_edit_problem,
    round_action_allowed,
    round_action_problem,
)
from consult.voting.rules.receipts import (
    RECEIPT_ALPHABET,
    RECEIPT_BYTES,
    RECEIPT_LENGTH,
    RECEIPT_PREFIX,
    VOTER_KINDS,
    ballot_day,
    format_receipt,
    normalize_receipt,
    receipt_code,
    receipt_digits,
    receipt_hash,
    receipt_letters,
    voter_key,
)
from consult.voting.rules.results import (
    bar_items,
    finalize_problem,
    notice_open,
    notice_until,
    objection_problem,
    titles_by_id,
    turnout_share,
)
from consult.voting.rules.settings import (
    SETTINGS_FIELDS,
    budget_of,
    parse_settings,
    settings_problems,
)
from consult.voting.rules.texts import (
    APPROVAL_KINDS,
    BALLOT_KIND_NAMES,
    BALLOT_KINDS,
    BALLOT_TEXTS,
    CHANNEL_NAMES,
    CHANNELS,
    ELIGIBILITY,
    ELIGIBILITY_NAMES,
    MAX_ANSWER,
    MAX_LIMIT,
    MAX_NOTICE_DAYS,
    MAX_OBJECTION,
    MAX_POINTS,
    MAX_SERIAL,
    RULE_NAMES,
    SELECTION_RULES,
    STATUS_NAMES,
    TIE_BREAKING_TEXT,
    ballot_message,
    ballot_text,
    money,
)
from consult.voting.tally import BallotError, Project

__all__ = [
    "parse_money",
    "BALLOT_KINDS",
    "APPROVAL_KINDS",
    "SELECTION_RULES",
    "ELIGIBILITY",
    "CHANNELS",
    "MAX_SERIAL",
    "MAX_OBJECTION",
    "MAX_ANSWER",
    "MAX_NOTICE_DAYS",
    "MAX_LIMIT",
    "MAX_POINTS",
    "BALLOT_KIND_NAMES",
    "RULE_NAMES",
    "ELIGIBILITY_NAMES",
    "STATUS_NAMES",
    "CHANNEL_NAMES",
    "TIE_BREAKING_TEXT",
    "BALLOT_TEXTS",
    "ballot_text",
    "money",
    "ballot_message",
    "SETTINGS_FIELDS",
    "parse_settings",
    "settings_problems",
    "budget_of",
    "RawBallot",
    "Choice",
    "BallotFormError",
    "read_form_ballot",
    "read_numbers",
    "ranking_from_ranks",
    "json_ballot_field",
    "json_ballot_shape",
    "read_json_ballot",
    "check_ballot",
    "Running",
    "running_total",
    "serial_problem",
    "money_unit",
    "canonical_ballot",
    "counted_line",
    "split_counted_line",
    "ballot_digest",
    "Count",
    "count",
    "count_scores",
    "method_description",
    "RECEIPT_ALPHABET",
    "RECEIPT_LENGTH",
    "RECEIPT_PREFIX",
    "RECEIPT_BYTES",
    "receipt_letters",
    "receipt_code",
    "receipt_digits",
    "BallotGroup",
    "ballot_groups",
    "normalize_receipt",
    "format_receipt",
    "receipt_hash",
    "VOTER_KINDS",
    "voter_key",
    "ballot_day",
    "notice_until",
    "notice_open",
    "finalize_problem",
    "objection_problem",
    "bar_items",
    "turnout_share",
    "titles_by_id",
    "ROUND_STATES",
    "COUNT_FIELDS",
    "ROUND_ACTIONS",
    "REFUSAL_CODES",
    "lifecycle_state",
    "round_action_allowed",
    "round_action_problem",
    "changed_count_fields",
    "objection_edit_problem",
    "tally",
    "BallotError",
    "Project",
]
