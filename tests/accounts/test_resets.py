"""Issue 17 item 2: forgot password by an SMS code or a slip from the desk, each ending the
same way (new password, every session and token revoked, the person told, audited).
The third way, a family member's approval, is in tests/accounts/test_family.py."""

from datetime import timedelta

import pytest
from sqlmodel import select

from consult.accounts import passwords, resets
from consult.accounts import services as accounts
from consult.accounts.models import ApiToken, PasswordReset, User, UserSession
from consult.audit.models import AuditEntry
from consult.communities import services as places
from consult.messaging import services as sms
from consult.messaging.backends import Delivery, SmsConfig
from consult.messaging.models import SmsMessage
from consult.notifications.models import Notification
from tests import factories
from tests.conftest import csrf_from, post_form
from tests.messaging.conftest import Recorder

NEW = "梧桐树下的那张长椅"


def use_recorder(delivery=None):
    recorder = Recorder(delivery)
    sms.use(SmsConfig(backend=recorder, template_ids={
        "verification_code": "SMS_1", "password_reset": "SMS_2"}))
    return recorder


def _other_device_and_token(db, settings, user, app):
    """A second signed-in browser and an API token, to see them revoked."""
    from starlette.testclient import TestClient

    other = TestClient(app, base_url="http://testserver")
    factories.sign_in(other, user.login)
    token = accounts.issue_token(db, user)
    db.flush()
    return other, token


def _assert_reset_done(db, settings, user, other, method):
    db.expire_all()
    fresh = db.get(User, user.id)
    assert passwords.verify(fresh.password_hash, NEW, settings.argon2)[0]
    assert db.exec(select(UserSession).where(UserSession.user_id == user.id)).all() == []
    assert db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []
    assert other.get("/account", follow_redirects=False).status_code in (302, 303, 401)
    note = db.exec(select(Notification).where(Notification.user_id == user.id)).all()
    assert [n.kind for n in note if n.kind.startswith("password_reset")] == [f"password_reset_{method}"]
    told = db.exec(select(SmsMessage).where(SmsMessage.user_id == user.id,
                                            SmsMessage.template == "password_reset")).one()
    assert told.status in ("sent", "deferred")
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "password_reset")).one()
    assert entry.target_id == user.id and entry.details["method"] == method


def test_login_page_offers_forgot_password(client):
    page = client.get("/login")
    assert 'href="/password/forgot"' in page.text and "忘记密码" in page.text
    forgot = client.get("/password/forgot")
    assert forgot.status_code == 200
    # all three ways explained, each with what to do next
    assert "短信验证码" in forgot.text and "重置单" in forgot.text and "家属" in forgot.text
    assert 'href="/password/reset"' in forgot.text and 'href="/password/forgot/family"' in forgot.text


def test_without_sms_the_code_way_is_not_offered(client, db, settings):
    user = factories.user(db, settings)
    page = client.get("/password/forgot")
    assert 'action="/password/forgot/sms"' not in page.text and not page.context["sms"]
    response = post_form(client, "/password/forgot", "/password/forgot/sms", {"login": user.login})
    assert response.status_code == 503
    assert db.exec(select(SmsMessage)).all() == []


# -- (a) SMS code ------------------------------------------------------------------------


def test_sms_code_resets_and_revokes_everything(client, db, settings, app):
    recorder = use_recorder()
    user = factories.user(db, settings)
    other, _token = _other_device_and_token(db, settings, user, app)
    step = post_form(client, "/password/forgot", "/password/forgot/sms", {"login": user.login})
    assert step.status_code == 200 and step.context["step"] == "code"
    code = recorder.sent[-1].params["code"]
    token = csrf_from(step.text)
    done = client.post("/password/forgot/sms/reset", follow_redirects=False, data={
        "csrf_token": token, "login": user.login, "code": code, "new": NEW, "confirm": NEW})
    assert done.status_code == 303 and done.headers["location"] == "/login"
    _assert_reset_done(db, settings, user, other, "sms")
    # the code is spent
    again = client.post("/password/forgot/sms/reset", follow_redirects=False, data={
        "csrf_token": csrf_from(client.get("/password/forgot").text), "login": user.login,
        "code": code, "new": NEW + "!", "confirm": NEW + "!"})
    assert again.status_code == 422 and "已过期或已使用" in again.text


