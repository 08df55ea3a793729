"""Ballot secrecy: the key that ties a ballot to its voter, kept out of the database.

A ballot row carries no account: it is stored under its voter's key, an HMAC of
(round, voter) under the ballot key (``rules.voter_key``). With the key the platform
finds a voter's ballot (to show it, change it, refuse a second one); a copy of the
database without it tells how many voted and what, not who chose what. The key is
``Settings.ballot_secret``: ``CONSULT_BALLOT_KEY``, or derived from the secret key, held
by ``consult.secrecy`` (which surveys share).

The web app configures it at start (``consult.web.app.create_app``); the command line
and the migrations read it from the environment like ``Settings.from_env()``.
Changing the key while a round is open would let its voters vote again: see the README.
"""

from __future__ import annotations

from consult.secrecy import ballot_key, configure
from consult.voting import rules

__all__ = ["ballot_key", "configure", "home_key", "paper_key", "user_key"]


def user_key(round_id: int, user_id: int) -> str:
    """The key of an account's ballot in a round (web or paper, one per round)."""
    return rules.voter_key(ballot_key(), round_id, "user", user_id)


def home_key(round_id: int, home_id: int) -> str:
    return rules.voter_key(ballot_key(), round_id, "home", home_id)


def paper_key(round_id: int, paper_voter_id: int) -> str:
    return rules.voter_key(ballot_key(), round_id, "paper", paper_voter_id)



def receipt(round_id: int, ballot_id: int, choices) -> str:
    """The receipt code of a web ballot with these choices (``rules.receipt_code``)."""
    return rules.receipt_code(ballot_key(), round_id, ballot_id, choices)
