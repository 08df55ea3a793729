"""Issue 16 item 10: after an owners' vote closes, its page leads to the result instead of
still saying that how owners voted is sealed."""

from __future__ import annotations

from consult import clock
from tests import factories
from tests.owners.test_routes import close, open_matter


def test_a_closed_matter_leads_to_its_result(client, world, db):
    matter = open_matter(world)
    world.vote(world.li, matter, now=clock.utcnow())
    factories.sign_in(client, world.zhao.login)
    page = f"/owners/matters/{matter.id}"
    assert "表决结束前不公开各方意见。" in client.get(page).text
    close(db, matter)
    after = client.get(page).text
    assert "表决结束前不公开各方意见。" not in after
    assert f'href="/owners/matters/{matter.id}/result">表决已结束：查看结果</a>' in after
