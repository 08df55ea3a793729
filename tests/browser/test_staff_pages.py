"""Issue 16 item 12 in Chromium: the staff pages (review queue, paper entry, turnout, audit
log) use a desktop's width, and at 320 px they still fit: no page-level horizontal scroll,
tables scroll inside their own box. JavaScript on and off."""

from __future__ import annotations

import pytest
from sqlmodel import select

from consult.consultations.models import Round
from tests.browser.helpers import MODERATOR, check_layout

DESKTOP = {"width": 1366, "height": 800}


@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_staff_pages_are_wide_on_a_desktop_and_fit_a_phone(make_page, live_db, base_url, js):
    with live_db.session() as db:
        vote = db.exec(select(Round).where(Round.kind == "vote").order_by(Round.id)).first()
    paths = ["/staff/audit", f"/consultations/{vote.consultation_id}/review",
             f"/rounds/{vote.id}/paper", f"/rounds/{vote.id}/turnout"]
    page = make_page(js=js, user=MODERATOR, viewport=DESKTOP)
    for path in paths:
        response = page.goto(base_url + path)
        assert response.status == 200, path
        main_width = page.evaluate("document.querySelector('main').getBoundingClientRect().width")
        assert main_width > 1000, (path, main_width)  # not the 44rem reading column
        check_layout(page, width=320)
