"""Forgot password, three ways to the same outcome (issue 17 item 2).

(a) a code by text message, when messages reach phones (``consult.messaging`` codes,
purpose ``reset``: 6 digits, keyed digest, single use, 10 minutes, 5 tries); (b) a slip
printed at the desk by a staff member of the person's place after checking their ID in
person (a one-time code and QR, 24 hours; audited with who, when and why; never for
oneself); (c) a linked family member approves a request made on the person's own
browser (``consult.accounts.family``). Each ends in :func:`complete_reset`: the new
password, every session and token revoked, the person told in the app and by text
message, an audit entry.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm import Session
from sqlmodel import select, update

from consult import clock, permissions
from consult.accounts import passwords, rules
from consult.accounts.models import PasswordReset, User
from consult.accounts.services import (
    _count_failure,
    _end_everything,
    _state,
    _throttle_row,
    find_by_login,
)
from consult.audit import services as audit
from consult.config import Settings
from consult.errors import FieldErrors, Forbidden, TooManyRequests, Unavailable
from consult.i18n import N_, Msg
from consult.permissions import Actor

SLIP_HOURS = 24
SLIP_TRIES = 5
#: letters and digits that read unambiguously on paper (no 0/O, 1/I/L)
SLIP_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
SLIP_LENGTH = 12

METHODS = ("sms", "desk", "family")

BAD_PHONE = N_("Please enter a valid mainland mobile number (11 digits, starting with 1).")
SLIP_WRONG = N_("This reset code does not match this mobile number, or it has expired or was already used. Please check the slip, or ask at the desk for a new one.")
SMS_UNAVAILABLE = N_("The text message could not be sent just now. Please try again later, or ask at your residents' committee for a reset slip.")
SMS_LIMIT = N_("Too many codes were asked for. Please wait a minute (or try again tomorrow), or ask at your residents' committee for a reset slip.")
RESET_SLOWED = N_("Too many wrong reset codes from here. Please try again in %(minutes)s minutes.")


def _keyed(secret: str, label: str, value: str) -> str:
    key = hmac.new(secret.encode(), f"consult {label} v1".encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def clean_slip_code(raw: str) -> str:
    """A slip's code as typed: spaces, dashes, full-width letters and lower case forgiven
    (the alphabet has no 0/O or 1/I/L to confuse)."""
    import unicodedata

    text = "".join(unicodedata.normalize("NFKC", str(raw or "")).split()).replace("-", "").upper()
    return text if text.isascii() else ""


def new_slip_code() -> str:
    return "".join(secrets.choice(SLIP_ALPHABET) for _ in range(SLIP_LENGTH))


def slip_digest(secret: str, code: str) -> str:
    return _keyed(secret, "reset slip", clean_slip_code(code))


def shown_code(code: str) -> str:
    """``ABCD-EFGH-JKMN``: the slip's code as printed."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


# -- the person's places -----------------------------------------------------------------


def person_paths(db: Session, user: User) -> list[tuple[int, ...]]:
    """Where a person belongs, for "staff of the person's place": the places of their roles
    and of their verification requests; the whole sub-district when there is none."""
    from consult.communities.models import Place, RoleAssignment, VerificationRequest
    from consult.communities.services import root_path

    places = db.exec(select(Place).join(RoleAssignment, RoleAssignment.place_id == Place.id)
                     .where(RoleAssignment.user_id == user.id)).all()
    asked = db.exec(select(Place).join(VerificationRequest, VerificationRequest.area_id == Place.id)
                    .where(VerificationRequest.user_id == user.id)).all()
    paths = sorted({place.ids_from_root for place in (*places, *asked)})
    return paths or [root_path(db)]


def may_act_for(db: Session, action: str, actor: Actor, user: User) -> bool:
    """May ``actor`` do ``action`` about ``user`` at one of the person's places, and (for
    decisions) not about themselves?"""
    paths = person_paths(db, user)
    if action in permissions.DECISIONS:
        return any(permissions.may_decide(action, actor, path, user.id) for path in paths)
    return any(permissions.allowed(action, actor, path) for path in paths)


