"""The written proxy (委托书) of an owners' election ballot: the signed form is attached,
stored through the owners' upload (a PDF as it is, a photo re-encoded without metadata,
named by its content) and shown to staff only; without it nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from consult import clock
from consult.elections import services
from consult.elections.models import ElectionBallot, ElectionProxy
from consult.errors import FieldErrors
from tests import factories
from tests.conftest import post_form
from tests.elections.test_routes import open_now

PDF = b"%PDF-1.4 signed proxy form"


def _count(db, model) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def test_a_proxy_ballot_needs_the_signed_form(world, db):
    election, (a, _, _) = world.election()
    open_now(db, election)
    for scan in (b"", b"not a picture nor a PDF"):
        with pytest.raises(FieldErrors) as refused:
            services.enter_proxy_ballot(db, world.staff, election.id, home="1-107", holder="钱小明",
                                        candidates=[a], now=clock.utcnow(), settings=world.settings, scan=scan)
        assert "file" in refused.value.errors
    assert _count(db, ElectionBallot) == 0 and _count(db, ElectionProxy) == 0
    services.enter_proxy_ballot(db, world.staff, election.id, home="1-107", holder="钱小明", candidates=[a],
                                now=clock.utcnow(), settings=world.settings, scan=PDF)
    [proxy] = db.exec(select(ElectionProxy)).all()
    assert proxy.scan and proxy.scan.endswith(".pdf") and proxy.holder == "钱小明"
    _, path = services.proxy_scan(db, world.staff, world.settings, proxy.id)
    assert path.read_bytes() == PDF


def test_staff_upload_the_form_on_the_page_and_only_staff_see_it(client, world, db):
    election, (a, _, _) = world.election()
    open_now(db, election)
    db.commit()
    factories.sign_in(client, world.moderator.login)
    page = f"/elections/{election.id}/ballots"
    assert 'enctype="multipart/form-data"' in client.get(page).text
    missing = post_form(client, page, f"/elections/{election.id}/proxy",
                        {"home": "1-107", "holder": "钱小明", "candidates": str(a)})
    assert missing.status_code == 422 and 'aria-invalid="true"' in missing.text
    assert _count(db, ElectionProxy) == 0
    done = post_form(client, page, f"/elections/{election.id}/proxy",
                     {"home": "1-107", "holder": "钱小明", "candidates": str(a)},
                     files={"file": ("proxy.pdf", PDF, "application/pdf")})
    assert done.status_code == 303, done.text
    [proxy] = db.exec(select(ElectionProxy)).all()
    listed = client.get(page).text
    scan_url = f"/elections/proxies/{proxy.id}/scan"
    assert scan_url in listed and "钱小明" in listed
    shown = client.get(scan_url)
    assert shown.status_code == 200 and shown.content == PDF
    client.cookies.clear()
    factories.sign_in(client, world.li.login)
    assert client.get(scan_url).status_code in (403, 404)
