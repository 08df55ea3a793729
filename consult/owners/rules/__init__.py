"""Counting an owners' vote (业主表决) exactly, under PRC Civil Code art. 278.

Pure functions over plain values: no database, no I/O, no floats. Areas are kept
as integer hundredths of a square metre ("cents") while counting, so every sum and
every comparison is exact; ratios are reported as :class:`fractions.Fraction`.

Who counts as one owner (SPC interpretation on building co-ownership, art. 9):

* one home counts as one owner;
* every home held by the developer (unsold, or sold but not delivered) together
  counts as one owner, :data:`DEVELOPER`.  A home flagged ``developer_held`` is the
  developer's even if buyers are listed on it: until delivery the buyer is not yet
  an owner of it, so the developer wins;
* the same buyer with several homes counts as one owner, and casts one ballot
  that covers all of those homes;
* an owner is told apart by their owner identifier (产权证号, last digits of an ID,
  a committee code) where the register has one, else by name: two 张三 with
  different identifiers are two owners, one identifier on several homes is one;
* the co-owners of a home are one owner, identified by the *set* of them,
  so ``("Li", "Wang")`` and ``("Wang", "Li")`` are the same owner wherever they
  appear.  The exact set matters: "Li" alone on one home and "Li" with "Wang" on
  another are two different owners, because neither can bind the other.

Names are compared exactly as given (after the register trims whitespace); a name
repeated within one home is the same person, so it does not change the set.

Civil Code art. 278 lists nine matters the owners decide together (para. 1) and
fixes their majorities (para. 2): items 6–8 — raising the maintenance fund,
rebuilding or reconstructing buildings and their facilities, changing the use of
common parts or running a business on them — need three quarters or more of the
voting area and of the voting owners; every other item, *using* the maintenance fund
(item 5) and the "other major matters" of item 9 included, needs more than half of
both.  :class:`MatterKind` names all nine by their legal names; ``ordinary`` and
``major`` stand for "one of the half-majority items" and "one of items 6–8" when the
caller (the recount command) does not say which.

Pure functions over plain values, kept by concept, one module each: :mod:`.homes`
(who counts as one owner, exact areas, the register's totals), :mod:`.matters` (kinds,
majorities, choices and a matter's voting period), :mod:`.counting` (the tally) and
:mod:`.links` (linking an owner of record to an account). Every name is kept here, so
callers keep using ``rules.<name>``.
"""

from consult.owners.rules.counting import (
    Outcome,
    tally,
)
from consult.owners.rules.homes import (
    DEVELOPER,
    ID_MARK,
    MAX_AREA,
    Developer,
    Holding,
    Home,
    OwnerKey,
    RegisterTotals,
    TallyError,
    area_to_cents,
    cents_to_area,
    holdings,
    home_label,
    owner_digest,
    owner_key,
    owner_names,
    owner_of_home,
    person_token,
    register_totals,
    same_name_owners,
)
from consult.owners.rules.links import (
    LinkMethod,
    account_may_hold,
    link_refusal,
)
from consult.owners.rules.matters import (
    MAJOR_KINDS,
    MAJOR_MAJORITY,
    NOTICE_DAYS,
    NOTICE_DAYS_RANGE,
    ORDINARY_MAJORITY,
    QUORUM,
    Channel,
    Choice,
    MatterKind,
    MatterState,
    accepts_ballots,
    ballots_may_change,
    choices_visible,
    documents_may_change,
    inputs_frozen,
    is_major,
    link_needs_the_owner,
    majority_rule,
    matter_state,
    notice_ends,
    register_may_change,
    result_published,
)

__all__ = [
    "DEVELOPER",
    "Developer",
    "Holding",
    "Home",
    "ID_MARK",
    "MAX_AREA",
    "OwnerKey",
    "RegisterTotals",
    "TallyError",
    "area_to_cents",
    "cents_to_area",
    "holdings",
    "home_label",
    "owner_digest",
    "owner_key",
    "owner_names",
    "owner_of_home",
    "person_token",
    "register_totals",
    "same_name_owners",
    "Channel",
    "Choice",
    "MAJOR_KINDS",
    "MAJOR_MAJORITY",
    "MatterKind",
    "NOTICE_DAYS",
    "NOTICE_DAYS_RANGE",
    "MatterState",
    "ORDINARY_MAJORITY",
    "QUORUM",
    "accepts_ballots",
    "ballots_may_change",
    "choices_visible",
    "documents_may_change",
    "inputs_frozen",
    "is_major",
    "link_needs_the_owner",
    "majority_rule",
    "matter_state",
    "notice_ends",
    "register_may_change",
    "result_published",
    "Outcome",
    "tally",
    "LinkMethod",
    "account_may_hold",
    "link_refusal",
]
