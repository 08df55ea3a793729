"""Issue 16 item 15: the owners' vote result is a notice to post up: besides the figures the
Civil Code needs, it says since when it is posted and how to object, with a QR code."""

from __future__ import annotations

import re

from consult import clock
from tests.owners.test_routes import close, open_matter


def test_the_owners_result_notice_has_a_qr_code_and_the_notice_line(client, world, db):
    matter = open_matter(world, kind="major")
    world.vote(world.li, matter, now=clock.utcnow())
    close(db, matter)
    page = client.get(f"/owners/matters/{matter.id}/result").text
    assert re.search(r'<svg[^>]* class="qr"', page)
    assert f"/owners/matters/{matter.id}/result</p>" in page
    assert "公告" in page and "异议" in page and "业主委员会" in page
