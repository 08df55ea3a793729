"""The foundation's promise, in a real browser, with JavaScript on and off.

A newcomer registers, asks to be verified in 恒丰, the 恒丰 moderator approves, and the
newcomer sees it; the footer's language switch and elder mode work.
"""

from __future__ import annotations

import pytest

from tests.browser.helpers import (
    MODERATOR,
    check_layout,
    font_px,
    fresh_phone,
    path_of,
    sign_in,
    sign_out,
    submit,
)

pytestmark = pytest.mark.browser

JS = pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])


def register(page, base: str, phone: str, name: str) -> None:
    page.goto(f"{base}/register")
    page.fill("#f-phone", phone)
    page.fill("#f-display_name", name)
    page.fill("#f-password", "a long secret 2026")
    page.fill("#f-password_confirm", "a long secret 2026")
    submit(page, "main form button[type=submit]")
    assert path_of(page) == "/verify", page.locator("main").inner_text()


@JS
def test_register_verify_approve_and_see_it(make_page, base_url, js):
    phone, name = fresh_phone(), "浏览器测试" + ("甲" if js else "乙")
    person = make_page(js=js)
    register(person, base_url, phone, name)
    assert person.locator(".flash").count() == 1  # welcome, ask to be verified

    person.select_option("#f-area", label="恒丰")
    person.fill("#f-note", "御品大厦 3号楼 1201")
    submit(person, "main form button[type=submit]")
    assert path_of(person) == "/account"
    request_row = person.locator("section[aria-labelledby=req-h] li", has_text="恒丰")
    assert request_row.locator(".state-pending").count() == 1
    assert person.locator("section[aria-labelledby=roles-h] li").count() == 0
    sign_out(person, base_url)

    moderator = make_page(js=js)
    sign_in(moderator, base_url, MODERATOR)
    moderator.goto(f"{base_url}/staff/verifications")
    card = moderator.locator("li.card", has_text=phone)
    assert card.count() == 1, moderator.locator("main").inner_text()
    assert "御品大厦 3号楼 1201" in card.inner_text()
    submit(moderator, f"li.card:has-text('{phone}') button[value=approve]")
    assert path_of(moderator) == "/staff/verifications"
    assert moderator.locator(".flash").inner_text() == "已通过。"
    assert moderator.locator("li.card", has_text=phone).count() == 0
    sign_out(moderator, base_url)

    sign_in(person, base_url, phone, "a long secret 2026")
    person.goto(f"{base_url}/notifications")
    assert person.locator("header a[href='/notifications'] .badge").inner_text() == "1"
    unread = person.locator("main li.unread")
    assert unread.count() == 1
    assert "恒丰" in unread.inner_text() and unread.locator(".badge").inner_text() == "新"

    person.goto(f"{base_url}/account")
    roles = person.locator("section[aria-labelledby=roles-h] li")
    assert roles.count() == 1
    assert roles.locator("strong").inner_text() == "居民"
    assert roles.locator("a").inner_text() == "恒丰"
    assert person.locator("section[aria-labelledby=req-h] .state-approved").count() == 1


@JS
def test_language_switch_goes_to_english_and_back(make_page, base_url, js):
    page = make_page(js=js)
    page.goto(f"{base_url}/login")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.locator("h1").inner_text() == "登录"

    submit(page, "footer button[name=lang]")
    assert path_of(page) == "/login"  # stays on the same page
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("h1").inner_text() == "Sign in"
    page.goto(f"{base_url}/register")  # remembered (cookie) on the next page
    assert page.locator("h1").inner_text() == "Register"

    submit(page, "footer button[name=lang]")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.locator("h1").inner_text() == "注册"


@JS
def test_elder_mode_makes_text_larger_and_back(make_page, base_url, js):
    page = make_page(js=js)
    page.goto(f"{base_url}/")
    standard = {sel: font_px(page, sel) for sel in ("body", "main p", "footer button")}

    submit(page, "footer button[name=elder]")
    assert path_of(page) == "/"
    assert "elder" in (page.get_attribute("body", "class") or "")
    elder = {sel: font_px(page, sel) for sel in standard}
    for sel, size in standard.items():
        assert elder[sel] >= 1.35 * size, (sel, size, elder[sel])
    # still fits a 320 px phone, with the elder mode's 60 px targets
    check_layout(page, min_target_px=60)
    page.goto(f"{base_url}/login")  # kept on the next page
    assert font_px(page) == elder["body"]

    submit(page, "footer button[name=elder]")
    assert font_px(page) == standard["body"]
