"""Verification codes by text message: six digits, kept only as a keyed digest.

``send_code`` sends one through ``send_sms`` and remembers its digest only once the
backend took it, so a code that never left cannot be tried; ``check_code`` spends it.
A wrong try counts even when the request fails (the route keeps its writes), so five
wrong tries end a code. Registration uses them (issue 17 item 7); a password reset by
SMS can use the same two calls with another ``purpose``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlmodel import select

from consult.i18n import Msg
from consult.messaging import rules
from consult.messaging.models import SmsCode, SmsMessage
from consult.messaging.services import send_sms

PURPOSES = ("register", "reset")


def _digest(secret: str, phone: str, purpose: str, code: str) -> str:
    key = hmac.new(secret.encode(), b"consult sms code v1", hashlib.sha256).digest()
    return hmac.new(key, f"{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def send_code(db: Session, *, phone: str, purpose: str, secret: str, now: datetime,
              address: str | None = None, user_id: int | None = None) -> SmsMessage:
    """Send a new code to ``phone`` (an 11-digit number) for ``purpose``; the logged message.
    Only a sent code can be used; it ends the number's earlier codes for the purpose."""
    if purpose not in PURPOSES:
        raise ValueError(purpose)
    code = f"{secrets.randbelow(10 ** rules.CODE_DIGITS):0{rules.CODE_DIGITS}d}"
    message = send_sms(db, to=phone, template="verification_code",
                       params={"code": code, "minutes": rules.CODE_MINUTES}, kind="code",
                       now=now, address=address, user_id=user_id)
    if message.status == "sent":
        db.exec(update(SmsCode).where(SmsCode.phone == message.phone, SmsCode.purpose == purpose,
                                      SmsCode.used_at.is_(None)).values(used_at=now))
        db.add(SmsCode(phone=message.phone, purpose=purpose, digest=_digest(secret, message.phone, purpose, code),
                       created_at=now, expires_at=now + timedelta(minutes=rules.CODE_MINUTES),
                       message_id=message.id))
        db.flush()
    return message


def check_code(db: Session, *, phone: str, purpose: str, code: str, secret: str,
               now: datetime) -> Msg | None:
    """Spend the number's current code if ``code`` is it: None. Otherwise why not (expired,
    used, too many tries, or wrong, which counts a try)."""
    row = db.exec(select(SmsCode).where(SmsCode.phone == phone, SmsCode.purpose == purpose,
                                        SmsCode.used_at.is_(None))
                  .order_by(SmsCode.id.desc()).limit(1).with_for_update()).first()
    problem = rules.code_problem(found=row is not None, expires_at=row and row.expires_at,
                                 attempts=row.attempts if row else 0, now=now)
    if problem:
        return Msg(problem)
    typed = rules.clean_code(code)
    if not hmac.compare_digest(_digest(secret, phone, purpose, typed), row.digest):
        row.attempts += 1
        db.add(row)
        db.flush()
        left = rules.CODE_TRIES - row.attempts
        return Msg(rules.CODE_TOO_MANY) if left <= 0 else Msg(rules.CODE_WRONG, {"left": left})
    row.used_at = now
    db.add(row)
    db.flush()
    return None
