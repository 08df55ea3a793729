"""Registration, sign-in, sign-out, password change and session revocation over HTTP."""

from sqlmodel import select

from consult.accounts.models import LoginThrottle, User
from tests import factories
from tests.conftest import csrf_from, post_form

GOOD = {"phone": "138 1234 5678", "display_name": "刘阿姨", "password": "梧桐树下的那张长椅",
        "password_confirm": "梧桐树下的那张长椅"}


def _count_users(db):
    return len(db.exec(select(User)).all())


def test_register_signs_in_and_normalizes_phone(client, db):
    response = post_form(client, "/register", "/register", GOOD)
    assert response.status_code == 303
    assert response.headers["location"] == "/verify"
    user = db.exec(select(User).where(User.login == "13812345678")).one()
    assert user.display_name == "刘阿姨"
    assert user.password_hash.startswith("$argon2id$")
    page = client.get("/account")
    assert page.status_code == 200 and "刘阿姨" in page.text


def test_register_bad_input_changes_nothing(client, db):
    before = _count_users(db)
    cases = [
        ({"phone": "12345"}, "phone", "请输入有效的手机号码"),
        ({"password": "short", "password_confirm": "short"}, "password", "至少需要 8 个字符"),
        ({"password": "12345678", "password_confirm": "12345678"}, "password", "太常见"),
        ({"password_confirm": "something else"}, "password_confirm", "不一致"),
        ({"display_name": "  "}, "display_name", "请填写姓名"),
    ]
    for change, field, text in cases:
        response = post_form(client, "/register", "/register", {**GOOD, **change})
        assert response.status_code == 422, change
        assert field in response.context["errors"]
        assert text in response.text
    assert _count_users(db) == before


def test_register_taken_phone(client, db, settings):
    factories.user(db, settings, login="13812345678")
    response = post_form(client, "/register", "/register", GOOD)
    assert response.status_code == 422
    assert "该手机号码已注册" in response.text


def test_register_in_english(client):
    client.cookies.set("lang", "en")
    response = post_form(client, "/register", "/register", {**GOOD, "phone": "999"})
    assert "Please enter a valid mainland mobile number" in response.text


def test_sign_in_and_out(client, db, settings):
    user = factories.user(db, settings)
    response = factories.sign_in(client, user.login)
    assert response.headers["location"] == "/"
    assert client.get("/account").status_code == 200
    post_form(client, "/account", "/logout", {})
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_sign_in_follows_only_local_next(client, db, settings):
    user = factories.user(db, settings)
    for nxt, expected in (("/notifications", "/notifications"), ("//evil.example", "/"),
                          ("https://evil.example/", "/")):
        response = post_form(client, "/login", "/login",
                             {"login": user.login, "password": factories.PASSWORD, "next": nxt})
        assert response.headers["location"] == expected


def test_wrong_password_message(client, db, settings):
    user = factories.user(db, settings)
    response = post_form(client, "/login", "/login", {"login": user.login, "password": "nope-nope"})
    assert response.status_code == 400
    assert "手机号码或密码错误" in response.text


def test_unknown_account_gets_the_same_message(client):
    response = post_form(client, "/login", "/login", {"login": "13999999999", "password": "nope-nope"})
    assert response.status_code == 400
    assert "手机号码或密码错误" in response.text


def test_sixth_wrong_password_is_429_whatever_the_forwarded_for(client, db, settings):
    user = factories.user(db, settings)
    for i in range(5):
        response = post_form(client, "/login", "/login", {"login": user.login, "password": "wrong-pass"},
                             headers={"X-Forwarded-For": f"10.0.0.{i}"})
        assert response.status_code == 400
    response = post_form(client, "/login", "/login", {"login": user.login, "password": factories.PASSWORD},
                         headers={"X-Forwarded-For": "10.9.9.9"})
    assert response.status_code == 429
    assert "15 分钟后再试" in response.text  # the page says how long
    assert client.get("/account", follow_redirects=False).status_code == 303
    # the lock is on this account from this address (X-Forwarded-For is not believed
    # without a trusted proxy); the account's own counter only slows down later
    row = db.get(LoginThrottle, f"pair:{user.login}|testclient")
    assert row.failures == 5 and row.locked_until is not None
    row = db.get(LoginThrottle, f"account:{user.login}")
    assert row.failures == 5 and row.locked_until is None


def test_success_resets_the_account_counter(client, db, settings):
    user = factories.user(db, settings)
    for _ in range(4):
        post_form(client, "/login", "/login", {"login": user.login, "password": "wrong-pass"})
    factories.sign_in(client, user.login)
    db.expire_all()
    assert db.get(LoginThrottle, f"account:{user.login}") is None


def test_per_address_limit(client, db, settings, app):
    app.state.settings = settings.__class__(**{**settings.__dict__, "login_failures_per_address": 3})
    for i in range(3):
        post_form(client, "/login", "/login", {"login": f"1390000{i:04d}", "password": "wrong-pass"})
    user = factories.user(db, settings)
    response = post_form(client, "/login", "/login", {"login": user.login, "password": factories.PASSWORD})
    assert response.status_code == 429


def test_rehash_on_login(client, db, settings, app):
    from consult.config import Argon2Params

    user = factories.user(db, settings)
    old = user.password_hash
    app.state.settings = settings.__class__(
        **{**settings.__dict__, "argon2": Argon2Params(time_cost=2, memory_cost=2048, parallelism=1)})
    factories.sign_in(client, user.login)
    db.refresh(user)
    assert user.password_hash != old and "t=2" in user.password_hash


