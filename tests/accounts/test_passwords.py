"""argon2id hashing, rehash on login, and the dummy verification for unknown accounts."""

from consult.accounts import passwords
from consult.config import Argon2Params

WEAK = Argon2Params(time_cost=1, memory_cost=1024, parallelism=1)
STRONGER = Argon2Params(time_cost=2, memory_cost=2048, parallelism=1)


def test_hash_is_argon2id_and_verifies():
    stored = passwords.hash_password("correct horse battery", WEAK)
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "correct horse battery", WEAK) == (True, None)
    assert passwords.verify(stored, "wrong horse battery", WEAK) == (False, None)


def test_rehash_when_parameters_change():
    stored = passwords.hash_password("correct horse battery", WEAK)
    ok, new_hash = passwords.verify(stored, "correct horse battery", STRONGER)
    assert ok and new_hash and new_hash != stored
    assert "t=2" in new_hash and "m=2048" in new_hash


def test_unknown_account_still_verifies_a_dummy(monkeypatch):
    real = passwords.hasher(WEAK)
    calls = []

    class Spy:
        def hash(self, password):
            return real.hash(password)

        def verify(self, stored, password):
            calls.append(stored)
            return real.verify(stored, password)

    monkeypatch.setattr(passwords, "hasher", lambda params: Spy())
    assert passwords.verify(None, "anything at all", WEAK) == (False, None)
    assert len(calls) == 1 and calls[0].startswith("$argon2id$")


def test_garbage_hash_is_a_failure_not_a_crash():
    assert passwords.verify("not-a-hash", "whatever123", WEAK) == (False, None)
