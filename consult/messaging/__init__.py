"""Text messages (短信): one module, one call for the rest of the platform.

Other domains call only what is named here::

    from consult import messaging
    message = messaging.send_sms(db, to=user.phone, template="verification_code",
                                 params={"code": code, "minutes": 10}, kind="code",
                                 now=now, address=client_address)
    if message.status != "sent": ...  # tell the person to try later or use the desk

``send_sms`` returns the logged ``SmsMessage`` (status queued, sent, failed with the
provider's code, deferred to 08:00, or suppressed with a reason) and never raises for a
provider's refusal; a malformed number raises ``FieldErrors`` on ``phone``. Templates
(Chinese, with the sign name, notices ending 回复TD退订) are ``rules.TEMPLATES``; a new
message adds one there. ``reaches_phones()`` is False for the outbox backend: there staff
read every message, codes included, so a code sent there proves nothing about who holds
a number. ``send_due`` sends deferred notices (``python -m consult send-due``);
``record_reply`` takes a reply (TD unsubscribes); ``resubscribe`` is for the person's own
settings; ``configure`` is called once with the settings by the app and the CLI.
"""

from consult.messaging.models import SmsMessage, SmsOptOut
from consult.messaging.rules import STATUSES, TEMPLATES
from consult.messaging.services import (
    configure,
    is_opted_out,
    reaches_phones,
    record_reply,
    resubscribe,
    send_due,
    send_sms,
)

__all__ = ["SmsMessage", "SmsOptOut", "STATUSES", "TEMPLATES", "configure", "is_opted_out",
           "reaches_phones", "record_reply", "resubscribe", "send_due", "send_sms"]
