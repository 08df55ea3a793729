"""Text messages (短信): one module, one call for the rest of the platform.

This is the domain's public surface (see :mod:`consult.surface`): other domains call
only what is named here, resolved on first use (so ``consult.db.models`` loads no
services)::

    from consult import messaging
    message = messaging.send_sms(db, to=user.phone, template="vote_opened",
                                 params={"title": title, "closes": "12月9日"},
                                 kind="notice", now=now, user_id=user.id, place_id=area.id)
    if message.status != "sent": ...  # deferred to 08:00, suppressed, or failed

``send_sms`` returns the logged ``SmsMessage`` (status queued, sent, failed with the
provider's code, deferred to 08:00, or suppressed with a reason) and never raises for a
provider's refusal; a malformed number raises ``FieldErrors`` on ``phone``. Templates
(Chinese, with the sign name, notices ending 回复TD退订) are ``TEMPLATES``; a new message
adds one in ``rules.py``. ``send_code`` / ``check_code`` are verification codes (keyed
digest, single use, 10 minutes, 5 tries) for registration and, with another purpose, a
password reset. ``reaches_phones()`` is False for the outbox backend: there staff read
every message, codes included, so a code sent there proves nothing about who holds a
number. ``send_due`` sends deferred notices (``python -m consult send-due``);
``record_reply`` takes a reply (TD unsubscribes); ``resubscribe`` is for the person's own
settings; ``configure`` is called once with the settings by the app and the CLI.
"""

from consult.surface import surface

_SURFACE = {
    "send_sms": "consult.messaging.services:send_sms",
    "send_due": "consult.messaging.services:send_due",
    "configure": "consult.messaging.services:configure",
    "reaches_phones": "consult.messaging.services:reaches_phones",
    "record_reply": "consult.messaging.services:record_reply",
    "resubscribe": "consult.messaging.services:resubscribe",
    "is_opted_out": "consult.messaging.services:is_opted_out",
    "send_code": "consult.messaging.codes:send_code",
    "check_code": "consult.messaging.codes:check_code",
    "mask": "consult.messaging.rules:mask",
    "TEMPLATES": "consult.messaging.rules:TEMPLATES",
    "STATUSES": "consult.messaging.rules:STATUSES",
    "SmsMessage": "consult.messaging.models:SmsMessage",
    "load_demo": "consult.messaging.demo:load",
}

__all__ = sorted(_SURFACE)
__getattr__, __dir__ = surface(__name__, _SURFACE)
