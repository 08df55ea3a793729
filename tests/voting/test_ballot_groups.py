"""A ballot of 80 ideas grouped by residential area (issue 16 item 3): the voter's own
area first and open, the others folded in <details>, jump links with a count per group,
and the sticky total carrying "下一步：核对（已选 N 项）". Plain anchors and <details>:
no script needed."""

import re

from consult import clock
from consult.voting import rules
from tests.conftest import csrf_from
from tests.voting.conftest import DAY, add_vote_round
from tests.voting.test_routes import _sign_in


def _ballot_of_80(db, world):
    now = clock.utcnow()
    titles = tuple(f"建议{n:02d}" for n in range(80))
    vote = add_vote_round(db, scope=world.tree["root"], author=world.people["voter3"], budget_fen=50_000_000,
                          costs=tuple(100_000 for _ in titles), titles=titles,
                          opens_at=now - DAY, closes_at=now + 7 * DAY)
    for n, idea in enumerate(vote.ideas):
        area = world.tree["area_b" if n < 50 else "area_a"]  # hers are the last 30
        idea.place_id = idea.area_id = area.id
        db.add(idea)
    db.flush()
    return vote


def test_groups_put_her_area_first_and_open(client, db, world):
    vote = _ballot_of_80(db, world)
    a, b = world.tree["area_a"], world.tree["area_b"]
    _sign_in(client, world, "voter")  # a resident of 恒丰 (area a)
    page = client.get(f"/rounds/{vote.round.id}/vote")
    assert page.status_code == 200
    jumps = re.findall(r'<a href="#ideas-(\d+)">([^<]+)</a>', page.text)
    assert jumps == [(str(a.id), "恒丰（30 项）"), (str(b.id), "郑家巷（50 项）")]
    groups = re.findall(r'<details class="vote-group" id="ideas-(\d+)"( open)?>', page.text)
    assert groups == [(str(a.id), " open"), (str(b.id), "")]
    first = page.text.index(f'id="ideas-{a.id}"')
    assert page.text.index(f'id="i-{vote.ideas[50].id}"') > first  # her ideas inside her group
    assert page.text.index(f'id="i-{vote.ideas[0].id}"') > page.text.index(f'id="ideas-{b.id}"')
    total = page.text[page.text.index('id="vote-total"'):]
    total = total[:total.index("</div>")]
    assert '下一步：核对（已选 <output data-out="chosen">0</output> 项）' in total
    assert 'name="action" value="review"' in total


def test_a_folded_group_with_a_ticked_idea_opens_again(client, db, world):
    vote = _ballot_of_80(db, world)
    b = world.tree["area_b"]
    _sign_in(client, world, "voter")
    url = f"/rounds/{vote.round.id}/vote"
    token = csrf_from(client.get(url).text)
    again = client.post(f"{url}", data={"csrf_token": token, "idea": [str(vote.ideas[3].id)],
                                        "action": "total"}, follow_redirects=False)
    assert again.status_code == 200
    assert f'<details class="vote-group" id="ideas-{b.id}" open>' in again.text
    assert '已选 <output data-out="chosen">1</output> 项' in again.text


def test_one_area_needs_no_groups(client, db, world):
    _sign_in(client, world, "voter")
    page = client.get(f"/rounds/{world.round.id}/vote")
    assert 'class="vote-group"' not in page.text and 'class="vote-jump"' not in page.text
    assert '下一步：核对（已选 <output data-out="chosen">0</output> 项）' in page.text


def test_grouping_rule():
    ideas = [("x1", 2), ("x2", None), ("x3", 1), ("x4", 2)]
    groups = rules.ballot_groups(ideas, area_of=lambda i: i[1], names={1: "乙", 2: "甲"}, own_area=1,
                                 other_name="其他")
    assert [(g.area_id, g.name, [i[0] for i in g.ideas], g.own) for g in groups] == [
        (1, "乙", ["x3"], True), (2, "甲", ["x1", "x4"], False), (None, "其他", ["x2"], False)]
