"""Where a text message goes: the outbox (the database itself) or an SMS provider.

A backend has one method, ``send(Outgoing) -> Delivery``, and never raises for a
provider's refusal or silence: a refusal is a ``Delivery`` with ``ok=False`` and the
provider's code, so the message is logged as failed and the person is told to try later.
Which backend runs is ``CONSULT_SMS_BACKEND``; the active one is set once, from the
settings, by ``configure`` (the app factory and the command line call it), as the ballot
key is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from consult.messaging.rules import Limits

BACKENDS = ("outbox", "aliyun", "tencent")


@dataclass(frozen=True)
class Outgoing:
    """One message to one number, in the shape both providers take."""

    message_id: int
    phone: str  # 11-digit mainland number
    sign_name: str
    template: str  # our template's name
    template_id: str  # the provider's id for it ('' for the outbox)
    params: dict[str, str]  # by name, in the template's order
    text: str  # as rendered here, with the sign name


@dataclass(frozen=True)
class Delivery:
    ok: bool
    code: str  # the provider's code: "OK" / "Ok", or why not ("isv.BUSINESS_LIMIT_CONTROL"…)
    provider_id: str | None = None  # BizId (Aliyun), SerialNo (Tencent)
    message: str = ""  # the provider's words, numbers masked (rules.scrub)


class Backend(Protocol):
    name: str
    #: Does a message reach a person's phone? The outbox does not: staff read it on a page.
    reaches_phones: bool

    def send(self, out: Outgoing) -> Delivery: ...


class OutboxBackend:
    """The embedded default: the message row is the delivery, read on the staff outbox
    page. Nothing leaves the machine, so the demo and the tests work offline."""

    name = "outbox"
    reaches_phones = False

    def send(self, out: Outgoing) -> Delivery:
        return Delivery(ok=True, code="OK", provider_id=f"outbox-{out.message_id}")


@dataclass(frozen=True)
class SmsConfig:
    """What the messaging services need from the settings."""

    backend: Backend = field(default_factory=OutboxBackend)
    sign_name: str = "社区征询"
    template_ids: dict[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)


def from_settings(settings) -> SmsConfig:
    """The configuration and backend ``settings`` choose; a real backend without its keys
    is refused at start-up (ValueError) rather than failing on the first message."""
    name = settings.sms_backend.strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"CONSULT_SMS_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    if name != "outbox":
        missing = [var for var, value in (("CONSULT_SMS_ACCESS_KEY_ID", settings.sms_access_key_id),
                                          ("CONSULT_SMS_ACCESS_KEY_SECRET", settings.sms_access_key_secret),
                                          ("CONSULT_SMS_SIGN_NAME", settings.sms_sign_name))
                   if not value]
        if name == "tencent" and not settings.sms_app_id:
            missing.append("CONSULT_SMS_APP_ID")
        if missing:
            raise ValueError(f"CONSULT_SMS_BACKEND={name} needs {', '.join(missing)}")
    if name == "aliyun":
        from consult.messaging.aliyun import AliyunBackend

        backend: Backend = AliyunBackend(settings)
    elif name == "tencent":
        from consult.messaging.tencent import TencentBackend

        backend = TencentBackend(settings)
    else:
        backend = OutboxBackend()
    limits = Limits(**{name: getattr(settings, f"sms_{name}") for name in Limits.__dataclass_fields__})
    return SmsConfig(backend=backend, sign_name=settings.sms_sign_name,
                     template_ids=dict(settings.sms_template_ids), limits=limits)


def split_endpoint(endpoint: str, default_host: str) -> tuple[str, str]:
    """(scheme, host[:port]) of an endpoint override (``http://127.0.0.1:8123`` in tests),
    or https and the provider's own host."""
    if not endpoint:
        return "https", default_host
    scheme, sep, rest = endpoint.partition("://")
    if not sep:
        return "https", endpoint.rstrip("/")
    return scheme.lower(), rest.rstrip("/")