def test_sms_same_answer_for_an_unknown_number(client, db, settings):
    recorder = use_recorder()
    response = post_form(client, "/password/forgot", "/password/forgot/sms", {"login": "13711112222"})
    assert response.status_code == 200 and response.context["step"] == "code"
    assert recorder.sent == []
    token = csrf_from(response.text)
    tried = client.post("/password/forgot/sms/reset", follow_redirects=False, data={
        "csrf_token": token, "login": "13711112222", "code": "123456", "new": NEW, "confirm": NEW})
    assert tried.status_code == 422 and "已过期或已使用" in tried.text


def test_sms_wrong_codes_count_and_five_end_it(client, db, settings):
    recorder = use_recorder()
    user = factories.user(db, settings)
    before = user.password_hash
    post_form(client, "/password/forgot", "/password/forgot/sms", {"login": user.login})
    code = recorder.sent[-1].params["code"]
    wrong = "000000" if code != "000000" else "111111"
    texts = []
    for _ in range(5):
        response = post_form(client, "/password/forgot", "/password/forgot/sms/reset", {
            "login": user.login, "code": wrong, "new": NEW, "confirm": NEW})
        assert response.status_code == 422
        texts.append(response.text)
    assert "还可以再试 4 次" in texts[0] and "还可以再试 1 次" in texts[3]
    last = post_form(client, "/password/forgot", "/password/forgot/sms/reset", {
        "login": user.login, "code": code, "new": NEW, "confirm": NEW})
    assert last.status_code == 422
    db.expire_all()
    assert db.get(User, user.id).password_hash == before


def test_sms_bad_password_costs_no_try(client, db, settings):
    recorder = use_recorder()
    user = factories.user(db, settings)
    post_form(client, "/password/forgot", "/password/forgot/sms", {"login": user.login})
    code = recorder.sent[-1].params["code"]
    weak = post_form(client, "/password/forgot", "/password/forgot/sms/reset", {
        "login": user.login, "code": code, "new": "12345678", "confirm": "12345678"})
    assert weak.status_code == 422 and "new" in weak.context["errors"]
    ok = post_form(client, "/password/forgot", "/password/forgot/sms/reset", {
        "login": user.login, "code": code, "new": NEW, "confirm": NEW})
    assert ok.status_code == 303


def test_sms_provider_down_says_try_later_or_desk(client, db, settings):
    use_recorder(Delivery(ok=False, code="unavailable"))
    user = factories.user(db, settings)
    response = post_form(client, "/password/forgot", "/password/forgot/sms", {"login": user.login})
    assert response.status_code == 503
    assert "稍后再试" in response.text and "居委会" in response.text
    message = db.exec(select(SmsMessage)).one()  # logged, though the request failed
    assert message.status == "failed"


def test_sms_flood_for_one_number_is_refused(client, db, settings):
    use_recorder()
    user = factories.user(db, settings)
    assert post_form(client, "/password/forgot", "/password/forgot/sms",
                     {"login": user.login}).status_code == 200
    second = post_form(client, "/password/forgot", "/password/forgot/sms", {"login": user.login})
    assert second.status_code == 429 and "重置单" in second.text


# -- (b) a slip from the desk ------------------------------------------------------------


def _issue(client, login, reason="忘记密码，本人到场", id_checked=True):
    data = {"login": login, "reason": reason}
    if id_checked:
        data["id_checked"] = "1"
    return post_form(client, "/staff/resets", "/staff/resets", data)


def test_desk_slip_end_to_end(client, db, settings, app, desk):
    resident = desk["resident"]
    other, _ = _other_device_and_token(db, settings, resident, app)
    factories.sign_in(client, desk["moderator"].login)
    issued = _issue(client, resident.login)
    assert issued.status_code == 303
    slip_page = client.get(issued.headers["location"])
    assert slip_page.status_code == 200
    code = slip_page.context["code"]
    assert code and len(code.replace("-", "")) == 12 and "<svg" in slip_page.text
    assert "/password/reset?code=" in slip_page.context["link"]
    # shown once: the code is not stored and a reload does not show it
    assert client.get(issued.headers["location"]).context["code"] is None
    row = db.exec(select(PasswordReset)).one()
    assert code.replace("-", "") not in row.digest and row.issued_by == desk["moderator"].id
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "issue_reset_slip")).one()
    assert entry.actor_id == desk["moderator"].id and entry.reason == "忘记密码，本人到场"
    # the resident, on their own phone (no session), uses it; lower case and spaces forgiven
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/account").text)})
    page = client.get("/password/reset?code=" + code)
    assert page.context["form"]["code"] == code
    done = post_form(client, "/password/reset", "/password/reset", {
        "login": resident.login, "code": code.lower().replace("-", " "), "new": NEW, "confirm": NEW})
    assert done.status_code == 303, done.text
    _assert_reset_done(db, settings, resident, other, "desk")
    again = post_form(client, "/password/reset", "/password/reset", {
        "login": resident.login, "code": code, "new": NEW + "x", "confirm": NEW + "x"})
    assert again.status_code == 422 and "已使用" in again.text


