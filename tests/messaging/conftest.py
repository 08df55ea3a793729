"""Each test starts on the outbox backend with the default limits, and leaves it so."""

from datetime import UTC, datetime

import pytest

from consult.messaging import rules, services
from consult.messaging.backends import Delivery, SmsConfig

#: 10:00 on a Wednesday, Beijing time (02:00 UTC): outside quiet hours.
DAYTIME = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
#: 22:30 Beijing time (14:30 UTC): inside quiet hours.
NIGHT = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)
#: 08:00 Beijing time the next morning: quiet hours end.
MORNING = datetime(2026, 12, 3, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def outbox_config():
    previous = services.use(SmsConfig())
    yield
    services.use(previous)


class Recorder:
    """A provider stand-in: remembers what it was given, answers as told."""

    name = "recorder"
    reaches_phones = True

    def __init__(self, delivery=None):
        self.sent = []
        self.delivery = delivery or Delivery(ok=True, code="OK", provider_id="biz-1")

    def send(self, out):
        self.sent.append(out)
        return self.delivery


def use_recorder(delivery=None, **limits):
    recorder = Recorder(delivery)
    services.use(SmsConfig(backend=recorder, sign_name="测试街道",
                           template_ids={"verification_code": "SMS_1", "vote_opened": "SMS_2"},
                           limits=rules.Limits(**limits)))
    return recorder
