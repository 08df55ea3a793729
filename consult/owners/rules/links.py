"""Linking an owner of record to an account: who may confirm a link, and which owners
one account may hold. Nobody decides their own request.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class LinkMethod(StrEnum):
    """How a requested link was confirmed, by someone other than who asked for it."""

    #: The account holder confirmed it on their own page.
    OWNER = "owner"
    #: Staff typed the code the account holder is shown (read out by the owner).
    CODE = "code"
    #: A second staff member approved it (four eyes); not while a matter is open.
    SECOND_STAFF = "second_staff"


def link_refusal(method: LinkMethod, *, decider: int | None, requested_by: int | None,
                 account: int, matter_open: bool) -> str | None:
    """Why ``decider`` may not confirm a link by ``method`` (a code), or None if they may.

    Nobody decides their own request, and nobody confirms a link to their own account
    but its holder: a staff member linking their own account needs a second one.
    """
    if decider is None:
        return "not_signed_in"
    if method is LinkMethod.OWNER:
        if decider != account:
            return "not_yours"
        return "own_request" if requested_by == account else None
    if method is LinkMethod.CODE:
        # one's own code, or a staff member's own account (its code is their own)
        return "own_request" if account in (decider, requested_by) else None
    if decider in (requested_by, account):
        return "own_request"
    return "owner_must_confirm" if matter_open else None


def account_may_hold(linked: Iterable[tuple[int, str, int]], *, estate_id: int, name: str,
                     homes: Iterable[int]) -> bool:
    """May an account already linked to the owner records ``linked`` ((estate id, name,
    home id) each) also hold ``name`` of ``estate_id``, whose homes are ``homes``?

    Only if every record it holds is that owner already or a co-owner of one of the
    same homes (a couple sharing one account); one account never votes for unrelated
    owners.
    """
    shared = set(homes)
    return all((estate == estate_id and held == name) or (estate == estate_id and home in shared)
               for estate, held, home in linked)
