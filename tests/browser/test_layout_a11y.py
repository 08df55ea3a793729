"""Every page of the foundation on a 320 px phone, and through axe-core.

Each page is opened as the person who would see it, with realistic content: a resident
with a role, a request and an unread notification; a moderator with a pending request
(long, unbroken text included) and an audit log entry. Chinese everywhere, English on
some pages, and elder mode (60 px targets) on the anonymous ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import select

from consult import clock
from consult.accounts import services as accounts
from consult.communities import services as communities
from consult.communities.models import Place
from tests.browser.helpers import (
    ELDER_TARGET_PX,
    MODERATOR,
    PASSWORD,
    check_axe,
    check_layout,
    fresh_phone,
)

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Scene:
    places: dict[str, int]
    resident: str  # verified in 恒丰, one unread notification


@pytest.fixture(scope="module")
def scene(live_server) -> Scene:
    """Data the pages show: places to open, a verified resident, a pending request."""
    settings = live_server.settings
    with live_server.database.session(write=True) as db:
        def place(kind, name):
            return db.exec(select(Place).where(Place.kind == kind, Place.name == name)).one()

        area = place("area", "恒丰")
        places = {"area": area.id, "estate": place("estate", "御品大厦").id,
                  "group": place("building_group", "御品大厦1号楼组").id}
        moderator = communities.actor_for(db, accounts.find_by_login(db, MODERATOR))

        resident_login = fresh_phone()
        resident = accounts.create_user(db, settings, login=resident_login, phone=resident_login,
                                        display_name="版面测试居民", password=PASSWORD)
        req = communities.request_verification(db, communities.actor_for(db, resident), resident,
                                               area_id=area.id, note="御品大厦 2号楼 301")
        communities.decide_verification(db, moderator, request_id=req.id, approve=True,
                                        now=clock.utcnow())

        waiting_login = fresh_phone()
        waiting = accounts.create_user(db, settings, login=waiting_login, phone=waiting_login,
                                       display_name="欧阳" * 10, password=PASSWORD)
        communities.request_verification(db, communities.actor_for(db, waiting), waiting,
                                         area_id=area.id, note="御品大厦" + "1" * 60 + "室")
        db.commit()
    return Scene(places=places, resident=resident_login)


ANON, RESIDENT, MOD = "anonymous", "resident", "moderator"

# (path, who, expected HTTP status); "{area}" etc. are filled from the scene.
PAGES = {
    "home": ("/", ANON, 200),
    "area": ("/places/{area}", ANON, 200),
    "estate": ("/places/{estate}", ANON, 200),
    "building_group": ("/places/{group}", ANON, 200),
    "login": ("/login", ANON, 200),
    "register": ("/register", ANON, 200),
    "verify": ("/verify", RESIDENT, 200),
    "account": ("/account", RESIDENT, 200),
    "password": ("/account/password", RESIDENT, 200),
    "notifications": ("/notifications", RESIDENT, 200),
    "staff_account": ("/account", MOD, 200),
    "verifications": ("/staff/verifications", MOD, 200),
    "audit": ("/staff/audit", MOD, 200),
    "not_found": ("/places/99999999", ANON, 404),
    "no_such_path": ("/no/such/page", RESIDENT, 404),
}
ENGLISH = ["home", "building_group", "register", "account", "verifications", "audit", "not_found"]
ELDER = ["home", "area", "building_group", "login", "register", "not_found"]


def open_page(make_page, base_url, scene, key, **options):
    path, who, status = PAGES[key]
    user = {ANON: None, RESIDENT: scene.resident, MOD: MODERATOR}[who]
    page = make_page(user=user, **options)
    response = page.goto(base_url + path.format(**scene.places))
    assert response.status == status, (path, response.status)
    return page


@pytest.mark.parametrize("key", list(PAGES))
def test_page_in_chinese(make_page, base_url, scene, key):
    page = open_page(make_page, base_url, scene, key)
    assert page.get_attribute("html", "lang") == "zh-Hans"
    check_layout(page)
    check_axe(page)


@pytest.mark.parametrize("key", ENGLISH)
def test_page_in_english(make_page, base_url, scene, key):
    page = open_page(make_page, base_url, scene, key, lang="en")
    assert page.get_attribute("html", "lang") == "en"
    check_layout(page)
    check_axe(page)


@pytest.mark.parametrize("key", ELDER)
def test_page_in_elder_mode(make_page, base_url, scene, key):
    page = open_page(make_page, base_url, scene, key, elder=True)
    assert "elder" in page.get_attribute("body", "class")
    check_layout(page, min_target_px=ELDER_TARGET_PX)
    check_axe(page)


def test_pages_show_the_scene(make_page, base_url, scene):
    """The scans above looked at real content, not at empty lists."""
    page = open_page(make_page, base_url, scene, "verifications")
    assert page.locator("li.card").count() >= 1
    page.goto(f"{base_url}/staff/audit")
    first = page.locator("ol.audit-log li").first  # the log reads as sentences (issue 16 item 16)
    assert first.locator(".c-meta").count() == 1 and len(first.inner_text()) > 10
    page = open_page(make_page, base_url, scene, "notifications")
    assert page.locator("main li.unread").count() == 1
    page = open_page(make_page, base_url, scene, "building_group")
    assert page.locator("table.table tbody tr").count() >= 1


BAD_PAGE = """<!doctype html><html lang="zh-Hans"><head><title>坏页面</title><style>
body { font-size: 18px; } .wide { width: 400px; } .tiny { font-size: 12px; }
.small { width: 20px; height: 20px; padding: 0; } .faint { color: #ccc; }
</style></head><body><main>
<h1>坏页面</h1><div class="wide">太宽</div><p class="tiny">小字</p>
<button class="small">按</button><img src="x.png"><p class="faint">看不清</p>
</main></body></html>"""


def test_the_checks_catch_a_bad_page(page):
    """The harness itself: each check fails on the defect it exists for."""
    page.set_content(BAD_PAGE)
    with pytest.raises(AssertionError) as layout:
        check_layout(page)
    message = str(layout.value)
    assert "horizontal scroll at 320px" in message and "div.wide" in message
    assert 'p.tiny "小字": 12px' in message
    assert 'button.small "按": 20×20px' in message
    with pytest.raises(AssertionError) as axe:
        check_axe(page)
    assert '"image-alt"' in str(axe.value) and '"color-contrast"' in str(axe.value)
