"""The points services: joining, sign-up and the waiting list, attendance and approval,
the ledger, corrections, redemption — and every refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from consult.errors import Conflict, FieldErrors, Forbidden
from consult.points.models import Attendance, Entry, Order, PointsAccount, Prize, Transfer
from consult.points.services import activities, attendance, clubs, ledger, redemption
from tests.points.builders import NOW, activity, award, day, sheet_photo, world


def _entries(db) -> int:
    return db.exec(select(func.count()).select_from(Entry)).one()


def test_joining_is_for_residents_of_the_place(db, settings):
    w = world(db, settings)
    user, actor = w.outsider
    with pytest.raises(Conflict) as refused:
        clubs.join(db, actor, user, w.at, now=NOW)
    assert refused.value.code == "not_resident"
    resident, resident_actor, _ = w.residents[0]
    with pytest.raises(Conflict):
        clubs.join(db, resident_actor, resident, w.at, now=NOW)  # twice


def test_joining_at_the_desk_without_a_phone(db, settings):
    w = world(db, settings)
    member = clubs.join_at_desk(db, w.staff[1], w.at, name="陈阿婆", now=NOW)
    assert member.user_id is None and len(member.card_code) == 6 and member.joined_by == w.staff[0].id
    with pytest.raises(FieldErrors):
        clubs.join_at_desk(db, w.staff[1], w.at, name="", now=NOW)
    with pytest.raises(FieldErrors) as outsider:
        clubs.join_at_desk(db, w.staff[1], w.at, name="", login=w.outsider[0].login, now=NOW)
    assert "login" in outsider.value.errors
    with pytest.raises(Forbidden):
        clubs.join_at_desk(db, w.residents[0][1], w.at, name="某人", now=NOW)


def test_waiting_list_moves_up_when_someone_cancels(db, settings):
    w = world(db, settings)
    a = activity(db, w, capacity="1")
    (_, first, _), (_, second, _), _ = w.residents
    assert activities.sign_up(db, first, w.at, a, now=NOW).status == "confirmed"
    assert activities.sign_up(db, second, w.at, a, now=NOW).status == "waiting"
    with pytest.raises(Conflict):
        activities.sign_up(db, first, w.at, a, now=NOW)
    activities.cancel_signup(db, first, w.at, a, now=NOW)
    assert [s.status for s, _ in activities.signups(db, a.id)] == ["confirmed"]
    with pytest.raises(Conflict):
        activities.sign_up(db, w.outsider[1], w.at, a, now=NOW)  # not a member


def test_staff_sign_up_a_member_by_phone(db, settings):
    w = world(db, settings)
    member = clubs.join_at_desk(db, w.staff[1], w.at, name="陈阿婆", now=NOW)
    signup = activities.sign_up(db, w.staff[1], w.at, activity(db, w), now=NOW, member_id=member.id,
                                channel="phone")
    assert signup.channel == "phone" and signup.entered_by == w.staff[0].id


def test_check_in_only_when_signed_up_and_once(db, settings):
    w = world(db, settings)
    a = activity(db, w, starts=NOW + timedelta(hours=1))
    (_, actor, _), (_, other, _), _ = w.residents
    activities.sign_up(db, actor, w.at, a, now=NOW)
    during = NOW + timedelta(hours=2)
    with pytest.raises(Conflict) as not_signed:
        attendance.check_in(db, other, w.at, a, code=a.checkin_code, now=during)
    assert not_signed.value.code == "not_signed_up"
    with pytest.raises(FieldErrors):
        attendance.check_in(db, actor, w.at, a, code="000000" if a.checkin_code != "000000" else "1",
                            now=during)
    checked = attendance.check_in(db, actor, w.at, a, code=a.checkin_code, now=during)
    assert checked.status == "pending" and checked.source == "self"
    with pytest.raises(Conflict) as twice:
        attendance.check_in(db, actor, w.at, a, code=a.checkin_code, now=during)
    assert twice.value.code == "already_checked_in"
    assert _entries(db) == 0  # a check-in posts nothing


def test_approval_posts_points_and_nobody_approves_their_own(db, settings):
    w = world(db, settings)
    staff_user, staff_actor = w.staff
    staff_member = clubs.join_at_desk(db, staff_actor, w.at, name="李娟", login="", now=NOW)
    staff_member.user_id = staff_user.id  # the committee member is a member too
    db.add(staff_member)
    a = activity(db, w, starts=NOW - timedelta(hours=3))
    own = attendance.record(db, staff_actor, w.at, a, now=NOW, card_code=staff_member.card_code)
    other = attendance.record(db, staff_actor, w.at, a, now=NOW, card_code=w.residents[0][2].card_code)
    with pytest.raises(Conflict) as refused:
        attendance.approve(db, staff_actor, w.at, a, [str(own.id), str(other.id)], photo=sheet_photo(),
                           media_dir=settings.media_dir, now=NOW)
    assert refused.value.code == "own_request" and _entries(db) == 0
    with pytest.raises(FieldErrors):  # no photo of the stamped sheet
        attendance.approve(db, staff_actor, w.at, a, [str(other.id)], photo=None,
                           media_dir=settings.media_dir, now=NOW)
    attendance.approve(db, staff_actor, w.at, a, [str(other.id)], photo=sheet_photo(),
                       media_dir=settings.media_dir, now=NOW)
    assert ledger.member_balance(db, w.residents[0][2].id) == 5
    attendance.approve(db, w.second[1], w.at, a, [str(own.id)], photo=sheet_photo(),
                       media_dir=settings.media_dir, now=NOW)
    assert ledger.member_balance(db, staff_member.id) == 5
    assert ledger.check(db) == []
    with pytest.raises(Conflict):  # decided already
        attendance.approve(db, w.second[1], w.at, a, [str(own.id)], photo=sheet_photo(),
                           media_dir=settings.media_dir, now=NOW)
    with pytest.raises(FieldErrors):
        attendance.record(db, staff_actor, w.at, a, now=NOW, card_code=w.residents[0][2].card_code)


def test_points_per_hour(db, settings):
    w = world(db, settings)
    clubs.update_club(db, w.staff[1], w.at, name="恒丰积分俱乐部", rules_text="",
                      earning={k: ("2", "3") for k in ("team", "themed", "special", "outing")})
    member = w.residents[0][2]
    a = activity(db, w, starts=NOW - timedelta(hours=5), hours=3)
    att = attendance.record(db, w.staff[1], w.at, a, now=NOW, card_code=member.card_code, minutes="150")
    attendance.approve(db, w.second[1], w.at, a, [str(att.id)], photo=sheet_photo(),
                       media_dir=settings.media_dir, now=NOW)
    assert db.get(Attendance, att.id).points == 2 + 3 * 2
    with pytest.raises(FieldErrors) as bad:
        clubs.update_club(db, w.staff[1], w.at, name="x", rules_text="",
                          earning={"team": ("1.5", "-2")})
    assert {"team_attendance", "team_hour"} <= set(bad.value.errors)


def test_a_correction_needs_a_second_person_and_reverses(db, settings):
    w = world(db, settings)
    member = w.residents[0][2]
    award(db, settings, w, member)
    award_transfer = db.exec(select(Transfer).where(Transfer.kind == "award")).one()
    with pytest.raises(FieldErrors):
        ledger.propose_correction(db, w.staff[1], w.at, member_id=member.id, reason="", amount="3", now=NOW)
    correction = ledger.propose_correction(db, w.staff[1], w.at, member_id=member.id,
                                           reason="签到表记错了人", reverses_id=award_transfer.id, now=NOW)
    assert correction.amount == -5
    with pytest.raises(Conflict) as own:
        ledger.confirm_correction(db, w.staff[1], w.at, correction.id, now=NOW)
    assert own.value.code == "own_request" and ledger.member_balance(db, member.id) == 5
    transfer = ledger.confirm_correction(db, w.second[1], w.at, correction.id, now=NOW)
    assert transfer.reverses_id == award_transfer.id and ledger.member_balance(db, member.id) == 0
    with pytest.raises(FieldErrors):  # reversed once only
        ledger.propose_correction(db, w.staff[1], w.at, member_id=member.id, reason="again",
                                  reverses_id=award_transfer.id, now=NOW)
    too_much = ledger.propose_correction(db, w.staff[1], w.at, member_id=member.id, reason="扣分",
                                         amount="-1", now=NOW)
    with pytest.raises(Conflict) as negative:
        ledger.confirm_correction(db, w.second[1], w.at, too_much.id, now=NOW)
    assert negative.value.code == "insufficient_points"
    assert ledger.check(db) == []


def test_the_ledger_is_append_only(db, settings):
    w = world(db, settings)
    award(db, settings, w, w.residents[0][2])
    for statement in ("UPDATE points_entry SET amount = 100", "DELETE FROM points_entry",
                      "UPDATE points_transfer SET memo = 'x'", "DELETE FROM points_transfer"):
        with pytest.raises(DBAPIError) as refused, db.begin_nested():
            db.execute(text(statement))
        assert "append-only" in str(refused.value)


def test_the_database_keeps_balances_and_stock_non_negative(db, settings):
    w = world(db, settings)
    account = ledger.member_account(db, w.residents[0][2].id)
    with pytest.raises(DBAPIError), db.begin_nested():
        db.execute(text("UPDATE points_account SET balance = -1 WHERE id = :id"), {"id": account.id})
    prize = redemption.add_prize(db, w.staff[1], w.at, name="毛巾", price="10", stock="1", now=NOW)
    with pytest.raises(DBAPIError), db.begin_nested():
        db.execute(text("UPDATE points_prize SET stock = -1 WHERE id = :id"), {"id": prize.id})
    with pytest.raises(DBAPIError), db.begin_nested():
        db.execute(text("UPDATE points_prize SET price = 0 WHERE id = :id"), {"id": prize.id})


def test_prize_prices_are_whole_and_positive(db, settings):
    w = world(db, settings)
    for price in ("-5", "1.5", "0", "", "５", "abc"):
        with pytest.raises(FieldErrors) as bad:
            redemption.add_prize(db, w.staff[1], w.at, name="毛巾", price=price, stock="3", now=NOW)
        assert "price" in bad.value.errors
    assert db.exec(select(func.count()).select_from(Prize)).one() == 0


def test_redemption_reserves_stock_and_pays_and_releases(db, settings):
    w = world(db, settings)
    (_, actor, member), (_, poor, _), _ = w.residents
    for title in ("一", "二", "三"):
        award(db, settings, w, member, title=title)  # 15 points
    prize = redemption.add_prize(db, w.staff[1], w.at, name="毛巾", price="10", stock="1", now=NOW)
    d = day(db, w)
    with pytest.raises(Conflict) as broke:
        redemption.preorder(db, poor, w.at, d, prize_id=prize.id, now=NOW)
    assert broke.value.code == "cannot_order"
    with pytest.raises(Conflict):  # more than the stock
        redemption.preorder(db, actor, w.at, d, prize_id=prize.id, quantity="2", now=NOW)
    order = redemption.preorder(db, actor, w.at, d, prize_id=prize.id, now=NOW)
    db.refresh(prize)
    assert prize.stock == 0 and ledger.member_balance(db, member.id) == 5
    with pytest.raises(Conflict):
        redemption.collect(db, w.staff[1], w.at, d, order.id, via="self", now=NOW)  # not the day yet
    after = d.closes_at + timedelta(minutes=1)
    assert redemption.release(db, w.staff[1], w.at, d, now=after) == 1
    db.refresh(prize)
    assert prize.stock == 1 and ledger.member_balance(db, member.id) == 15
    assert db.get(Order, order.id).status == "released"
    assert ledger.check(db) == []


def test_a_proxy_pre_orders_and_staff_hand_over_on_the_day(db, settings):
    w = world(db, settings)
    member = clubs.join_at_desk(db, w.staff[1], w.at, name="陈阿婆", now=NOW)
    proxy_user, proxy_actor = w.outsider  # her daughter lives elsewhere
    clubs.set_proxy(db, w.staff[1], w.at, member.id, login=proxy_user.login)
    award(db, settings, w, member)
    prize = redemption.add_prize(db, w.staff[1], w.at, name="肥皂", price="5", stock="3", now=NOW)
    d = day(db, w)
    order = redemption.preorder(db, proxy_actor, w.at, d, prize_id=prize.id, member_id=member.id, now=NOW)
    with pytest.raises(Forbidden):
        redemption.preorder(db, w.residents[0][1], w.at, d, prize_id=prize.id, member_id=member.id, now=NOW)
    on_the_day = d.opens_at + timedelta(minutes=5)
    done = redemption.collect(db, w.staff[1], w.at, d, order.id, via="proxy", now=on_the_day)
    assert done.status == "collected" and done.collected_via == "proxy"


def test_cached_balances_match_the_entries(db, settings):
    w = world(db, settings)
    for _, _, member in w.residents:
        award(db, settings, w, member, title=f"活动{member.id}")
    cached = {a.member_id: a.balance for a in db.exec(select(PointsAccount)
                                                       .where(PointsAccount.kind == "member")).all()}
    assert cached == ledger.balances_of(db, list(cached)) and set(cached.values()) == {5}


def test_a_redemption_that_lost_the_race_stores_nothing_and_says_why(db, settings, monkeypatch):
    """Two redemptions at once, in process: the second read the balance and the stock
    before the first moved them (the check is bypassed as if it had), so the conditional
    UPDATEs refuse it; no order, no stock move and no entry stay, and the message is in
    Chinese and English."""
    from consult.i18n import translator
    from consult.points import rules as points_rules
    from consult.points.models import StockMove

    w = world(db, settings)
    (_, rich, member), (_, poor, _), _ = w.residents
    award(db, settings, w, member)  # 5 points
    prize = redemption.add_prize(db, w.staff[1], w.at, name="毛巾", price="5", stock="1", now=NOW)
    dear = redemption.add_prize(db, w.staff[1], w.at, name="电饭煲", price="50", stock="5", now=NOW)
    d = day(db, w)
    redemption.preorder(db, rich, w.at, d, prize_id=prize.id, now=NOW)  # the first: the last towel
    def counts():
        return tuple(db.exec(select(func.count()).select_from(t)).one() for t in (Order, StockMove, Entry))

    before = counts()
    monkeypatch.setattr(points_rules, "order_problem", lambda **_: None)
    with pytest.raises(Conflict) as stock:
        redemption.preorder(db, poor, w.at, d, prize_id=prize.id, now=NOW)
    with pytest.raises(Conflict) as points:
        redemption.preorder(db, poor, w.at, d, prize_id=dear.id, now=NOW)
    assert (stock.value.code, points.value.code) == ("out_of_stock", "insufficient_points")
    assert counts() == before
    assert db.get(Prize, prize.id).stock == 0 and db.get(Prize, dear.id).stock == 5
    zh, en = translator("zh_Hans"), translator("en")
    for refused in (stock.value, points.value):
        assert zh(refused.msg) != en(refused.msg) and zh(refused.msg).strip()
