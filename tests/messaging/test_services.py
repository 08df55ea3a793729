"""send_sms and send_due through the services, on the outbox and on recording backends."""

import logging
from datetime import timedelta

import pytest
from sqlmodel import select

from consult.config import Settings
from consult.errors import FieldErrors
from consult.messaging import services
from consult.messaging.backends import Delivery
from consult.messaging.models import SmsMessage
from tests.messaging.conftest import DAYTIME, MORNING, NIGHT, use_recorder

PHONE = "13812345678"
OTHER = "13987654321"


def code(db, now=DAYTIME, to=PHONE, address=None, value="246810"):
    return services.send_sms(db, to=to, template="verification_code",
                             params={"code": value, "minutes": 10}, kind="code", now=now,
                             address=address)


def notice(db, now=DAYTIME, to=PHONE):
    return services.send_sms(db, to=to, template="vote_opened",
                             params={"title": "加装电梯", "closes": "12月9日"}, kind="notice", now=now)


def test_a_code_goes_to_the_outbox_at_once_and_is_logged(db):
    message = code(db)
    assert message.id and message.status == "sent" and message.backend == "outbox"
    assert message.sent_at == DAYTIME and message.provider_id == f"outbox-{message.id}"
    assert message.body.startswith("【社区征询】您的验证码为246810")  # the outbox is the phone
    assert message.params == {"code": "******", "minutes": "10"}
    assert db.get(SmsMessage, message.id).status == "sent"
    assert not services.reaches_phones()


def test_through_a_provider_the_log_never_keeps_the_code(db):
    recorder = use_recorder()
    message = code(db)
    assert recorder.sent[0].params == {"code": "246810", "minutes": "10"}
    assert recorder.sent[0].template_id == "SMS_1" and recorder.sent[0].sign_name == "测试街道"
    assert "246810" not in message.body and "******" in message.body
    assert message.status == "sent" and message.provider_id == "biz-1" and message.provider_code == "OK"
    assert services.reaches_phones()


def test_a_code_goes_at_night_too(db):
    assert code(db, now=NIGHT).status == "sent"


def test_a_notice_at_night_waits_for_8_oclock(db):
    message = notice(db, now=NIGHT)
    assert message.status == "deferred" and message.due_at == MORNING and message.sent_at is None
    assert services.send_due(db, MORNING - timedelta(minutes=1)) == []  # 07:59
    assert db.get(SmsMessage, message.id).status == "deferred"
    done = services.send_due(db, MORNING)
    assert [m.id for m in done] == [message.id]
    assert message.status == "sent" and message.sent_at == MORNING
    assert services.send_due(db, MORNING) == []  # never twice


def test_the_next_send_takes_due_notices_along(db):
    waiting = notice(db, now=NIGHT)
    code(db, now=MORNING + timedelta(minutes=5), to=OTHER)
    assert waiting.status == "sent" and waiting.sent_at == MORNING + timedelta(minutes=5)


def test_a_code_at_night_leaves_deferred_notices_waiting(db):
    waiting = notice(db, now=NIGHT)
    code(db, now=NIGHT + timedelta(hours=1), to=OTHER)
    assert waiting.status == "deferred"


def test_a_notice_a_day_overdue_is_dropped(db):
    waiting = notice(db, now=NIGHT)
    [done] = services.send_due(db, MORNING + timedelta(days=1, hours=1))
    assert done.id == waiting.id and waiting.status == "suppressed" and waiting.reason == "expired"


def test_a_number_that_replied_td_gets_no_notices_but_still_its_codes(db):
    assert services.record_reply(db, phone="+86 138 1234 5678", text="TD", now=DAYTIME)
    assert services.is_opted_out(db, PHONE)
    refused = notice(db)
    assert refused.status == "suppressed" and refused.reason == "unsubscribed"
    assert code(db).status == "sent"
    assert notice(db, to=OTHER).status == "sent"


def test_unsubscribing_overnight_stops_the_deferred_notice(db):
    waiting = notice(db, now=NIGHT)
    services.record_reply(db, phone=PHONE, text="退订", now=NIGHT + timedelta(minutes=5))
    services.send_due(db, MORNING)
    assert waiting.status == "suppressed" and waiting.reason == "unsubscribed"


