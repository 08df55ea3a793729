"""Four eyes in delivery: a failed safety check's repair is re-checked by another staff
member than who recorded the failure; a pledge's receipt is confirmed by the pledger in
their account or by a second staff member. Safety-check photos come over the API too."""

from __future__ import annotations

import base64

import pytest
from sqlmodel import select

from consult.accounts import services as accounts
from consult.delivery.models import CheckItem, DeliveryPhoto, Repair, SafetyCheck
from consult.delivery.services import register
from consult.errors import FieldErrors, Forbidden
from tests.delivery.builders import DAY, NOW, all_pass, jpeg, project


def bearer(db, user):
    token = accounts.issue_token(db, user)
    db.flush()
    return {"authorization": f"Bearer {token}"}


def failed_check(db, w, settings, who="moderator_in"):
    p = project(db, w, state="in_use", kind="seating")
    items = all_pass(p)
    items["edges"] = register.ItemInput(result="fail", repair_party="wuye", repair_due=(NOW + 7 * DAY).date())
    register.record_check(db, w.actor(who), p.id, checked_on=NOW.date(), items=items,
                          media_dir=settings.media_dir, now=NOW)
    return p, db.exec(select(Repair).where(Repair.project_id == p.id)).one()


def test_who_recorded_the_failure_does_not_recheck_its_repair(db, w, settings):
    p, repair = failed_check(db, w, settings)
    with pytest.raises(Forbidden) as refused:
        register.recheck_repair(db, w.actor("moderator_in"), repair.id, result="pass", note="", photos=[],
                                media_dir=settings.media_dir, now=NOW + DAY)
    assert refused.value.code == "own_request"
    assert db.get(Repair, repair.id).state == "open"
    assert len(db.exec(select(SafetyCheck).where(SafetyCheck.project_id == p.id)).all()) == 1  # nothing stored
    register.recheck_repair(db, w.actor("moderator_in2"), repair.id, result="pass", note="", photos=[],
                            media_dir=settings.media_dir, now=NOW + DAY)
    assert db.get(Repair, repair.id).state == "closed"
    assert db.get(Repair, repair.id).closed_by == w.user("moderator_in2").id


def test_another_areas_staff_cannot_recheck(db, w, settings):
    _p, repair = failed_check(db, w, settings)
    with pytest.raises(Forbidden):
        register.recheck_repair(db, w.actor("moderator_out"), repair.id, result="pass", note="", photos=[],
                                media_dir=settings.media_dir, now=NOW + DAY)
    assert db.get(Repair, repair.id).state == "open"


def test_check_photos_over_the_api_and_the_recheck_by_another(client, db, w):
    from consult import clock

    now = clock.utcnow()
    p = project(db, w, state="in_use", kind="seating", now=now)
    staff, second = bearer(db, w.user("moderator_in")), bearer(db, w.user("moderator_in2"))
    photo = base64.b64encode(jpeg()).decode()
    items = {"edges": {"result": "fail", "repair_party": "juweihui", "photos": [photo, photo],
                       "repair_due": (now + 5 * DAY).date().isoformat()},
             "signage": {"result": "pass", "photos": [photo]}, "structure": {"result": "pass"}}
    too_many = {**items, "signage": {"result": "pass", "photos": [photo] * 4}}
    refused = client.post(f"/api/v1/projects/{p.id}/checks", headers=staff,
                          json={"checked_on": now.date().isoformat(), "items": too_many})
    assert refused.status_code == 422 and "photos_signage" in refused.json()["error"]["fields"]
    garbage = {**items, "signage": {"result": "pass", "photos": ["%%%"]}}
    assert client.post(f"/api/v1/projects/{p.id}/checks", headers=staff,
                       json={"checked_on": now.date().isoformat(), "items": garbage}).status_code == 422
    assert db.exec(select(SafetyCheck).where(SafetyCheck.project_id == p.id)).all() == []
    made = client.post(f"/api/v1/projects/{p.id}/checks", headers=staff,
                       json={"checked_on": now.date().isoformat(), "items": items})
    assert made.status_code == 201
    photos = db.exec(select(CheckItem.item, DeliveryPhoto.key).join(DeliveryPhoto, DeliveryPhoto.check_item_id == CheckItem.id)
                     .where(DeliveryPhoto.project_id == p.id)).all()
    assert sorted(i for i, _ in photos) == ["edges", "edges", "signage"]
    repair = db.exec(select(Repair).where(Repair.project_id == p.id)).one()
    own = client.post(f"/api/v1/repairs/{repair.id}/recheck", headers=staff, json={"result": "pass"})
    assert own.status_code == 403 and own.json()["error"]["code"] == "own_request"
    closed = client.post(f"/api/v1/repairs/{repair.id}/recheck", headers=second,
                         json={"result": "pass", "photos": [photo]})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert len(db.exec(select(DeliveryPhoto).where(DeliveryPhoto.project_id == p.id)).all()) == 4


