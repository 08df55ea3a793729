"""Sending text messages, deferring them past quiet hours, 退订, and the outbox page.

``send_sms`` is the one call other domains make. It writes the message to the log
first, then decides (``rules``): a notice to a number that unsubscribed, or past a rate
limit, is suppressed; a notice in quiet hours is deferred to 08:00; anything else is
handed to the configured backend at once, inside the caller's transaction, and the row
records what the backend said. It never raises for a provider's refusal or silence: the
caller reads ``message.status`` and tells the person to try later or come to the desk.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.audit import services as audit
from consult.errors import FieldErrors, Forbidden
from consult.i18n import N_, Msg
from consult.messaging import rules
from consult.messaging.backends import Outgoing, SmsConfig, from_settings
from consult.messaging.models import SmsMessage, SmsOptOut
from consult.permissions import Actor

log = logging.getLogger("consult.messaging")

#: How many due messages a send (not the command) takes along with it, so a person asking
#: for a code never waits on a morning's backlog.
DUE_BATCH = 10

_config = SmsConfig()


def configure(settings) -> SmsConfig:
    """Choose the backend and limits from ``settings``; returns the previous configuration
    (tests put it back). Raises ValueError when a provider lacks its keys."""
    return use(from_settings(settings))


def use(config: SmsConfig) -> SmsConfig:
    global _config
    previous, _config = _config, config
    return previous


def current() -> SmsConfig:
    return _config


def reaches_phones() -> bool:
    """Does a message reach the person's phone? Not with the outbox, where staff read it:
    a code sent there proves nothing about who holds the number."""
    return _config.backend.reaches_phones


BAD_NUMBER = N_("Please enter a valid mainland mobile number (11 digits, starting with 1).")


def send_sms(db: Session, *, to: str, template: str, params: dict, kind: str, now: datetime,
             address: str | None = None, user_id: int | None = None,
             place_id: int | None = None) -> SmsMessage:
    """Log a message to ``to`` and send it now, later, or not at all; the logged row.

    ``kind`` is "code" or "notice" and must be the template's. ``address`` (the client
    address of the request that asked for a code) feeds the per-address limit.
    """
    tpl = rules.template(template, kind)
    values = rules.check_params(tpl, params)
    phone = rules.normalize(to)
    if phone is None:
        raise FieldErrors({"phone": Msg(BAD_NUMBER)})
    config = _config
    if not rules.in_quiet_hours(now):
        send_due(db, now, limit=DUE_BATCH)
    keep = values if tpl.kind == "notice" or not config.backend.reaches_phones else rules.redacted(tpl, values)
    message = SmsMessage(
        created_at=now, phone=phone, user_id=user_id, place_id=place_id, template=tpl.name,
        kind=tpl.kind, params=rules.redacted(tpl, values),
        body=rules.render(tpl, keep, config.sign_name), status="queued",
        backend=config.backend.name, address=(address or None) and address[:64])
    reason = _refusal(db, config, message, now)
    if reason:
        message.status, message.reason = "suppressed", reason
    elif tpl.kind == "notice" and rules.in_quiet_hours(now):
        message.status, message.due_at = "deferred", rules.quiet_hours_end(now)
    db.add(message)
    db.flush()
    if message.status == "queued":
        _deliver(config, message, values, now)
    _log(message)
    return message


def _refusal(db: Session, config: SmsConfig, message: SmsMessage, now: datetime) -> str | None:
    """Why ``message`` may not go now (a reason of ``rules.REASONS``), or None."""
    if message.kind == "notice" and is_opted_out(db, message.phone):
        return "unsubscribed"
    limits = config.limits
    if rules.over_limit(limits.windows(message.kind), _recent(db, message, now), now):
        return "rate_number"
    if message.kind == "code" and message.address and rules.over_limit(
            limits.windows("code", per_address=True), _recent(db, message, now, per_address=True), now):
        return "rate_address"
    return None


def _recent(db: Session, message: SmsMessage, now: datetime, *, per_address: bool = False):
    """When the messages that count against ``message``'s limits went (the last day): codes
    asked for (sent, failed or on their way) by number or address; notices sent by number."""
    since = now - rules.DAY
    if message.kind == "code":
        column = SmsMessage.address if per_address else SmsMessage.phone
        value = message.address if per_address else message.phone
        query = select(SmsMessage.created_at).where(
            column == value, SmsMessage.kind == "code", SmsMessage.created_at > since,
            SmsMessage.status.in_(("queued", "sent", "failed")))
    else:
        query = select(SmsMessage.sent_at).where(
            SmsMessage.phone == message.phone, SmsMessage.kind == "notice",
            SmsMessage.status == "sent", SmsMessage.sent_at > since)
    if message.id is not None:
        query = query.where(SmsMessage.id != message.id)
    return list(db.exec(query).all())


def _deliver(config: SmsConfig, message: SmsMessage, values: dict[str, str], now: datetime) -> None:
    template_id = config.template_ids.get(message.template, "")
    message.attempts += 1
    if config.backend.reaches_phones and not template_id:
        message.status, message.reason = "failed", "not_configured"
        return
    delivery = config.backend.send(Outgoing(
        message_id=message.id, phone=message.phone, sign_name=config.sign_name,
        template=message.template, template_id=template_id, params=values, text=message.body))
    message.provider_code = delivery.code[:64]
    message.provider_id = (delivery.provider_id or None) and str(delivery.provider_id)[:64]
    message.provider_message = rules.scrub(delivery.message) or None
    if delivery.ok:
        message.status, message.sent_at, message.reason = "sent", now, None
    else:
        message.status = "failed"
        message.reason = "unavailable" if delivery.code == "unavailable" else None


def _log(message: SmsMessage) -> None:
    """One line per message; the number masked, never the code."""
    log.info("sms %s %s to %s via %s: %s%s", message.id, message.template, rules.mask(message.phone),
             message.backend, message.status,
             f" ({message.reason or message.provider_code})" if message.reason or message.status == "failed" else "")


def send_due(db: Session, now: datetime, limit: int | None = None) -> list[SmsMessage]:
    """Send the notices deferred past quiet hours whose time has come (``python -m consult
    send-due`` runs it; every send takes a few along). Each is claimed with a conditional
    update first, so two processes never both send one. A notice whose number has since
    unsubscribed, that would pass the daily limit, or that is a day overdue, is not sent."""
    if rules.in_quiet_hours(now):
        return []
    query = (select(SmsMessage).where(SmsMessage.status == "deferred", SmsMessage.due_at <= now)
             .order_by(SmsMessage.due_at, SmsMessage.id))
    if limit is not None:
        query = query.limit(limit)
    config, done = _config, []
    for message in db.exec(query).all():
        claimed = db.exec(update(SmsMessage).where(SmsMessage.id == message.id,
                                                   SmsMessage.status == "deferred")
                          .values(status="queued").execution_options(synchronize_session=False))
        if claimed.rowcount != 1:
            continue
        message.status = "queued"
        if rules.stale(message.due_at, now):
            message.status, message.reason = "suppressed", "expired"
        elif reason := _refusal(db, config, message, now):
            message.status, message.reason = "suppressed", reason
        else:
            tpl = rules.TEMPLATES[message.template]
            message.backend = config.backend.name
            _deliver(config, message, {name: message.params[name] for name in tpl.params}, now)
        db.add(message)
        _log(message)
        done.append(message)
    db.flush()
    return done


# -- 退订 --------------------------------------------------------------------------------


def is_opted_out(db: Session, phone: str) -> bool:
    return db.get(SmsOptOut, phone) is not None


def record_reply(db: Session, *, phone: str, text: str, now: datetime) -> bool:
    """A person replied to a message: TD (退订, T, N…) stops every notice to the number.
    Returns whether it did; any other reply changes nothing."""
    number = rules.normalize(phone)
    if number is None or not rules.is_unsubscribe(text):
        return False
    if not is_opted_out(db, number):
        db.add(SmsOptOut(phone=number, created_at=now, source="reply"))
        db.flush()
    log.info("sms reply from %s: unsubscribed", rules.mask(number))
    return True


def opt_out(db: Session, actor: Actor, *, phone: str, now: datetime) -> bool:
    """Staff record that a person asked (at the desk, on the phone) to get no more notices;
    audited. Returns False when the number had already unsubscribed."""
    if not permissions.allowed("record_sms_opt_out", actor):
        raise Forbidden()
    number = rules.normalize(phone)
    if number is None:
        raise FieldErrors({"phone": Msg(BAD_NUMBER)})
    if is_opted_out(db, number):
        return False
    db.add(SmsOptOut(phone=number, created_at=now, source="staff", actor_id=actor.user_id))
    audit.record(db, actor_id=actor.user_id, action="sms_opt_out", target_type="phone",
                 phone=rules.mask(number))
    db.flush()
    return True


def resubscribe(db: Session, phone: str) -> None:
    """The person themselves asks for notices again (their own message settings)."""
    number = rules.normalize(phone)
    if number and (row := db.get(SmsOptOut, number)) is not None:
        db.delete(row)
        db.flush()


# -- the outbox page ---------------------------------------------------------------------


def outbox(db: Session, actor: Actor, *, status: str | None = None, limit: int = 100):
    """The latest messages the actor may see (``view_outbox``): those about a place they
    serve, and those about no place (codes, account matters) for staff of the whole
    sub-district. Rows: (message, place or None, recipient's display name or None)."""
    from consult.accounts.models import User
    from consult.communities.models import Place
    from consult.communities.services import root_path, staff_places

    places = staff_places(actor, db)
    if not places:
        return []
    root = root_path(db)
    seen = [Place.path.startswith(place.path) for place in places]
    if permissions.allowed("view_outbox", actor, root):
        seen.append(SmsMessage.place_id.is_(None))
    query = (select(SmsMessage, Place, User.display_name)
             .outerjoin(Place, Place.id == SmsMessage.place_id)
             .outerjoin(User, User.id == SmsMessage.user_id)
             .where(or_(*seen)).order_by(SmsMessage.id.desc()).limit(limit))
    if status in rules.STATUSES:
        query = query.where(SmsMessage.status == status)
    return [(message, place, name) for message, place, name in db.exec(query).all()
            if permissions.allowed("view_outbox", actor, place.ids_from_root if place else root)]


def opted_out_count(db: Session) -> int:
    from sqlalchemy import func

    return db.exec(select(func.count()).select_from(SmsOptOut)).one()
