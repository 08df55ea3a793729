"""The idea page tells the vote's outcome (issue 16 item 7): during the notice period (公示)
a selected idea says "投票入选（公示中，截至 …）" with its score, one that lost says so
with its score; the printable notice's QR code leads to the idea page."""

from sqlmodel import select

from consult.clock import to_local
from consult.voting.models import VoteResult
from tests.conftest import post_form
from tests.voting.conftest import close_round
from tests.voting.test_routes import _sign_in, _vote


def _published(client, db, world):
    for key in ("voter", "voter2"):
        _sign_in(client, world, key)
        assert _vote(client, world, 0, 1, 2).status_code == 303
    close_round(db, world.round)
    _sign_in(client, world, "moderator")
    published = post_form(client, f"/rounds/{world.round.id}/vote/manage",
                          f"/rounds/{world.round.id}/publish", {"confirm": "1"})
    assert published.status_code == 303
    return db.exec(select(VoteResult)).one()


def test_during_the_notice_the_idea_page_says_won_or_lost_with_the_score(client, db, world):
    result = _published(client, db, world)
    until = to_local(result.notice_until).strftime("%Y-%m-%d %H:%M")
    client.cookies.clear()
    won = client.get(f"/ideas/{world.ideas[0].id}")
    assert won.status_code == 200
    assert f"投票入选（公示中，截至 {until}）" in won.text
    assert "得分：2" in won.text
    assert f'href="/rounds/{world.round.id}/results"' in won.text
    lost = client.get(f"/ideas/{world.ideas[3].id}")
    assert f"投票未入选（公示中，截至 {until}）" in lost.text
    assert "得分：0" in lost.text and "投票入选" not in lost.text


def test_after_the_notice_the_outcome_stays_without_the_notice(client, db, world):
    result = _published(client, db, world)
    result.finalized_at = result.notice_until
    db.add(result)
    db.flush()
    page = client.get(f"/ideas/{world.ideas[1].id}")
    assert "投票入选" in page.text and "公示中" not in page.text and "得分：2" in page.text


def test_before_publication_nothing_is_said(client, db, world):
    page = client.get(f"/ideas/{world.ideas[0].id}")
    assert "投票入选" not in page.text and "投票未入选" not in page.text


def test_the_printed_notice_of_an_idea_leads_to_its_page(client, db, world, settings):
    result = _published(client, db, world)
    notice = client.get(f"/ideas/{world.ideas[0].id}/notice")
    assert notice.status_code == 200
    assert notice.context["target_url"].endswith(f"/ideas/{world.ideas[0].id}")
    assert 'class="qr"' in notice.text
    until = to_local(result.notice_until).strftime("%Y-%m-%d %H:%M")
    assert f"投票入选（公示中，截至 {until}）" in notice.text
