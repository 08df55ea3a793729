"""Issue 17 item 7: with SMS, a number is proved with a code at registration.

Without SMS (the outbox), registration is as before and a moderator's check is what
counts; with a provider, no account is made without the code sent to its number, so
nobody (a moderator included) registers voters with made-up numbers.
"""

from datetime import timedelta

import pytest
from sqlmodel import select

from consult.accounts.models import User
from consult.messaging import codes, rules
from consult.messaging.backends import Delivery
from consult.messaging.models import SmsCode, SmsMessage
from tests.conftest import SECRET_KEY, csrf_from
from tests.messaging.conftest import DAYTIME, use_recorder

PHONE = "13766665555"
PASSWORD = "a long enough phrase"


def ask_code(client, phone=PHONE):
    token = csrf_from(client.get("/register").text)
    return client.post("/register/code", data={"csrf_token": token, "phone": phone},
                       follow_redirects=False)


def register(client, code, phone=PHONE, password=PASSWORD, confirm=None):
    token = csrf_from(client.get("/register").text)
    return client.post("/register", follow_redirects=False, data={
        "csrf_token": token, "phone": phone, "code": code, "display_name": "刘阿姨",
        "password": password, "password_confirm": confirm or password})


def sent_code(recorder) -> str:
    return recorder.sent[-1].params["code"]


def test_without_sms_registration_needs_no_code(client, db):
    page = client.get("/register")
    assert 'name="password"' in page.text and 'name="code"' not in page.text
    assert register(client, "").status_code == 303
    user = db.exec(select(User).where(User.login == PHONE)).one()
    assert user.phone_verified_at is None


def test_with_sms_the_number_is_proved_first(client, db):
    recorder = use_recorder()
    page = client.get("/register")
    assert 'action="/register/code"' in page.text and 'name="password"' not in page.text
    step_two = ask_code(client, "+86 137-6666-5555")
    assert step_two.status_code == 200
    assert "137****5555" in step_two.text and 'name="code"' in step_two.text
    assert PHONE not in step_two.text.replace(f'value="{PHONE}"', "")  # shown masked
    code = sent_code(recorder)
    assert len(code) == 6 and code.isdigit() and recorder.sent[-1].phone == PHONE
    stored = db.exec(select(SmsCode)).one()
    assert code not in stored.digest and len(stored.digest) == 64  # only a keyed digest
    done = register(client, code)
    assert done.status_code == 303
    user = db.exec(select(User).where(User.login == PHONE)).one()
    assert user.phone_verified_at is not None
    db.expire_all()
    assert db.get(SmsCode, stored.id).used_at is not None


def test_no_account_without_the_code(client, db):
    use_recorder()
    refused = register(client, "")
    assert refused.status_code == 422 and "已过期或已使用" in refused.text
    assert db.exec(select(User).where(User.login == PHONE)).first() is None


def test_a_wrong_code_counts_a_try_and_makes_nothing(client, db):
    recorder = use_recorder()
    ask_code(client)
    code = sent_code(recorder)
    wrong = "000000" if code != "000000" else "111111"
    refused = register(client, wrong)
    assert refused.status_code == 422 and "还可以再试 4 次" in refused.text
    assert 'name="code"' in refused.text  # the form stays on the code step
    db.expire_all()
    assert db.exec(select(SmsCode)).one().attempts == 1  # kept although the answer is 422
    assert db.exec(select(User).where(User.login == PHONE)).first() is None
    assert register(client, code).status_code == 303


def test_other_mistakes_cost_no_try(client, db):
    recorder = use_recorder()
    ask_code(client)
    refused = register(client, "000000", confirm="another phrase here")
    assert refused.status_code == 422 and "两次输入的密码不一致" in refused.text
    assert db.exec(select(SmsCode)).one().attempts == 0
    assert register(client, sent_code(recorder)).status_code == 303


def test_a_second_code_within_a_minute_is_refused_and_logged(client, db):
    recorder = use_recorder()
    assert ask_code(client).status_code == 200
    again = ask_code(client)
    assert again.status_code == 429 and "请稍等一分钟" in again.text
    assert len(recorder.sent) == 1
    statuses = [m.status for m in db.exec(select(SmsMessage).order_by(SmsMessage.id)).all()]
    assert statuses == ["sent", "suppressed"]  # the refusal is in the log


def test_a_provider_that_fails_gives_a_clear_message_and_no_usable_code(client, db):
    use_recorder(Delivery(ok=False, code="isv.BUSINESS_LIMIT_CONTROL"))
    failed = ask_code(client)
    assert failed.status_code == 503 and "短信暂时无法发送" in failed.text and "居委会" in failed.text
    assert db.exec(select(SmsCode)).all() == []
    assert db.exec(select(SmsMessage)).one().status == "failed"
    assert register(client, "123456").status_code == 422


