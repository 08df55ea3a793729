"""Account services: registration, sign-in with throttling, passwords, sessions, API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import delete, select, update

from consult import clock, permissions
from consult.accounts import passwords, rules
from consult.accounts.models import ApiToken, LoginThrottle, User, UserSession
from consult.audit import services as audit
from consult.config import Settings
from consult.db.ids import parse_id
from consult.errors import (
    FieldErrors,
    Forbidden,
    NotFound,
    TooManyRequests,
    Unavailable,
    UserError,
)
from consult.i18n import N_, Msg
from consult.permissions import Actor


def get_user(db: Session, user_id: int) -> User | None:
    return db.get(User, user_id)


def find_by_login(db: Session, login: str) -> User | None:
    login = login.strip()
    phone = rules.normalize_phone(login)
    return db.exec(select(User).where(User.login == (phone or login))).first()


def create_user(
    db: Session,
    settings: Settings,
    *,
    login: str,
    display_name: str,
    password: str | None,
    phone: str | None = None,
) -> User:
    """Create an account without the checks of self-registration (CLI, demo, staff); the
    name is still checked as every person's name is."""
    if problem := rules.person_name_problem(display_name):
        raise UserError(problem, code="invalid_name")
    user = User(
        login=login,
        phone=phone,
        display_name=rules.clean_person_name(display_name),
        password_hash=passwords.hash_password(password, settings.argon2) if password else None,
    )
    db.add(user)
    db.flush()
    return user


def register(
    db: Session, settings: Settings, *, phone: str, display_name: str, password: str,
    password_confirm: str, code: str = "", now: datetime | None = None,
) -> User:
    """Self-registration. When text messages reach phones, the number is proved with the
    code sent to it (``consult.messaging.send_code``), checked only once everything else is
    right so a typo elsewhere costs no try; without SMS a moderator's check is what counts."""
    from consult import messaging

    now = now or clock.utcnow()
    errors: dict[str, Msg] = {}
    normalized = rules.normalize_phone(phone)
    if normalized is None:
        errors["phone"] = Msg(N_("Please enter a valid mainland mobile number (11 digits, starting with 1)."))
    elif db.exec(select(User.id).where(User.login == normalized)).first() is not None:
        errors["phone"] = Msg(N_("This mobile number is already registered."))
    if problem := rules.display_name_problem(display_name):
        errors["display_name"] = problem
    if problem := rules.password_problem(password, login=normalized or phone):
        errors["password"] = problem
    elif password != password_confirm:
        errors["password_confirm"] = Msg(N_("The two passwords do not match."))
    if errors:
        raise FieldErrors(errors)
    verified = None
    if messaging.reaches_phones():
        if problem := messaging.check_code(db, phone=normalized, purpose="register", code=code,
                                       secret=settings.secret_key, now=now):
            raise FieldErrors({"code": problem})
        verified = now
    try:
        with db.begin_nested():
            user = create_user(
                db, settings, login=normalized, phone=normalized,
                display_name=display_name, password=password,
            )
            user.phone_verified_at = verified
            db.add(user)
            db.flush()
            return user
    except IntegrityError:
        raise FieldErrors({"phone": Msg(N_("This mobile number is already registered."))}) from None


REGISTER_CODE_LIMIT = N_("Too many codes were asked for. Please wait a minute (or try again tomorrow) and ask again, or register at your residents' committee.")
REGISTER_CODE_FAILED = N_("The text message could not be sent just now. Please try again later, or register at your residents' committee.")


def send_register_code(db: Session, settings: Settings, *, phone: str, now: datetime,
                       address: str | None = None):
    """Step one of registration with SMS: a code to a number not yet registered. Returns
    the logged message; raises FieldErrors on ``phone`` for a bad or registered number, and
    TooManyRequests / UserError (503) when no code went (the caller keeps the log)."""
    from consult import messaging

    normalized = rules.normalize_phone(phone)
    if normalized is None:
        raise FieldErrors({"phone": Msg(N_("Please enter a valid mainland mobile number (11 digits, starting with 1)."))})
    if db.exec(select(User.id).where(User.login == normalized)).first() is not None:
        raise FieldErrors({"phone": Msg(N_("This mobile number is already registered."))})
    message = messaging.send_code(db, phone=normalized, purpose="register", secret=settings.secret_key,
                              now=now, address=address)
    if message.status == "suppressed":
        raise TooManyRequests(Msg(REGISTER_CODE_LIMIT))
    if message.status != "sent":
        raise Unavailable(Msg(REGISTER_CODE_FAILED))
    return message


# -- sign-in and throttling --------------------------------------------------------------

def _throttle_row(db: Session, key: str) -> LoginThrottle | None:
    return db.exec(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()).first()


def _state(row: LoginThrottle | None) -> rules.ThrottleState | None:
    if row is None:
        return None
    return rules.ThrottleState(row.failures, row.window_start, row.locked_until)