def test_desk_slip_refusals(client, db, settings, desk):
    factories.sign_in(client, desk["moderator"].login)
    before = len(db.exec(select(AuditEntry)).all())
    no_id = _issue(client, desk["resident"].login, id_checked=False)
    assert no_id.status_code == 422 and "身份证" in no_id.text
    no_reason = _issue(client, desk["resident"].login, reason=" ")
    assert no_reason.status_code == 422 and "reason" in no_reason.context["errors"]
    unknown = _issue(client, "13700000001")
    assert unknown.status_code == 422 and "login" in unknown.context["errors"]
    own = _issue(client, desk["moderator"].login)
    assert own.status_code == 403 and "另一位工作人员" in own.text
    assert db.exec(select(PasswordReset)).all() == []
    assert len(db.exec(select(AuditEntry)).all()) == before


def test_staff_of_another_area_cannot_issue_a_slip(client, db, desk):
    factories.sign_in(client, desk["outsider"].login)
    assert _issue(client, desk["resident"].login).status_code == 403
    assert db.exec(select(PasswordReset)).all() == []


def test_a_resident_cannot_open_the_desk(client, desk):
    factories.sign_in(client, desk["resident"].login)
    assert client.get("/staff/resets").status_code == 403


def test_a_new_slip_ends_the_old_one_and_slips_expire(client, db, settings, desk):
    moderator = desk["moderator"]
    actor = places.actor_for(db, moderator)
    now = resets.clock.utcnow()
    _, _, first = resets.issue_slip(db, actor, settings, login=desk["resident"].login,
                                    reason="忘记", id_checked=True, now=now)
    _, _, second = resets.issue_slip(db, actor, settings, login=desk["resident"].login,
                                     reason="忘记", id_checked=True, now=now)
    kwargs = {"login": desk["resident"].login, "new": NEW, "confirm": NEW, "client": "1.2.3.4"}
    with pytest.raises(resets.FieldErrors):
        resets.reset_with_slip(db, settings, code=first, now=now, **kwargs)
    with pytest.raises(resets.FieldErrors):
        resets.reset_with_slip(db, settings, code=second, now=now + timedelta(hours=25), **kwargs)
    assert resets.reset_with_slip(db, settings, code=second, now=now + timedelta(hours=23), **kwargs)


def test_a_slip_works_only_with_its_own_number_and_five_wrong_end_it(db, settings, desk):
    actor = places.actor_for(db, desk["moderator"])
    now = resets.clock.utcnow()
    _, _, code = resets.issue_slip(db, actor, settings, login=desk["resident"].login,
                                   reason="忘记", id_checked=True, now=now)
    with pytest.raises(resets.FieldErrors):  # someone else's number with this code
        resets.reset_with_slip(db, settings, login=desk["moderator"].login, code=code, new=NEW,
                               confirm=NEW, now=now, client="9.9.9.9")
    for _ in range(5):
        with pytest.raises(resets.FieldErrors):
            resets.reset_with_slip(db, settings, login=desk["resident"].login, code="WRONG",
                                   new=NEW, confirm=NEW, now=now, client=f"10.0.0.{_}")
    with pytest.raises(resets.FieldErrors):
        resets.reset_with_slip(db, settings, login=desk["resident"].login, code=code, new=NEW,
                               confirm=NEW, now=now, client="10.0.1.1")


def test_slip_codes_read_forgivingly():
    assert resets.clean_slip_code("abcd-efgh 2345") == "ABCDEFGH2345"
    assert resets.clean_slip_code("ａｂ２３") == "AB23"
    assert resets.clean_slip_code("ab٢٣") == ""
    code = resets.new_slip_code()
    assert len(code) == 12 and set(code) <= set(resets.SLIP_ALPHABET)


def test_the_pages_in_english(client):
    client.cookies.set("lang", "en")
    assert "Forgot password?" in client.get("/login").text
    assert "A reset slip from the desk" in client.get("/password/forgot").text
