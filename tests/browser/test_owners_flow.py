"""Owners' votes in a real browser: an owner votes online with JavaScript off and on,
the pages fit a 320 px phone and pass axe-core.

The demo holds an open ordinary matter in 御品大厦 (吴建国, two homes, has not voted)
and a closed major one in 国际丽都城 with its result.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from consult import clock
from consult.accounts import services as accounts
from consult.communities.models import Home, HomeOwner, Place
from consult.owners import services
from consult.owners.demo import OWNER
from consult.owners.models import OwnerBallot, OwnerMatter
from consult.permissions import Actor
from tests.browser.helpers import (
    MODERATOR,
    PASSWORD,
    check_axe,
    check_layout,
    fresh_phone,
    path_of,
    submit,
)

pytestmark = pytest.mark.browser


def matter_of(live_db, estate_name: str) -> OwnerMatter:
    with live_db.session() as db:
        return db.exec(select(OwnerMatter).join(Place, Place.id == OwnerMatter.estate_id)
                       .where(Place.name == estate_name)).one()


def fresh_owner(live_server, matter: OwnerMatter) -> str:
    """A new account linked to an owner of 御品大厦 who has not voted yet; returns its login."""
    phone = fresh_phone()
    with live_server.database.session(write=True) as db:
        user = accounts.create_user(db, live_server.settings, login=phone, phone=phone,
                                    display_name="浏览器业主", password=PASSWORD)
        voted = set(db.exec(select(OwnerBallot.home_code).where(
            OwnerBallot.matter_id == matter.id, OwnerBallot.active.is_(True))).all())
        owner = db.exec(select(HomeOwner).join(Home, Home.id == HomeOwner.home_id).where(
            Home.estate_id == matter.estate_id, Home.developer_held.is_(False),
            HomeOwner.user_id.is_(None), Home.code.not_in(voted)).order_by(Home.id.desc())).first()
        staff = Actor(user_id=None, roles=frozenset({("admin", matter.estate_id)}))
        now = clock.utcnow()  # staff ask, the account holder confirms
        link = services.request_link(db, staff, owner.id, phone=phone, now=now)
        services.confirm_link(db, Actor(user_id=user.id), link.id, method="owner", now=now)
        db.commit()
    return phone


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_owner_votes_online(make_page, live_server, base_url, js):
    matter = matter_of(live_server.database, "御品大厦")
    login = fresh_owner(live_server, matter) if js else OWNER  # the demo owner, without JS
    page = make_page(js=js, user=login)
    page.goto(f"{base_url}/owners")
    submit(page, f"a[href='/owners/matters/{matter.id}']")
    assert path_of(page) == f"/owners/matters/{matter.id}"
    voice = page.locator(".owners-voice")
    assert voice.count() == 1
    if not js:
        assert "1-101" in voice.inner_text() and "1-102" in voice.inner_text()  # both homes
    check_layout(page)
    page.click(".owners-choices label:has(input[value=agree])")
    submit(page, ".owners-voice button[type=submit]")
    assert path_of(page) == f"/owners/matters/{matter.id}"
    assert "您的表决已记录：同意" in page.locator(".flash").inner_text()
    assert page.locator(".owners-voice input[name=choice]").count() == 0
    assert "已表决：同意" in page.locator(".owners-cast").inner_text()


def test_owner_pages_fit_a_phone_and_pass_axe(make_page, live_server, base_url):
    closed = matter_of(live_server.database, "国际丽都城")
    open_ = matter_of(live_server.database, "御品大厦")
    anonymous = make_page()
    for path in (f"/owners/matters/{closed.id}/result", f"/owners/matters/{open_.id}/notice",
                 f"/owners/matters/{open_.id}", f"/estates/{open_.estate_id}/owners"):
        anonymous.goto(base_url + path)
        assert anonymous.locator("main h1").count() == 1, path
        check_layout(anonymous)
        check_axe(anonymous)
    verdict = make_page()
    verdict.goto(f"{base_url}/owners/matters/{closed.id}/result")
    assert verdict.locator("#verdict").inner_text().strip() in ("表决通过。", "未获通过：同意的面积或人数未达到规定比例。",
                                                               "未获通过：参与表决的面积或人数未达到三分之二。")
    staff = make_page(user=MODERATOR)
    for path in (f"/estates/{open_.estate_id}/owners/register", f"/owners/matters/{open_.id}/ballots",
                 f"/owners/matters/{open_.id}", f"/estates/{open_.estate_id}/owners/matters/new"):
        staff.goto(base_url + path)
        assert staff.locator("main h1").count() == 1, path
        check_layout(staff)
        check_axe(staff)
    staff.goto(f"{base_url}/estates/{open_.estate_id}/owners/register")
    staff.click("main table a >> nth=0")
    assert path_of(staff).startswith("/owners/homes/")
    check_layout(staff)
    check_axe(staff)
