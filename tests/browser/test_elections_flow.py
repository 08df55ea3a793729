"""Owners' committee elections in a real browser at 360×740: an owner approves candidates
with JavaScript off and on, staff print the door-to-door list, and the pages fit a 320 px
phone and pass axe-core.

The demo holds 国际丽都城's first election, open, with the area just under two thirds.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from consult import clock
from consult.accounts import services as accounts
from consult.communities.models import Home, HomeOwner, Place
from consult.elections import services
from consult.elections.models import OwnerElection
from consult.owners import services as owners_services
from consult.permissions import Actor
from tests.browser.helpers import PASSWORD, check_axe, check_layout, fresh_phone, path_of, submit

pytestmark = pytest.mark.browser
ADMIN = "13800000001"


def demo_election(live_db) -> OwnerElection:
    with live_db.session() as db:
        return db.exec(select(OwnerElection).join(Place, Place.id == OwnerElection.estate_id)
                       .where(Place.name == "国际丽都城")).one()


def fresh_owner(live_server, election: OwnerElection) -> str:
    """A new account linked to an owner of 国际丽都城 who has not voted yet; its login."""
    phone = fresh_phone()
    now = clock.utcnow()
    with live_server.database.session(write=True) as db:
        user = accounts.create_user(db, live_server.settings, login=phone, phone=phone,
                                    display_name="浏览器业主", password=PASSWORD)
        staff = Actor(user_id=None, roles=frozenset({("admin", election.estate_id)}))
        _, _, groups, _ = services.door_to_door(db, staff, election.id, now)
        waiting = {h.home_id for stops in groups.values() for s in stops if not s.developer
                   for h in s.homes}
        owner = db.exec(select(HomeOwner).join(Home, Home.id == HomeOwner.home_id).where(
            Home.estate_id == election.estate_id, HomeOwner.user_id.is_(None),
            Home.code.in_(waiting)).order_by(Home.id)).first()
        link = owners_services.request_link(db, staff, owner.id, phone=phone, now=now)
        owners_services.confirm_link(db, Actor(user_id=user.id), link.id, method="owner", now=now)
        db.commit()
    return phone


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_owner_approves_candidates(make_page, live_server, base_url, js):
    election = demo_election(live_server.database)
    page = make_page(js=js, user=fresh_owner(live_server, election))
    page.goto(f"{base_url}/estates/{election.estate_id}/elections")
    submit(page, f"a[href='/elections/{election.id}']")
    assert path_of(page) == f"/elections/{election.id}"
    check_layout(page)
    boxes = page.locator("#ballot input[name=candidates]")
    assert boxes.count() == 10
    page.click("#ballot li:nth-child(1) label")
    page.click("#ballot li:nth-child(3) label")
    submit(page, "#ballot button[type=submit]")
    assert path_of(page) == f"/elections/{election.id}"
    assert "您的选票已记录" in page.locator(".flash").inner_text()
    assert page.locator("#ballot").count() == 0
    assert "已交选票" in page.locator("main").inner_text()


def test_staff_print_the_door_to_door_list(make_page, live_server, base_url):
    election = demo_election(live_server.database)
    staff = make_page(user=ADMIN)
    staff.goto(f"{base_url}/elections/{election.id}")
    submit(staff, f"a[href='/elections/{election.id}/door-to-door']")
    assert staff.locator("main h1").inner_text() == "上门名单：尚未投票的房屋"
    assert "尚差" in staff.locator("#door-gauge").inner_text()
    rows = staff.locator(".door-building tbody tr").count()
    assert rows > 0
    check_layout(staff)
    check_axe(staff)
    staff.emulate_media(media="print")
    assert not staff.locator("header.top, .top").first.is_visible()
    assert staff.locator(".door-building").first.is_visible()
    pdf = staff.pdf(format="A4")
    assert pdf.startswith(b"%PDF")


def test_election_pages_fit_a_phone_and_pass_axe(make_page, live_server, base_url):
    election = demo_election(live_server.database)
    anonymous = make_page()
    for path in (f"/elections/{election.id}", f"/estates/{election.estate_id}/elections"):
        anonymous.goto(base_url + path)
        assert anonymous.locator("main h1").count() == 1, path
        assert anonymous.locator("#g-area").count() == (1 if "/elections/" in path[:11] else 0)
        check_layout(anonymous)
        check_axe(anonymous)
    staff = make_page(user=ADMIN)
    for path in (f"/elections/{election.id}/ballots", f"/estates/{election.estate_id}/elections/new"):
        staff.goto(base_url + path)
        assert staff.locator("main h1").count() == 1, path
        check_layout(staff)
        check_axe(staff)
