"""Receipts, voter keys and the day stored with a ballot."""

from __future__ import annotations

import base64
import hashlib
import hmac
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime

from consult.clock import to_local
from consult.voting.rules.ballots import Choice

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to copy by hand
RECEIPT_LENGTH = 16  # 80 bits
RECEIPT_PREFIX = 4
# A receipt is RECEIPT_LENGTH letters of a 32-letter alphabet: 5 bits each, which is
# exactly the base32 encoding of RECEIPT_BYTES, its letters renamed.
RECEIPT_BYTES = RECEIPT_LENGTH * 5 // 8
_BASE32_TO_RECEIPT = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", RECEIPT_ALPHABET.encode())
assert len(RECEIPT_ALPHABET) == 32 and RECEIPT_BYTES * 8 == RECEIPT_LENGTH * 5


def receipt_letters(bits: bytes) -> str:
    """RECEIPT_BYTES of random or secret bits as a receipt code."""
    return base64.b32encode(bits[:RECEIPT_BYTES]).translate(_BASE32_TO_RECEIPT).decode()


def receipt_code(ballot_key: bytes, round_id: int, ballot_id: int, choices: Iterable[Choice]) -> str:
    """The receipt of web ballot ``ballot_id`` saying ``choices``: HMAC-SHA256 under the
    ballot key of the round, the ballot and its choices (in idea order), as letters.

    Why not random: the same ballot sent twice (a double click, a retried request) must
    show the voter the receipt the stored ballot already has, and only its hash is
    stored. Derived from what the ballot says, an identical submission has the stored
    receipt and a changed ballot a new one, which replaces it (changed back, the ballot
    says again what its first receipt named, and that receipt checks again). Without the key nobody can
    derive a receipt; with it, one names a ballot that can be found by its hash anyway."""
    said = ";".join(f"{c.idea_id},{c.points},{'' if c.rank is None else c.rank}"
                    for c in sorted(choices, key=lambda c: (c.idea_id, c.rank or 0, c.points)))
    message = f"receipt:{round_id}:{ballot_id}:{said}".encode()
    return receipt_letters(hmac.new(ballot_key, message, hashlib.sha256).digest())


#: the digits-only form of a receipt: its 80 bits as a 25-digit number, read aloud in fives
RECEIPT_DIGITS = 25
_DIGITS = "0123456789"


def receipt_digits(code: str) -> str:
    """``01234 56789 01234 56789 01234``: the same receipt in digits only, for reading it
    out over the phone or writing it where letters are hard to tell apart."""
    value = 0
    for ch in normalize_receipt(code):
        value = value * 32 + RECEIPT_ALPHABET.index(ch)
    digits = f"{value:0{RECEIPT_DIGITS}d}"
    return " ".join(digits[i:i + 5] for i in range(0, RECEIPT_DIGITS, 5))


def _from_digits(digits: str) -> str | None:
    value = int(digits)
    if value >= 32 ** RECEIPT_LENGTH:
        return None
    letters = []
    for _ in range(RECEIPT_LENGTH):
        value, rest = divmod(value, 32)
        letters.append(RECEIPT_ALPHABET[rest])
    return "".join(reversed(letters))


def normalize_receipt(text: str) -> str:
    """What the voter typed → the code as issued: upper case, without spaces or dashes;
    the digits-only form (``receipt_digits``) back as its letters."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    kept = "".join(ch for ch in text if ch.isalnum())[:64]
    if len(kept) == RECEIPT_DIGITS and all(ch in _DIGITS for ch in kept):
        return _from_digits(kept) or kept
    return kept


def format_receipt(code: str) -> str:
    """``ABCD-EFGH-JKLM-NPQR``: groups of four are easier to read out and copy."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def receipt_hash(code: str) -> str:
    return hashlib.sha256(normalize_receipt(code).encode()).hexdigest()


VOTER_KINDS = ("user", "home", "paper")


def voter_key(ballot_key: bytes, round_id: int, kind: str, number: int) -> str:
    """The key a ballot of round ``round_id`` is stored under: 40 hex characters (160 bits)
    of HMAC-SHA256 of ``round:<round>:<kind>:<id>`` under the ballot key.

    ``kind`` is ``user`` (an account), ``home`` (owner eligibility) or ``paper`` (a
    paper-only resident). Without the ballot key nobody can tell whose key it is, and the
    same voter has unrelated keys in two rounds."""
    if kind not in VOTER_KINDS:
        raise ValueError(kind)
    message = f"round:{round_id}:{kind}:{number}".encode()
    return hmac.new(ballot_key, message, hashlib.sha256).hexdigest()[:40]


def ballot_day(when: datetime) -> datetime:
    """The time stored with a ballot: the start of its day in Beijing time (as UTC), so
    that ballot times cannot be matched with the exact times of anything else."""
    return to_local(when).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
