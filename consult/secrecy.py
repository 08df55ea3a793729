"""The ballot key: what ties a ballot, or a person's "has answered" mark on an anonymous
survey, to that person, kept out of the database.

Rows that must not name anyone (a vote round's ballots, the marks that stop a second
answer to a survey) are stored under an HMAC of (the thing, the person) under this key:
with it the app finds a person's row; a copy of the database without it does not. It is
``Settings.ballot_secret`` (``CONSULT_BALLOT_KEY``, or derived from the secret key).

The web app configures it at start (``consult.web.app.create_app``); the command line and
the migrations read it from the environment like ``Settings.from_env()``. The domains
build their messages (``consult.voting.secrecy``, ``consult.surveys.rules.answer_key``);
this module only holds the key, so neither domain imports the other's internals.
"""

from __future__ import annotations

import hashlib
import hmac

from consult.config import Settings

_key: bytes | None = None


def configure(settings: Settings) -> None:
    global _key
    _key = settings.ballot_secret


def ballot_key() -> bytes:
    if _key is None:
        configure(Settings.from_env())
    return _key


def hmac_hex(key: bytes, message: str) -> str:
    """40 hex characters (160 bits) of HMAC-SHA256 of ``message`` under ``key``: long
    enough never to collide, short enough for a narrow indexed column."""
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:40]