def test_a_check_photo_that_is_not_an_image_stores_nothing(db, w, settings):
    p = project(db, w, state="in_use", kind="seating")
    items = all_pass(p)
    items["signage"] = register.ItemInput(result="pass", photos=[b"not a picture"])
    with pytest.raises(FieldErrors) as refused:
        register.record_check(db, w.actor("moderator_in"), p.id, checked_on=NOW.date(), items=items,
                              media_dir=settings.media_dir, now=NOW)
    assert "photos_signage" in refused.value.errors
    assert db.exec(select(SafetyCheck).where(SafetyCheck.project_id == p.id)).all() == []


# -- a pledge's receipt confirmed ------------------------------------------------------


def _received(db, w, p, *, own=True, quantity="30"):
    from consult.delivery.services import money

    if own:
        item = money.pledge(db, w.actor("resident_in"), w.user("resident_in"), p.id, pledger_kind="household",
                            pledger_name="", kind="money", unit="", quantity="100", show_name=False, now=NOW)
        receipt = "account"
    else:
        item = money.pledge(db, w.actor("moderator_in"), w.user("moderator_in"), p.id, pledger_kind="unit",
                            pledger_name="某物业公司", kind="money", unit="", quantity="100", show_name=True,
                            now=NOW, on_behalf=True)
        receipt = "paper"
    money.receive_pledge(db, w.actor("moderator_in"), item.id, quantity=quantity, receipt=receipt,
                         receipt_key="k" * 32 if receipt == "paper" else None, note="", now=NOW)
    return item, money.receipts(db, p.id)[item.id][-1]


def test_the_pledger_confirms_their_receipt_in_their_account(db, w):
    from consult.delivery.services import money
    from consult.errors import Conflict

    p = project(db, w, state="in_progress")
    item, entry = _received(db, w, p)
    assert entry.confirmed_by is None
    with pytest.raises(Forbidden):  # another resident is neither the pledger nor staff
        money.confirm_receipt(db, w.actor("resident_in2"), entry.id, NOW)
    with pytest.raises(Forbidden) as own:  # who recorded it
        money.confirm_receipt(db, w.actor("moderator_in"), entry.id, NOW)
    assert own.value.code == "own_request"
    db.refresh(entry)
    assert entry.confirmed_by is None
    done = money.confirm_receipt(db, w.actor("resident_in"), entry.id, NOW + DAY)
    assert (done.confirmed_by, done.confirmed_how) == (w.user("resident_in").id, "pledger")
    with pytest.raises(Conflict) as twice:
        money.confirm_receipt(db, w.actor("moderator_in2"), entry.id, NOW + DAY)
    assert twice.value.code == "receipt_confirmed"
    db.refresh(entry)
    assert entry.confirmed_by == w.user("resident_in").id


def test_a_paper_receipt_is_confirmed_by_a_second_staff_member(db, w):
    from consult.delivery.services import money

    p = project(db, w, state="in_progress")
    _item, entry = _received(db, w, p, own=False)
    with pytest.raises(Forbidden):
        money.confirm_receipt(db, w.actor("moderator_in"), entry.id, NOW)
    with pytest.raises(Forbidden):
        money.confirm_receipt(db, w.actor("moderator_out"), entry.id, NOW)  # another area's staff
    done = money.confirm_receipt(db, w.actor("moderator_in2"), entry.id, NOW)
    assert (done.confirmed_by, done.confirmed_how) == (w.user("moderator_in2").id, "staff")


def test_receipts_confirmed_on_the_pages(client, db, w):
    from consult import clock
    from consult.delivery.models import PledgeEntry
    from tests import factories
    from tests.conftest import post_form

    now = clock.utcnow()
    p = project(db, w, state="in_progress", now=now)
    _item, entry = _received(db, w, p)
    factories.sign_in(client, w.user("moderator_in").login)
    manage = client.get(f"/projects/{p.id}/manage")
    assert "等待确认" in manage.text and "您记录了这笔收到的捐赠，因此由捐赠人或另一位工作人员确认。" in manage.text
    own = post_form(client, f"/projects/{p.id}/manage", f"/receipts/{entry.id}/confirm", {})
    assert own.status_code == 403
    factories.sign_in(client, w.user("resident_in").login)
    page = f"/projects/{p.id}"
    assert "我确认已收到" in client.get(page).text
    done = post_form(client, page, f"/receipts/{entry.id}/confirm", {})
    assert done.status_code == 303 and done.headers["location"].endswith(page)
    db.refresh(entry)
    assert db.get(PledgeEntry, entry.id).confirmed_how == "pledger"
    assert "已由捐赠人确认" in client.get(page).text
    assert client.post("/receipts/999999/confirm", data={"csrf_token": "x"}).status_code in (403, 404)


def test_receipts_confirmed_over_the_api(client, db, w):
    p = project(db, w, state="in_progress")
    _item, entry = _received(db, w, p, own=False)
    url = f"/api/v1/receipts/{entry.id}/confirm"
    own = client.post(url, headers=bearer(db, w.user("moderator_in")), json={})
    assert own.status_code == 403 and own.json()["error"]["code"] == "own_request"
    done = client.post(url, headers=bearer(db, w.user("moderator_in2")), json={})
    assert done.status_code == 200 and done.json()["confirmed_how"] == "staff"
    assert client.post(url, headers=bearer(db, w.user("admin")), json={}).status_code == 409