def _count_failure(db: Session, key: str, step) -> None:
    """Add one failure to the counter ``key``; ``step`` is the rule that counts it."""
    row = _throttle_row(db, key)
    new = step(_state(row))
    if row is None:
        try:
            with db.begin_nested():
                db.add(LoginThrottle(key=key, failures=new.failures,
                                     window_start=new.window_start, locked_until=new.locked_until))
            return
        except IntegrityError:
            row = _throttle_row(db, key)
            new = step(_state(row))
    row.failures, row.window_start, row.locked_until = new.failures, new.window_start, new.locked_until
    db.add(row)


def _account_key(login: str) -> str:
    return (rules.normalize_phone(login) or login.strip().lower())[:60]


def _throttle_keys(account: str, client: str, device: rules.Device | None) -> dict[str, str]:
    """The counters one attempt is held to. From a device that signed in to this account
    before, only that device's own counter: nobody else can lock it. Otherwise the
    account from this address (a lock), the account from everywhere and this address
    for every account (exponential waits)."""
    if device is not None:
        return {"pair": f"device:{device.id[:40]}|{account}"}
    return {"pair": f"pair:{account}|{client[:60]}", "account": f"account:{account}",
            "address": f"address:{client[:100]}"}


def authenticate(
    db: Session, settings: Settings, *, login: str, password: str, client: str, now: datetime,
    device: rules.Device | None = None,
) -> User:
    """Return the user, or raise. ``device`` is the browser's known-device cookie.

    The caller must keep this transaction's writes even when sign-in fails, so the
    counters persist (see ``keep_writes`` in :mod:`consult.web.db`). A refusal for too
    many attempts says how long to wait.
    """
    account = _account_key(login)
    user = find_by_login(db, login)
    if device is not None and (user is None or user.id not in device.accounts):
        device = None
    keys = _throttle_keys(account, client, device)
    rows = {kind: _throttle_row(db, key) for kind, key in keys.items()}
    waits = [left for row in rows.values() if (left := rules.time_left(_state(row), now))]
    if waits:
        raise TooManyRequests(
            N_("Too many wrong passwords. Please try again in %(minutes)s minutes, or sign in "
               "on a device you have signed in on before. Staff can also lift the lock."),
            minutes=rules.minutes_left(max(waits)))
    ok, new_hash = passwords.verify(user.password_hash if user else None, password, settings.argon2)
    if not ok:
        lock = timedelta(seconds=settings.login_lock_seconds)
        cap = timedelta(seconds=settings.login_delay_cap_seconds)
        forget = timedelta(seconds=settings.login_forget_seconds)
        steps = {
            "pair": lambda state: rules.after_failure(
                state, now, limit=settings.login_failures_per_account, window=lock),
            "account": lambda state: rules.after_failure_slowing(
                state, now, limit=settings.login_failures_account_everywhere, cap=cap,
                forget=forget),
            "address": lambda state: rules.after_failure_slowing(
                state, now, limit=settings.login_failures_per_address, cap=cap, forget=forget),
        }
        for kind, key in keys.items():
            _count_failure(db, key, steps[kind])
        raise UserError(N_("Wrong mobile number or password."), code="bad_credentials")
    if new_hash:
        user.password_hash = new_hash
        db.add(user)
    db.exec(delete(LoginThrottle).where(LoginThrottle.key.in_(
        [keys["pair"], f"account:{account}"])))
    return user


def lockouts(db: Session, now: datetime) -> list[tuple[str, str, int]]:
    """Counters that hold sign-in back now: (kind, account or address, minutes left)."""
    rows = db.exec(select(LoginThrottle).where(LoginThrottle.locked_until > now)
                   .order_by(LoginThrottle.locked_until.desc())).all()
    out = []
    for row in rows:
        kind, _, rest = row.key.partition(":")
        subject = rest.rpartition("|")[2] if kind == "device" else rest
        out.append((kind, subject, rules.minutes_left(row.locked_until - now)))
    return out


def lift_lockout(db: Session, actor: Actor, *, root: tuple[int, ...], login: str = "",
                 address: str = "") -> int:
    """Staff let a person (``login``) or an address try again at once; audited.
    Returns how many counters were cleared. ``root`` is the path of the root place
    (``communities.services.root_path``), where the right to lift a lockout is held:
    places are the communities' own, and they build on accounts, not the reverse."""
    if not permissions.allowed("lift_login_lockout", actor, root):
        raise Forbidden()
    account = _account_key(login) if login.strip() else ""
    address = address.strip()[:100]
    if not account and not address:
        raise FieldErrors({"login": Msg(N_("Please enter the mobile number (or the address) to let in."))})
    conditions = []
    if account:
        conditions += [LoginThrottle.key == f"account:{account}",
                       LoginThrottle.key.like(f"pair:{_like(account)}|%", escape="\\"),
                       LoginThrottle.key.like(f"device:%|{_like(account)}", escape="\\")]
    if address:
        conditions += [LoginThrottle.key == f"address:{address}",
                       LoginThrottle.key.like(f"pair:%|{_like(address[:60])}", escape="\\")]
    done = db.exec(delete(LoginThrottle).where(or_(*conditions)))
    user = find_by_login(db, login) if account else None
    audit.record(db, actor_id=actor.user_id, action="lift_login_lockout", target_type="user",
                 target_id=user.id if user else None, login=account or None,
                 address=address or None, cleared=done.rowcount)
    return done.rowcount


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def change_password(
    db: Session, settings: Settings, user: User, *, current: str, new: str, confirm: str
) -> User:
    ok, _ = passwords.verify(user.password_hash, current, settings.argon2)
    errors: dict[str, Msg] = {}
    if not ok:
        errors["current"] = Msg(N_("The current password is not correct."))
    if problem := rules.password_problem(new, login=user.login, phone=user.phone):
        errors["new"] = problem
    elif new != confirm:
        errors["confirm"] = Msg(N_("The two passwords do not match."))
    if errors:
        raise FieldErrors(errors)
    user.password_hash = passwords.hash_password(new, settings.argon2)
    _end_everything(db, user)  # the route then signs this device in again
    return user