@pytest.mark.parametrize("phone, text", [("12345", "请输入有效的手机号码"), ("", "请输入有效的手机号码")])
def test_a_bad_number_sends_nothing(client, db, phone, text):
    recorder = use_recorder()
    refused = ask_code(client, phone)
    assert refused.status_code == 422 and text in refused.text and recorder.sent == []


def test_a_registered_number_gets_no_code(client, db, settings):
    from tests import factories

    factories.user(db, settings, login=PHONE)
    recorder = use_recorder()
    refused = ask_code(client)
    assert refused.status_code == 422 and "该手机号码已注册" in refused.text and recorder.sent == []


# -- the codes themselves --------------------------------------------------------------


def test_a_code_is_single_use(db):
    recorder = use_recorder()
    codes.send_code(db, phone=PHONE, purpose="register", secret=SECRET_KEY, now=DAYTIME)
    code = sent_code(recorder)
    check = dict(phone=PHONE, purpose="register", secret=SECRET_KEY, now=DAYTIME)
    assert codes.check_code(db, code=code, **check) is None
    assert codes.check_code(db, code=code, **check).text == rules.CODE_MISSING


def test_a_code_lasts_ten_minutes(db):
    recorder = use_recorder()
    codes.send_code(db, phone=PHONE, purpose="register", secret=SECRET_KEY, now=DAYTIME)
    check = dict(phone=PHONE, purpose="register", secret=SECRET_KEY, code=sent_code(recorder))
    assert codes.check_code(db, now=DAYTIME + timedelta(minutes=10), **check).text == rules.CODE_MISSING
    assert codes.check_code(db, now=DAYTIME + timedelta(minutes=9, seconds=59), **check) is None


def test_five_wrong_tries_end_a_code(db):
    recorder = use_recorder()
    codes.send_code(db, phone=PHONE, purpose="register", secret=SECRET_KEY, now=DAYTIME)
    code = sent_code(recorder)
    wrong = "000000" if code != "000000" else "111111"
    check = dict(phone=PHONE, purpose="register", secret=SECRET_KEY, now=DAYTIME)
    answers = [codes.check_code(db, code=wrong, **check) for _ in range(5)]
    assert [a.params.get("left") for a in answers[:4]] == [4, 3, 2, 1]
    assert answers[4].text == rules.CODE_TOO_MANY
    assert codes.check_code(db, code=code, **check).text == rules.CODE_TOO_MANY


def test_a_new_code_ends_the_old_one_and_purposes_do_not_mix(db):
    recorder = use_recorder()
    codes.send_code(db, phone=PHONE, purpose="register", secret=SECRET_KEY, now=DAYTIME)
    first = sent_code(recorder)
    codes.send_code(db, phone=PHONE, purpose="register", secret=SECRET_KEY, now=DAYTIME + timedelta(minutes=2))
    second = sent_code(recorder)
    check = dict(phone=PHONE, secret=SECRET_KEY, now=DAYTIME + timedelta(minutes=3))
    if first != second:
        assert codes.check_code(db, purpose="register", code=first, **check) is not None
    assert codes.check_code(db, purpose="reset", code=second, **check).text == rules.CODE_MISSING
    assert codes.check_code(db, purpose="register", code=second, **check) is None


def test_full_width_digits_and_spaces_are_the_same_code(db):
    recorder = use_recorder()
    codes.send_code(db, phone=PHONE, purpose="register", secret=SECRET_KEY, now=DAYTIME)
    code = sent_code(recorder)
    typed = " ".join(chr(ord("０") + int(d)) for d in code)
    assert codes.check_code(db, phone=PHONE, purpose="register", code=typed, secret=SECRET_KEY,
                            now=DAYTIME) is None


def test_the_verification_queue_says_whether_the_number_was_proved(client, db, settings):
    from consult.communities import services as places
    from tests import factories

    tree = factories.place_tree(db)
    moderator = factories.user(db, settings, name="李主任")
    places.grant_role(db, user=moderator, role="moderator", place=tree["area_a"])
    proved = factories.user(db, settings, name="已验证")
    proved.phone_verified_at = DAYTIME
    unproved = factories.user(db, settings, name="未验证")
    for person in (proved, unproved):
        places.request_verification(db, places.actor_for(db, person), person,
                                    area_id=tree["area_a"].id, note="")
    db.flush()
    factories.sign_in(client, moderator.login)
    page = client.get("/staff/verifications").text
    assert page.count("号码已通过短信验证码验证。") == 1
    assert page.count("号码未经短信验证：请与本人核实。") == 1
