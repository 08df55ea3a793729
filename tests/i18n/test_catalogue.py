"""Chinese is complete; the language follows the cookie, then the browser."""

import pytest

from consult.i18n import Msg, negotiate, translator
from consult.i18n.extract import extract, missing
from tests.conftest import post_form


def test_every_string_is_in_the_chinese_catalogue():
    gaps = missing("zh_Hans")
    assert not gaps, "missing Chinese translations:\n" + "\n".join(
        f"{places[0]}: {msgid}" for msgid, places in gaps.items())


def test_extraction_finds_templates_and_code():
    found = extract()
    assert any(p.startswith("templates/") for places in found.values() for p in places)
    assert "Wrong mobile number or password." in found  # marked with N_ in a service


def test_placeholders_survive_translation():
    zh = translator("zh_Hans")
    for msgid, text in zh._messages.items():
        import re

        wanted = sorted(re.findall(r"%\((\w+)\)s", msgid))
        assert sorted(re.findall(r"%\((\w+)\)s", text)) == wanted, msgid


def test_msg_translates_with_params():
    msg = Msg("The password must have at least %(min)s characters.", {"min": 8})
    assert msg.translate(translator("zh_Hans")) == "密码至少需要 8 个字符。"
    assert msg.translate(translator("en")) == "The password must have at least 8 characters."


@pytest.mark.parametrize("cookie, header, expected", [
    (None, None, "zh_Hans"),
    (None, "en-US,en;q=0.9", "en"),
    (None, "zh-CN,zh;q=0.9,en;q=0.8", "zh_Hans"),
    (None, "fr-FR", "zh_Hans"),
    ("en", "zh-CN", "en"),
    ("zh_Hans", "en", "zh_Hans"),
    ("klingon", "en", "en"),
])
def test_negotiation(cookie, header, expected):
    assert negotiate(cookie, header) == expected


def test_chinese_by_default_english_by_header(client):
    page = client.get("/login")
    assert '<html lang="zh-Hans">' in page.text and "登录" in page.text
    english = client.get("/login", headers={"accept-language": "en-GB,en"})
    assert '<html lang="en">' in english.text and "Sign in" in english.text


def test_language_switch_is_remembered(client):
    response = post_form(client, "/login", "/prefs/language", {"lang": "en", "next": "/login"})
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert "Sign in" in client.get("/login").text
    post_form(client, "/login", "/prefs/language", {"lang": "zh_Hans", "next": "/login"})
    assert "登录" in client.get("/login").text


def test_elder_mode_is_remembered(client):
    assert 'class=""' in client.get("/").text
    post_form(client, "/", "/prefs/elder", {"elder": "1", "next": "/"})
    assert 'class="elder"' in client.get("/").text
    post_form(client, "/", "/prefs/elder", {"elder": "0", "next": "/"})
    assert 'class=""' in client.get("/").text


def test_elder_mode_kept_on_the_account(client, db, settings):
    from tests import factories

    user = factories.user(db, settings)
    factories.sign_in(client, user.login)
    post_form(client, "/", "/prefs/elder", {"elder": "1", "next": "/"})
    db.refresh(user)
    assert user.elder_mode is True
    client.cookies.delete("elder")
    assert 'class="elder"' in client.get("/").text
