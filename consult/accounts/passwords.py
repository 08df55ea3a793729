"""Password hashing with argon2id, rehashing when the parameters change.

Unknown accounts still cost one verification against a dummy hash, so the
response time does not tell whether an account exists.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from consult.config import Argon2Params


@lru_cache
def hasher(params: Argon2Params) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
    )


@lru_cache
def _dummy_hash(params: Argon2Params) -> str:
    return hasher(params).hash("not the password of anyone")


def hash_password(password: str, params: Argon2Params) -> str:
    return hasher(params).hash(password)


def verify(stored: str | None, password: str, params: Argon2Params) -> tuple[bool, str | None]:
    """Check ``password``; return (ok, new hash when the stored one should be upgraded)."""
    ph = hasher(params)
    if not stored:
        try:
            ph.verify(_dummy_hash(params), password + "\x00")
        except VerificationError:
            pass
        return False, None
    try:
        ph.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if ph.check_needs_rehash(stored):
        return True, ph.hash(password)
    return True, None