# -- the common end -----------------------------------------------------------------------


def new_password_problems(user_login: str, new: str, confirm: str, phone: str | None = None) -> dict:
    errors: dict[str, Msg] = {}
    if problem := rules.password_problem(new, login=user_login, phone=phone):
        errors["new"] = problem
    elif new != confirm:
        errors["confirm"] = Msg(N_("The two passwords do not match."))
    return errors


def complete_reset(db: Session, settings: Settings, user: User, *, new: str, method: str,
                   now: datetime, by_id: int | None = None) -> User:
    """The same outcome for every way: the new password; every browser session and API
    token ends; the person is told (in the app, and by text message to their number);
    the audit log keeps how and who helped."""
    from consult import messaging
    from consult.notifications import services as notifications

    user.password_hash = passwords.hash_password(new, settings.argon2)
    _end_everything(db, user)
    local = f"{clock.to_local(now):%m月%d日%H:%M}"
    notifications.notify(db, user_id=user.id, kind=f"password_reset_{method}", params={"time": local})
    if user.phone:
        messaging.send_sms(db, to=user.phone, template="password_reset", params={"time": local},
                           kind="notice", now=now, user_id=user.id)
    audit.record(db, actor_id=by_id, action="password_reset", target_type="user",
                 target_id=user.id, method=method)
    db.flush()
    return user


# -- (a) a code by text message ------------------------------------------------------------


def send_sms_code(db: Session, settings: Settings, *, login: str, now: datetime,
                  address: str | None = None) -> str:
    """Send a reset code to the number, if it is a registered account's. Returns the number
    (as typed, normalised) and answers the same whether or not it is registered; a code
    that could not go (limit, provider) raises with a way forward."""
    from consult import messaging

    phone = rules.normalize_phone(login)
    if phone is None:
        raise FieldErrors({"login": Msg(BAD_PHONE)})
    if not messaging.reaches_phones():
        raise Unavailable(Msg(N_("Codes by text message are not available here. Please use a reset slip from the desk, or ask a linked family member.")))
    user = db.exec(select(User).where(User.phone == phone)).first()
    if user is None:
        return phone
    message = messaging.send_code(db, phone=phone, purpose="reset", secret=settings.secret_key,
                                  now=now, address=address, user_id=user.id)
    if message.status == "suppressed":
        raise TooManyRequests(Msg(SMS_LIMIT))
    if message.status != "sent":
        raise Unavailable(Msg(SMS_UNAVAILABLE))
    return phone


def reset_with_sms_code(db: Session, settings: Settings, *, login: str, code: str, new: str,
                        confirm: str, now: datetime) -> User:
    """Spend the code and set the new password. The password is checked first, so a typo
    there costs no try; a wrong code counts a try (the caller keeps the writes)."""
    from consult import messaging
    from consult.messaging import rules as sms_rules

    phone = rules.normalize_phone(login)
    if phone is None:
        raise FieldErrors({"login": Msg(BAD_PHONE)})
    if errors := new_password_problems(phone, new, confirm):
        raise FieldErrors(errors)
    user = db.exec(select(User).where(User.phone == phone)).first()
    if user is None:  # the same answer as for a number whose code has gone
        raise FieldErrors({"code": Msg(sms_rules.CODE_MISSING)})
    if problem := messaging.check_code(db, phone=phone, purpose="reset", code=code,
                                       secret=settings.secret_key, now=now):
        raise FieldErrors({"code": problem})
    return complete_reset(db, settings, user, new=new, method="sms", now=now)


# -- (b) a slip from the desk --------------------------------------------------------------


