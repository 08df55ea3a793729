"""Read, write and count the open pabulib ``.pb`` format (pabulib.org).

Why: results are published with the anonymous ballots as a ``.pb`` file so
anyone can recount them with independent tools, and real elections published
in this format are how we check our own counting (DESIGN.md §5).

A file has three sections, in this order, each a line with the section name,
then a header line, then ``;``-separated rows (``csv`` quoting with ``"``)::

    META                 key;value            budget, vote_type, rule, limits...
    PROJECTS             project_id;cost;...  one project a row
    VOTES                voter_id;vote;...    one ballot a row; ``vote`` lists
                                              project ids, comma separated;
                                              ``points`` (same order) for
                                              cumulative and ordinal ballots

Money is exact: ``budget`` and every ``cost`` are non-negative decimal numbers
(real files give grosze: ``12500.50``), read as :class:`~decimal.Decimal` and
counted as whole multiples of the file's smallest unit; points are non-negative
whole numbers.  Ordinal votes may come without a ``points`` column: the format
then scores the first of ``max_length`` ranks ``max_length`` points and one less
each rank after.  A vote naming the same project twice is accepted with a warning
(``Election.warnings``) and counted as the file's own ``votes``/``score`` column
counts it.  Anything else malformed raises ``PbFormatError`` naming the 1-based
line.  Columns we do not interpret are kept as written so that
``parse(dump(e)) == e``.

The package's modules: ``files`` (the format: reading and writing) and ``counting``
(``tally_election``, ``check_rule``); every name is here.
"""

from __future__ import annotations

from consult.voting.pabulib.counting import check_rule, tally_election
from consult.voting.pabulib.files import (
    INTEGER_META,
    MAX_DECIMALS,
    MONEY_META,
    OPEN_RULES,
    POINTS_TYPES,
    SECTIONS,
    VOTE_TYPES,
    Election,
    PbFormatError,
    PbProject,
    PbVote,
    dump,
    load,
    parse,
    write_head,
    write_votes,
)

__all__ = ["INTEGER_META", "MAX_DECIMALS", "MONEY_META", "OPEN_RULES", "POINTS_TYPES", "SECTIONS", "VOTE_TYPES",
           "Election", "PbFormatError", "PbProject", "PbVote", "dump", "load", "parse", "write_head",
           "write_votes", "check_rule", "tally_election"]