def test_password_change_revokes_other_sessions(app, db, settings):
    from starlette.testclient import TestClient

    user = factories.user(db, settings)
    with TestClient(app) as phone, TestClient(app) as desktop:
        factories.sign_in(phone, user.login)
        factories.sign_in(desktop, user.login)
        response = post_form(phone, "/account/password", "/account/password",
                             {"current": factories.PASSWORD, "new": "a much better secret",
                              "confirm": "a much better secret"})
        assert response.status_code == 303
        assert phone.get("/account").status_code == 200  # this device stays signed in
        assert desktop.get("/account", follow_redirects=False).status_code == 303
    db.refresh(user)
    assert user.session_version == 2


def test_password_change_bad_input_changes_nothing(client, db, settings):
    user = factories.user(db, settings)
    factories.sign_in(client, user.login)
    old = user.password_hash
    for data, field in (
        ({"current": "wrong-current", "new": "a much better secret", "confirm": "a much better secret"}, "current"),
        ({"current": factories.PASSWORD, "new": "12345678", "confirm": "12345678"}, "new"),
        ({"current": factories.PASSWORD, "new": "a much better secret", "confirm": "different"}, "confirm"),
    ):
        response = post_form(client, "/account/password", "/account/password", data)
        assert response.status_code == 422
        assert field in response.context["errors"]
    db.refresh(user)
    assert user.password_hash == old and user.session_version == 1


def test_logout_everywhere(app, db, settings):
    from starlette.testclient import TestClient

    user = factories.user(db, settings)
    with TestClient(app) as a, TestClient(app) as b:
        factories.sign_in(a, user.login)
        factories.sign_in(b, user.login)
        post_form(a, "/account", "/logout/everywhere", {})
        assert b.get("/account", follow_redirects=False).status_code == 303
        assert a.get("/account", follow_redirects=False).status_code == 303


def test_tampered_session_is_signed_out(client, db, settings):
    user = factories.user(db, settings)
    factories.sign_in(client, user.login)
    cookie = client.cookies.get("consult_session")
    payload, _, signature = cookie.rpartition(".")
    forged = payload + "." + ("A" * len(signature) if signature[0] != "A" else "B" * len(signature))
    client.cookies.clear()
    client.cookies.set("consult_session", forged)
    assert client.get("/account", follow_redirects=False).status_code == 303
    client.cookies.clear()
    client.cookies.set("consult_session", cookie)
    assert client.get("/account").status_code == 200  # the untouched cookie still works


def test_session_renewed_at_login(client, db, settings):
    user = factories.user(db, settings)
    before = csrf_from(client.get("/login").text)
    factories.sign_in(client, user.login)
    after = csrf_from(client.get("/account").text)
    assert before != after


def test_cookie_flags(client, db, settings):
    user = factories.user(db, settings)
    response = factories.sign_in(client, user.login)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie


def test_cookie_secure_when_base_url_is_https(db, settings, database):
    from starlette.testclient import TestClient

    from consult.web.app import create_app

    https = settings.__class__(**{**settings.__dict__, "base_url": "https://testserver"})
    user = factories.user(db, settings)
    with TestClient(create_app(https, database), base_url="https://testserver") as c:
        response = post_form(c, "/login", "/login", {"login": user.login, "password": factories.PASSWORD})
        assert "secure" in response.headers["set-cookie"].lower()
        assert "strict-transport-security" in response.headers


def test_look_alike_numbers_are_the_same_account_or_none(client, db, settings):
    """Full-width digits are the same number (NFKC); Arabic-Indic digits are no number."""
    factories.user(db, settings, login="13812345678")
    before = _count_users(db)
    same = post_form(client, "/register", "/register", {**GOOD, "phone": "１３８１２３４５６７８"})
    assert same.status_code == 422 and "该手机号码已注册" in same.text
    for look_alike in ("١٣٨١٢٣٤٥٦٧٨", "۱۳۸۱۲۳۴۵۶۷۹", "138١٢٣٤٥٦٧٩"):
        response = post_form(client, "/register", "/register", {**GOOD, "phone": look_alike})
        assert response.status_code == 422 and "请输入有效的手机号码" in response.text
    assert _count_users(db) == before
    assert factories.sign_in(client, "１３８ １２３４ ５６７８").status_code == 303


def test_names_made_of_nothing_or_reordering_marks_are_refused(client, db, settings):
    from consult.accounts import services as accounts
    from consult.errors import UserError

    before = _count_users(db)
    for name in ("\u200b\u3164", "刘\u202e阿姨", "刘\n阿姨"):
        response = post_form(client, "/register", "/register", {**GOOD, "display_name": name})
        assert response.status_code == 422, repr(name)
        assert "display_name" in response.context["errors"]
    assert _count_users(db) == before
    import pytest

    with pytest.raises(UserError):  # staff and the command line make accounts this way
        accounts.create_user(db, settings, login="staff-x", display_name="\u2066\u2069", password=None)


def test_own_number_as_password_is_refused_at_registration_and_change(client, db, settings):
    response = post_form(client, "/register", "/register",
                         {**GOOD, "password": "+86 13812345678", "password_confirm": "+86 13812345678"})
    assert response.status_code == 422 and "不能是您的手机号码" in response.text
    user = factories.user(db, settings, login="13912345670")
    factories.sign_in(client, user.login)
    response = post_form(client, "/account/password", "/account/password",
                         {"current": factories.PASSWORD, "new": "07654321931", "confirm": "07654321931"})
    assert response.status_code == 422 and "new" in response.context["errors"]
