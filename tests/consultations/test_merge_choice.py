"""Issue 16 item 13: a moderator merges an idea by choosing the target from a searchable list
(radio buttons, a plain GET search: no id to type, no JavaScript), and the flash says what
happened to which idea."""

from __future__ import annotations

import re

from tests import factories
from tests.conftest import post_form
from tests.consultations.conftest import new_idea


def _radios(html: str) -> list[str]:
    return re.findall(r'<input type="radio" name="target_id" value="(\d+)"', html)


def test_the_merge_target_is_chosen_from_a_searchable_list(client, db, world):
    a = new_idea(db, world, title="楼道灯更换")
    b = new_idea(db, world, author="resident_a2", title="更换楼道灯")
    c = new_idea(db, world, author="neighbour", title="小区绿化补种")
    factories.sign_in(client, world.people["moderator_a"].login)
    page = client.get(f"/ideas/{a.id}").text
    assert 'name="target_id" inputmode="numeric"' not in page  # no id to type
    assert _radios(page) == [str(b.id)]  # the similar idea is offered first
    assert 'method="get"' in page and 'name="merge_q"' in page
    found = client.get(f"/ideas/{a.id}", params={"merge_q": "绿化"}).text
    assert _radios(found) == [str(c.id)] and "小区绿化补种" in found
    assert _radios(client.get(f"/ideas/{a.id}", params={"merge_q": "无此项目"}).text) == []
    done = post_form(client, f"/ideas/{a.id}", f"/ideas/{a.id}/review",
                     {"action": "merge", "target_id": str(c.id), "note": ""})
    assert done.status_code == 303
    shown = client.get(done.headers["location"]).text
    assert "《楼道灯更换》已合并到《小区绿化补种》" in shown


def test_the_flash_names_the_idea_and_the_decision(client, db, world):
    a = new_idea(db, world, title="楼道灯更换")
    factories.sign_in(client, world.people["moderator_a"].login)
    done = post_form(client, f"/ideas/{a.id}", f"/ideas/{a.id}/review",
                     {"action": "reject", "note": "不在本居民区"})
    assert done.status_code == 303
    assert "《楼道灯更换》已不予采纳" in client.get(done.headers["location"]).text