def set_password(db: Session, settings: Settings, user: User, password: str) -> None:
    """Staff/CLI reset: same checks as a person's own change, and every session revoked."""
    if problem := rules.password_problem(password, login=user.login, phone=user.phone):
        raise FieldErrors({"password": problem})
    user.password_hash = passwords.hash_password(password, settings.argon2)
    _end_everything(db, user)


def _end_everything(db: Session, user: User) -> None:
    """Every browser session and API token of ``user`` ends."""
    user.session_version += 1
    db.add(user)
    db.exec(delete(ApiToken).where(ApiToken.user_id == user.id))
    db.exec(delete(UserSession).where(UserSession.user_id == user.id))


def logout_everywhere(db: Session, user: User) -> None:
    _end_everything(db, user)


# -- browser sessions -------------------------------------------------------------------

def session_digest(raw: str) -> str:
    """What the ``user_session`` table keeps of a cookie's session key."""
    return _digest(raw)


def start_session(db: Session, user: User, now: datetime) -> str:
    """A new signed-in browser for ``user``: the key for its cookie. The person's sessions
    older than a cookie lives are cleared on the way."""
    raw = secrets.token_urlsafe(32)
    db.exec(delete(UserSession).where(
        UserSession.user_id == user.id,
        UserSession.created_at < now - timedelta(days=rules.SESSION_DAYS)))
    db.add(UserSession(digest=_digest(raw), user_id=user.id, created_at=now))
    return raw


def end_session(db: Session, raw: str) -> None:
    """Sign out one browser: its cookie, even replayed, names no session any more."""
    db.exec(delete(UserSession).where(UserSession.digest == _digest(raw)))


def set_elder_mode(db: Session, user: User, on: bool) -> None:
    user.elder_mode = on
    db.add(user)


# -- API tokens -------------------------------------------------------------------------

def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(db: Session, user: User, *, now: datetime | None = None, label: str = "") -> str:
    """A new bearer token for ``user``, valid ``TOKEN_DAYS`` and renewed on use."""
    now = now or clock.utcnow()
    raw = secrets.token_urlsafe(32)
    db.add(ApiToken(user_id=user.id, digest=_digest(raw), session_version=user.session_version,
                    label=rules.clean_label(label), created_at=now,
                    expires_at=now + timedelta(days=rules.TOKEN_DAYS)))
    return raw


_TOKEN_COLUMNS = (ApiToken.id, ApiToken.session_version, ApiToken.expires_at)


def user_for_token(db: Session, raw: str, now: datetime | None = None) -> User | None:
    """The account of a bearer token, or None (unknown, expired or revoked). Using a token
    renews it for ``TOKEN_DAYS``, written at most once a day (when less than
    ``TOKEN_DAYS - 1`` days are left), so a busy client does not write on every request."""
    now = now or clock.utcnow()
    row = db.exec(
        select(User, *_TOKEN_COLUMNS)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.digest == _digest(raw))
    ).first()
    if row is None:
        return None
    user, token_id, version, expires_at = row
    if version != user.session_version or expires_at <= now:
        return None
    if rules.token_needs_renewal(expires_at, now):
        db.exec(update(ApiToken).where(ApiToken.id == token_id).values(
            expires_at=now + timedelta(days=rules.TOKEN_DAYS), last_used_at=now))
    return user


def revoke_token(db: Session, raw: str) -> None:
    db.exec(delete(ApiToken).where(ApiToken.digest == _digest(raw)))


def tokens_of(db: Session, user: User, now: datetime) -> list[ApiToken]:
    """The person's API tokens still in force, newest first."""
    return list(db.exec(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at > now,
                               ApiToken.session_version == user.session_version)
        .order_by(ApiToken.id.desc())
    ).all())


def revoke_token_of(db: Session, user: User, token_id) -> None:
    """The owner revokes one of their tokens; another person's token is not found."""
    number = parse_id(token_id)
    done = db.exec(delete(ApiToken).where(ApiToken.id == number, ApiToken.user_id == user.id)) \
        if number is not None else None
    if done is None or not done.rowcount:
        raise NotFound()
