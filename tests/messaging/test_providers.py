"""The Aliyun and Tencent backends through their SDKs, against local fakes of the APIs.

No network: each fake listens on 127.0.0.1 (``tests/messaging/fakes.py``) and checks the
signature, the action and the parameters as the provider documents them.
"""

import json
import logging
import socket

import pytest

from consult.config import Settings
from consult.messaging import services
from tests.messaging.conftest import DAYTIME
from tests.messaging.fakes import FakeAliyun, FakeTencent, aliyun_signature, tc3_signature

PHONE = "13812345678"
KEY_ID, SECRET, APP_ID = "LTAI-test-key", "test-secret-不外传", "1400123456"
IDS = (("verification_code", "SMS_100001"), ("vote_opened", "SMS_100002"))


def configure(backend, endpoint, *, secret=SECRET, timeout=2.0):
    services.configure(Settings(
        database_url="unused", secret_key="k", sms_backend=backend, sms_access_key_id=KEY_ID,
        sms_access_key_secret=secret, sms_sign_name="测试街道", sms_app_id=APP_ID,
        sms_template_ids=IDS, sms_endpoint=endpoint, sms_timeout_seconds=timeout))


def send_code(db, now=DAYTIME):
    return services.send_sms(db, to=PHONE, template="verification_code",
                             params={"code": "246810", "minutes": 10}, kind="code", now=now)


@pytest.fixture
def aliyun():
    with FakeAliyun(KEY_ID, SECRET) as fake:
        configure("aliyun", fake.endpoint)
        yield fake


@pytest.fixture
def tencent():
    with FakeTencent(KEY_ID, SECRET, APP_ID) as fake:
        configure("tencent", fake.endpoint)
        yield fake


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the fakes' own checks -----------------------------------------------------------------


def test_aliyun_signature_matches_the_documented_example():
    """The API reference's worked example (secret "testsecret", GET, DescribeRegions)."""
    params = {"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML",
              "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
              "SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}
    assert aliyun_signature("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_tc3_signature_matches_the_documented_example():
    """The API 3.0 signature guide's worked example (CVM DescribeInstances, 2019-02-25)."""
    body = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    assert tc3_signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", method="POST", host="cvm.tencentcloudapi.com",
                         content_type="application/json; charset=utf-8", body=body.encode(),
                         timestamp=1551113065, service="cvm") == \
        "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"


def test_tc3_signature_changes_with_every_signed_part():
    base = dict(method="POST", host="sms.tencentcloudapi.com", content_type="application/json",
                body=b'{"a":1}', timestamp=1551113065)
    signature = tc3_signature("key", **base)
    assert len(signature) == 64
    for change in ({"host": "other"}, {"body": b'{"a":2}'}, {"timestamp": 1551199465},
                   {"content_type": "text/plain"}):
        assert tc3_signature("key", **{**base, **change}) != signature
    assert tc3_signature("other key", **base) != signature


# -- Aliyun --------------------------------------------------------------------------------


def test_aliyun_sends_a_signed_sendsms_and_logs_the_bizid(db, aliyun):
    message = send_code(db)
    assert message.status == "sent" and message.backend == "aliyun"
    assert message.provider_code == "OK" and message.provider_id.endswith("^0")
    [request] = aliyun.requests
    params = request["params"]
    assert params["Action"] == "SendSms" and params["PhoneNumbers"] == PHONE
    assert params["SignName"] == "测试街道" and params["TemplateCode"] == "SMS_100001"
    assert json.loads(params["TemplateParam"]) == {"code": "246810", "minutes": "10"}
    assert params["OutId"] == str(message.id)
    assert "246810" not in message.body  # the provider has it; the log does not


def test_aliyun_wrong_secret_is_a_failure_with_the_providers_code(db, aliyun):
    configure("aliyun", aliyun.endpoint, secret="wrong")
    message = send_code(db)
    assert message.status == "failed" and message.provider_code == "SignatureDoesNotMatch"


def test_aliyun_business_refusal_is_logged_masked(db, aliyun, caplog):
    caplog.set_level(logging.INFO, logger="consult.messaging")
    aliyun.mode = "limit"
    message = send_code(db)
    assert message.status == "failed" and message.provider_code == "isv.BUSINESS_LIMIT_CONTROL"
    assert PHONE not in message.provider_message and "138****5678" in message.provider_message
    assert PHONE not in caplog.text


def test_aliyun_timeout_is_unavailable(db, aliyun):
    configure("aliyun", aliyun.endpoint, timeout=0.3)
    aliyun.mode = "slow"
    message = send_code(db)
    assert message.status == "failed" and message.reason == "unavailable"
    assert message.provider_code == "unavailable"


def test_aliyun_nobody_listening_is_unavailable(db):
    configure("aliyun", f"http://127.0.0.1:{closed_port()}", timeout=0.5)
    message = send_code(db)
    assert message.status == "failed" and message.reason == "unavailable"


def test_aliyun_deferred_notice_goes_through_the_provider_in_the_morning(db, aliyun):
    from tests.messaging.conftest import MORNING, NIGHT

    message = services.send_sms(db, to=PHONE, template="vote_opened",
                                params={"title": "加装电梯", "closes": "12月9日"}, kind="notice", now=NIGHT)
    assert message.status == "deferred" and aliyun.requests == []
    services.send_due(db, MORNING)
    assert message.status == "sent"
    params = aliyun.requests[0]["params"]
    assert params["TemplateCode"] == "SMS_100002"
    assert json.loads(params["TemplateParam"]) == {"title": "加装电梯", "closes": "12月9日"}


# -- Tencent -------------------------------------------------------------------------------


def test_tencent_sends_a_tc3_signed_sendsms_and_logs_the_serialno(db, tencent):
    message = send_code(db)
    assert message.status == "sent" and message.backend == "tencent"
    assert message.provider_code == "Ok" and message.provider_id.startswith("2019:")
    [request] = tencent.requests
    payload = request["payload"]
    assert payload["PhoneNumberSet"] == [f"+86{PHONE}"] and payload["SmsSdkAppId"] == APP_ID
    assert payload["SignName"] == "测试街道" and payload["TemplateId"] == "SMS_100001"
    assert payload["TemplateParamSet"] == ["246810", "10"]  # {1}, {2} in the template's order
    assert payload["SessionContext"] == str(message.id)
    assert request["headers"]["authorization"].startswith(f"TC3-HMAC-SHA256 Credential={KEY_ID}/")


def test_tencent_wrong_secret_is_a_failure_with_the_providers_code(db, tencent):
    configure("tencent", tencent.endpoint, secret="wrong")
    message = send_code(db)
    assert message.status == "failed" and message.provider_code == "AuthFailure.SignatureFailure"


def test_tencent_per_number_refusal_in_the_status_set(db, tencent, caplog):
    caplog.set_level(logging.INFO, logger="consult.messaging")
    tencent.mode = "limit"
    message = send_code(db)
    assert message.status == "failed" and message.provider_code == "LimitExceeded.PhoneNumberDailyLimit"
    assert PHONE not in message.provider_message and PHONE not in caplog.text


def test_tencent_timeout_is_unavailable(db, tencent):
    configure("tencent", tencent.endpoint, timeout=0.3)
    tencent.mode = "slow"
    message = send_code(db)
    assert message.status == "failed" and message.reason == "unavailable"


def test_tencent_nobody_listening_is_unavailable(db):
    configure("tencent", f"http://127.0.0.1:{closed_port()}", timeout=0.5)
    assert send_code(db).reason == "unavailable"