def test_other_replies_change_nothing_and_resubscribing_restores_notices(db):
    assert not services.record_reply(db, phone=PHONE, text="好的，谢谢", now=DAYTIME)
    assert not services.record_reply(db, phone="not a number", text="TD", now=DAYTIME)
    assert not services.is_opted_out(db, PHONE)
    services.record_reply(db, phone=PHONE, text="td", now=DAYTIME)
    services.record_reply(db, phone=PHONE, text="TD", now=DAYTIME)  # twice is once
    services.resubscribe(db, PHONE)
    assert notice(db).status == "sent"


def test_codes_per_number_1_a_minute_5_an_hour_10_a_day(db):
    assert code(db).status == "sent"
    again = code(db, now=DAYTIME + timedelta(seconds=30))
    assert again.status == "suppressed" and again.reason == "rate_number"
    assert code(db, now=DAYTIME + timedelta(seconds=30), to=OTHER).status == "sent"
    for minutes in (2, 4, 6, 8):
        assert code(db, now=DAYTIME + timedelta(minutes=minutes)).status == "sent"
    sixth = code(db, now=DAYTIME + timedelta(minutes=10))
    assert sixth.status == "suppressed" and sixth.reason == "rate_number"  # 5 in the hour
    later = DAYTIME + timedelta(hours=2)
    for minutes in range(0, 10, 2):
        assert code(db, now=later + timedelta(minutes=minutes)).status == "sent"  # 10 today
    eleventh = code(db, now=DAYTIME + timedelta(hours=5))
    assert eleventh.status == "suppressed" and eleventh.reason == "rate_number"
    assert code(db, now=DAYTIME + timedelta(days=1, minutes=1)).status == "sent"


def test_refused_requests_do_not_extend_the_wait(db):
    code(db)
    for seconds in (10, 20, 30, 40, 50):
        assert code(db, now=DAYTIME + timedelta(seconds=seconds)).status == "suppressed"
    assert code(db, now=DAYTIME + timedelta(seconds=61)).status == "sent"


def test_per_address_limit_across_numbers(db):
    use_recorder(codes_per_address_hour=2, codes_per_address_day=3)
    numbers = [f"1370000000{i}" for i in range(5)]
    assert code(db, to=numbers[0], address="203.0.113.9").status == "sent"
    assert code(db, to=numbers[1], address="203.0.113.9").status == "sent"
    third = code(db, to=numbers[2], address="203.0.113.9")
    assert third.status == "suppressed" and third.reason == "rate_address"
    assert code(db, to=numbers[2], address="198.51.100.1").status == "sent"
    later = DAYTIME + timedelta(hours=2)
    assert code(db, to=numbers[3], now=later, address="203.0.113.9").status == "sent"
    fourth = code(db, to=numbers[4], now=later + timedelta(minutes=1), address="203.0.113.9")
    assert fourth.reason == "rate_address"  # three a day


def test_notices_per_number_per_day(db):
    use_recorder(notices_per_day=2)
    assert notice(db).status == "sent"
    assert notice(db, now=DAYTIME + timedelta(hours=1)).status == "sent"
    third = notice(db, now=DAYTIME + timedelta(hours=2))
    assert third.status == "suppressed" and third.reason == "rate_number"
    assert notice(db, now=DAYTIME + timedelta(days=1, minutes=1)).status == "sent"


def test_a_provider_refusal_is_logged_with_its_code_and_counts_against_the_limit(db):
    use_recorder(Delivery(ok=False, code="isv.BUSINESS_LIMIT_CONTROL", message="触发分钟级流控"))
    failed = code(db)
    assert failed.status == "failed" and failed.provider_code == "isv.BUSINESS_LIMIT_CONTROL"
    assert failed.provider_message == "触发分钟级流控" and failed.sent_at is None
    assert code(db, now=DAYTIME + timedelta(seconds=20)).reason == "rate_number"


def test_a_provider_that_does_not_answer(db):
    use_recorder(Delivery(ok=False, code="unavailable", message="Read timed out"))
    failed = code(db)
    assert failed.status == "failed" and failed.reason == "unavailable"