def issue_slip(db: Session, actor: Actor, settings: Settings, *, login: str, reason: str,
               id_checked: bool, now: datetime) -> tuple[PasswordReset, User, str]:
    """A staff member of the person's place, having seen their identity card, issues a
    one-time code for a printed slip; the person's earlier slips stop working. Returns the
    row, the person and the code (shown once, never stored)."""
    errors: dict[str, Msg] = {}
    user = find_by_login(db, login) if login.strip() else None
    if user is None:
        errors["login"] = Msg(N_("No account has this mobile number. Please check it with the person."))
    reason = " ".join(str(reason or "").split())[:200]
    if not reason:
        errors["reason"] = Msg(N_("Please say why (e.g. “forgot the password, came in person”)."))
    if not id_checked:
        errors["id_checked"] = Msg(N_("Please check the person's identity card in person first, and tick the box."))
    if errors:
        raise FieldErrors(errors)
    if actor.user_id == user.id:
        raise Forbidden(N_("You cannot reset your own password at the desk: another staff member must do it (or use another way)."), code="own_request")
    if not may_act_for(db, "issue_desk_reset", actor, user):
        raise Forbidden(N_("Only staff of this person's residential area (or above) can reset their password."))
    db.exec(update(PasswordReset).where(PasswordReset.user_id == user.id,
                                        PasswordReset.method == "desk",
                                        PasswordReset.used_at.is_(None),
                                        PasswordReset.ended_at.is_(None)).values(ended_at=now))
    code = new_slip_code()
    row = PasswordReset(user_id=user.id, method="desk", digest=slip_digest(settings.secret_key, code),
                        created_at=now, expires_at=now + timedelta(hours=SLIP_HOURS),
                        issued_by=actor.user_id, reason=reason)
    db.add(row)
    db.flush()
    audit.record(db, actor_id=actor.user_id, action="issue_reset_slip", target_type="user",
                 target_id=user.id, reason=reason, reset_id=row.id, id_checked=True)
    return row, user, code


def _slowed(db: Session, key: str, now: datetime) -> None:
    row = _throttle_row(db, key)
    if left := rules.time_left(_state(row), now):
        raise TooManyRequests(RESET_SLOWED, minutes=rules.minutes_left(left))


def reset_with_slip(db: Session, settings: Settings, *, login: str, code: str, new: str,
                    confirm: str, now: datetime, client: str) -> User:
    """The person types their number, the slip's code and a new password. A wrong code
    counts against the slip (five end it) and against the address (slowed down, as
    sign-in is); the caller keeps those writes."""
    key = f"reset:{client[:100]}"
    _slowed(db, key, now)
    user = find_by_login(db, login) if login.strip() else None
    if errors := new_password_problems(user.login if user else login, new, confirm,
                                       user.phone if user else None):
        raise FieldErrors(errors)
    row = db.exec(select(PasswordReset).where(
        PasswordReset.digest == slip_digest(settings.secret_key, code),
        PasswordReset.method == "desk").with_for_update()).first()
    usable = (row is not None and row.used_at is None and row.ended_at is None
              and row.expires_at > now and row.attempts < SLIP_TRIES)
    if not usable or user is None or row.user_id != user.id:
        if user is not None:
            _spend_try_on_slips(db, user, now)
        _count_failure(db, key, lambda state: rules.after_failure_slowing(
            state, now, limit=10, cap=timedelta(hours=1), forget=timedelta(hours=1)))
        raise FieldErrors({"code": Msg(SLIP_WRONG)})
    row.used_at = now
    db.add(row)
    return complete_reset(db, settings, user, new=new, method="desk", now=now,
                          by_id=row.issued_by)


def _spend_try_on_slips(db: Session, user: User, now: datetime) -> None:
    """A wrong code typed with the person's number counts against their open slip."""
    for row in db.exec(select(PasswordReset).where(
            PasswordReset.user_id == user.id, PasswordReset.method == "desk",
            PasswordReset.used_at.is_(None), PasswordReset.ended_at.is_(None))).all():
        row.attempts += 1
        db.add(row)


def slips_issued(db: Session, actor: Actor, limit: int = 30):
    """The latest slips the actor issued: (slip, person), for the desk page."""
    return db.exec(select(PasswordReset, User).join(User, User.id == PasswordReset.user_id)
                   .where(PasswordReset.issued_by == actor.user_id,
                          PasswordReset.method == "desk")
                   .order_by(PasswordReset.id.desc()).limit(limit)).all()