def test_a_message_without_a_provider_template_id_fails_without_calling_the_provider(db):
    recorder = use_recorder()
    failed = services.send_sms(db, to=PHONE, template="digest", params={"count": 2, "summary": "两项"},
                               kind="notice", now=DAYTIME)
    assert failed.status == "failed" and failed.reason == "not_configured" and recorder.sent == []


def test_bad_input_writes_nothing(db):
    before = len(db.exec(select(SmsMessage)).all())
    with pytest.raises(FieldErrors) as caught:
        code(db, to="12345")
    assert "phone" in caught.value.errors
    with pytest.raises(ValueError):
        services.send_sms(db, to=PHONE, template="vote_opened", params={"title": "x", "closes": "y"},
                          kind="code", now=DAYTIME)
    with pytest.raises(ValueError):
        services.send_sms(db, to=PHONE, template="verification_code", params={"code": "1"},
                          kind="code", now=DAYTIME)
    assert len(db.exec(select(SmsMessage)).all()) == before


def test_logs_never_show_a_number_or_a_code_in_full(db, caplog):
    caplog.set_level(logging.INFO, logger="consult.messaging")
    code(db)
    notice(db, now=NIGHT)
    services.record_reply(db, phone=PHONE, text="TD", now=NIGHT)
    use_recorder(Delivery(ok=False, code="isv.MOBILE_NUMBER_ILLEGAL", message=f"号码{PHONE}不合法"))
    failed = code(db, now=DAYTIME + timedelta(hours=3))
    logged = caplog.text
    assert "138****5678" in logged and PHONE not in logged and "246810" not in logged
    assert PHONE not in failed.provider_message and "138****5678" in failed.provider_message
    assert len(caplog.records) >= 4


def test_configure_from_settings():
    base = Settings(database_url="unused", secret_key="k")
    assert services.configure(base) and services.current().backend.name == "outbox"
    with pytest.raises(ValueError, match="CONSULT_SMS_ACCESS_KEY_ID"):
        services.configure(Settings(database_url="unused", secret_key="k", sms_backend="aliyun"))
    with pytest.raises(ValueError, match="CONSULT_SMS_APP_ID"):
        services.configure(Settings(database_url="unused", secret_key="k", sms_backend="tencent",
                                    sms_access_key_id="id", sms_access_key_secret="secret"))
    with pytest.raises(ValueError, match="outbox, aliyun, tencent"):
        services.configure(Settings(database_url="unused", secret_key="k", sms_backend="carrier-pigeon"))
    services.configure(Settings(database_url="unused", secret_key="k", sms_backend=" Aliyun ",
                                sms_access_key_id="id", sms_access_key_secret="secret",
                                sms_codes_per_minute=3, sms_template_ids=(("verification_code", "SMS_9"),)))
    config = services.current()
    assert config.backend.name == "aliyun" and config.limits.codes_per_minute == 3
    assert config.template_ids == {"verification_code": "SMS_9"}


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("CONSULT_SMS_BACKEND", "tencent")
    monkeypatch.setenv("CONSULT_SMS_SIGN_NAME", "某某街道")
    monkeypatch.setenv("CONSULT_SMS_TEMPLATE_IDS", "verification_code=100001, vote_opened=100002")
    monkeypatch.setenv("CONSULT_SMS_CODES_PER_ADDRESS_HOUR", "7")
    monkeypatch.setenv("CONSULT_SMS_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("CONSULT_SMS_ENDPOINT", "http://127.0.0.1:9")
    settings = Settings.from_env(secret_key="k")
    assert settings.sms_backend == "tencent" and settings.sms_sign_name == "某某街道"
    assert settings.sms_template_ids == (("verification_code", "100001"), ("vote_opened", "100002"))
    assert settings.sms_codes_per_address_hour == 7 and settings.sms_timeout_seconds == 2.5
    assert settings.sms_endpoint == "http://127.0.0.1:9"
    monkeypatch.setenv("CONSULT_SMS_TEMPLATE_IDS", "verification_code")
    with pytest.raises(ValueError, match="name=id"):
        Settings.from_env(secret_key="k")
