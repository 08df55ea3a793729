"""Delivery's services: projects from a confirmed vote, the idea following its project,
exact accounts, pledges, milestones with photos, acceptance by two people, ratings,
checks with repairs, the due list; and every refusal of the issue's "bad input" list
changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from consult import voting
from consult.consultations import Idea, TimelineEntry
from consult.delivery import rules
from consult.delivery.models import (
    BudgetEntry,
    DeliveryPhoto,
    Milestone,
    Pledge,
    PledgeEntry,
    Project,
    ProjectRating,
    Repair,
    SafetyCheck,
)
from consult.delivery.services import money, projects, register, works
from consult.errors import Conflict, FieldErrors, Forbidden
from consult.notifications.models import Notification
from tests.delivery.builders import DAY, NOW, all_pass, confirmed_vote, jpeg, project


def count(db, model, *where):
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


# -- from the vote ---------------------------------------------------------------------


def test_confirming_a_vote_makes_its_selected_ideas_projects(db, w):
    assert projects.from_outcome in voting.OUTCOME_HOOKS
    held, chosen = confirmed_vote(db, w)
    made = db.exec(select(Project).where(Project.round_id == held.round.id).order_by(Project.idea_id)).all()
    assert [p.idea_id for p in made] == sorted(chosen)
    first = made[0]
    assert (first.title, first.budget_fen, first.state, first.consultation_id) == (
        "楼道扶手", 1200000, "planned", held.consultation.id)
    assert first.place_id == w.tree["estate_a"].id and first.area_id == w.tree["area_a"].id
    assert first.proposer_id == w.user("resident_in").id
    assert projects.from_outcome(db, None, held.round.id, chosen, NOW) == []  # once only
    assert count(db, Project, Project.round_id == held.round.id) == 2


def test_the_idea_follows_its_project(db, w, settings):
    held, chosen = confirmed_vote(db, w)
    p = db.exec(select(Project).where(Project.idea_id == chosen[0])).one()
    projects.move(db, w.actor("moderator_in"), p.id, "start", NOW)
    assert db.get(Idea, chosen[0]).state == "in_progress"
    works.sign_acceptance(db, w.actor("moderator_in"), p.id, note="", record=jpeg(), media_dir=settings.media_dir,
                          now=NOW)
    assert db.get(Project, p.id).state == "in_progress"  # one signature is not an acceptance
    works.sign_acceptance(db, w.actor("resident_in2"), p.id, note="", record=None, media_dir=settings.media_dir,
                          now=NOW)
    db.refresh(p)
    assert (p.state, p.accepted_on, p.next_check_due) == ("accepted", NOW.date(), NOW.date() + 365 * DAY)
    db.expire_all()
    assert db.get(Idea, chosen[0]).state == "completed"
    steps = db.exec(select(TimelineEntry.action).where(TimelineEntry.idea_id == chosen[0])
                    .order_by(TimelineEntry.id)).all()
    assert steps[-2:] == ["in_progress", "completed"]


# -- money -----------------------------------------------------------------------------


def _line(db, w, p):
    return money.add_line(db, w.actor("moderator_in"), p.id, name="施工", required=True, now=NOW)


def _entry(db, w, p, line, amount, kind="spent", source="jiedao", reason="发票"):
    return money.add_entry(db, w.actor("moderator_in"), p.id, line_id=str(line.id), kind=kind, source=source,
                           amount=amount, reason=reason, now=NOW)


def test_accounts_are_exact_and_append_only(db, w):
    p = project(db, w, state="in_progress", budget="1000.10")
    line = _line(db, w, p)
    for amount, kind in (("1000.10", "planned"), ("0.10", "spent"), ("0.20", "spent"), ("-0.10", "spent"),
                         ("333.33", "committed")):
        _entry(db, w, p, line, amount, kind)
    acc = money.accounts(db, p.id)
    assert acc.totals == {"planned": 100010, "spent": 20, "committed": 33333}
    stored = db.exec(select(BudgetEntry.kind, func.sum(BudgetEntry.amount_fen)).where(BudgetEntry.project_id == p.id)
                     .group_by(BudgetEntry.kind)).all()
    assert dict(stored) == acc.totals  # the database's sums are the entries'
    assert acc.by_line[(line.id, "spent")] == 20 and acc.by_source[("jiedao", "planned")] == 100010
    assert len(acc.entries) == 5


@pytest.mark.parametrize("amount, kind, field", [
    ("10.001", "spent", "amount"), ("-1", "spent", "amount"), ("1000.11", "planned", "amount"),
    ("abc", "spent", "amount"), ("5", "bogus", "kind")])
def test_bad_amounts_store_nothing(db, w, amount, kind, field):
    p = project(db, w, state="in_progress", budget="1000.10")
    line = _line(db, w, p)
    with pytest.raises(FieldErrors) as refused:
        _entry(db, w, p, line, amount, kind)
    assert field in refused.value.errors
    assert count(db, BudgetEntry, BudgetEntry.project_id == p.id) == 0


def test_a_cofunded_project_takes_no_money_before_its_meeting(db, w):
    p = project(db, w, state="in_progress", category="gongchou")
    p.meeting_on = None
    db.add(p)
    line = _line(db, w, p)
    with pytest.raises(Conflict) as refused:
        _entry(db, w, p, line, "10", "spent", source="cofunding")
    assert refused.value.code == "cofunding_gate"
    item = money.pledge(db, w.actor("moderator_in"), w.user("moderator_in"), p.id, pledger_kind="unit",
                        pledger_name="某银行", kind="money", unit="", quantity="100", show_name=True, now=NOW,
                        on_behalf=True)
    with pytest.raises(Conflict):
        money.receive_pledge(db, w.actor("moderator_in"), item.id, quantity="10", receipt="paper",
                             receipt_key="k" * 64, note="", now=NOW)
    projects.record_meeting(db, w.actor("moderator_in"), p.id, meeting_on=NOW.date(), record_key=None,
                            public_appeal=False, appeal_partner="", now=NOW)
    assert money.receive_pledge(db, w.actor("moderator_in"), item.id, quantity="10", receipt="paper",
                                receipt_key="k" * 64, note="", now=NOW).received == 1000
    with pytest.raises(FieldErrors) as refused:
        projects.record_meeting(db, w.actor("moderator_in"), p.id, meeting_on=NOW.date(), record_key=None,
                                public_appeal=True, appeal_partner="", now=NOW)
    assert "appeal_partner" in refused.value.errors


# -- pledges ---------------------------------------------------------------------------


def _own(db, w, p, quantity="100"):
    return money.pledge(db, w.actor("resident_in"), w.user("resident_in"), p.id, pledger_kind="unit",
                        pledger_name="", kind="money", unit="", quantity=quantity, show_name=False, now=NOW)


def test_a_pledge_from_pledged_to_used_with_partial_receipts(db, w):
    p = project(db, w, state="in_progress")
    item = _own(db, w, p)
    assert (item.pledger_kind, item.pledger_name, item.user_id) == ("household", "resident_in", w.user("resident_in").id)
    staff = w.actor("moderator_in")
    money.confirm_pledge(db, staff, item.id, NOW)
    money.receive_pledge(db, staff, item.id, quantity="60", receipt="account", receipt_key=None, note="", now=NOW)
    money.receive_pledge(db, staff, item.id, quantity="40", receipt="account", receipt_key=None, note="", now=NOW)
    with pytest.raises(FieldErrors) as refused:
        money.receive_pledge(db, staff, item.id, quantity="0.01", receipt="account", receipt_key=None, note="",
                             now=NOW)
    assert refused.value.errors["quantity"].text.startswith("That is more than was pledged")
    money.use_pledge(db, staff, item.id, action="use", quantity="30", note="", now=NOW)
    db.refresh(item)
    assert (item.state, item.received, item.used) == ("used", 10000, 3000)
    steps = db.exec(select(PledgeEntry.action, PledgeEntry.quantity).where(PledgeEntry.pledge_id == item.id)
                    .order_by(PledgeEntry.id)).all()
    assert steps == [("pledge", 10000), ("confirm", 0), ("receive", 6000), ("receive", 4000), ("use", 3000)]
    assert money.pledge_totals([item]) == [{"kind": "money", "unit": "元", "pledged": 10000, "received": 10000,
                                            "used": 3000, "count": 1}]
    notes = db.exec(select(Notification.kind).where(Notification.user_id == w.user("resident_in").id)).all()
    assert notes.count("pledge_received") == 2


def test_a_pledger_changes_or_withdraws_only_until_it_is_received(db, w):
    p = project(db, w, state="in_progress")
    item = _own(db, w, p)
    money.change_pledge(db, w.actor("resident_in"), item.id, quantity="80", show_name=True, now=NOW)
    db.refresh(item)
    assert (item.quantity, item.show_name) == (8000, True)
    with pytest.raises(Forbidden):
        money.change_pledge(db, w.actor("resident_in2"), item.id, quantity="1", show_name=False, now=NOW)
    money.receive_pledge(db, w.actor("moderator_in"), item.id, quantity="1", receipt="account", receipt_key=None,
                         note="", now=NOW)
    for act in (lambda: money.change_pledge(db, w.actor("resident_in"), item.id, quantity="5", show_name=False,
                                            now=NOW),
                lambda: money.withdraw_pledge(db, w.actor("resident_in"), item.id, NOW)):
        with pytest.raises(Conflict) as refused:
            act()
        assert refused.value.code == "pledge_received"
    db.refresh(item)
    assert (item.quantity, item.state) == (8000, "received")


def test_a_receipt_behind_the_sessions_back_is_still_counted(db, w):
    """The guarded UPDATE: another receipt committed after this session read the pledge
    (here: written without the ORM noticing) is not exceeded."""
    from sqlalchemy import update

    p = project(db, w, state="in_progress")
    item = _own(db, w, p, quantity="100")
    db.execute(update(Pledge).where(Pledge.id == item.id).values(received=9000, state="received"))
    with pytest.raises(FieldErrors):
        money.receive_pledge(db, w.actor("moderator_in"), item.id, quantity="20", receipt="account",
                             receipt_key=None, note="", now=NOW)
    db.refresh(item)
    assert item.received == 9000


def test_donors_are_named_only_with_consent(db, w):
    p = project(db, w, state="in_progress")
    shy = _own(db, w, p)
    named = money.pledge(db, w.actor("admin"), w.user("admin"), p.id, pledger_kind="organisation",
                         pledger_name="公益服务社", kind="labour", unit="小时", quantity="8", show_name=True, now=NOW,
                         on_behalf=True)
    assert money.public_name(named) == "公益服务社"
    assert money.public_name(shy).text == rules.PLEDGER_KINDS["household"]


# -- milestones, photos, acceptance, ratings -------------------------------------------


def test_milestones_keep_up_to_six_photos_stripped(db, w, settings):
    import io

    from PIL import Image

    p = project(db, w, state="in_progress")
    m = works.add_milestone(db, w.actor("moderator_in"), p.id, title="施工中", happened_on=NOW.date(), body="",
                            phase="during", photos=[jpeg(colour=(10 * i, 90, 90)) for i in range(6)],
                            media_dir=settings.media_dir, now=NOW)
    keys = [k for _, keys in works.milestones(db, p.id) for k in keys]
    assert len(keys) == 6 == count(db, DeliveryPhoto, DeliveryPhoto.milestone_id == m.id)
    stored = Image.open(io.BytesIO((settings.media_dir / f"{keys[0]}.jpg").read_bytes()))
    assert not stored.getexif()


@pytest.mark.parametrize("photos, message", [
    ([b"not a picture"], "This file could not be opened as a photo."),
    ([jpeg()] * 7, "At most %(max)s photos."),
])
def test_photos_that_are_not_images_or_too_many_store_nothing(db, w, settings, photos, message):
    p = project(db, w, state="in_progress")
    with pytest.raises(FieldErrors) as refused:
        works.add_milestone(db, w.actor("moderator_in"), p.id, title="施工中", happened_on=NOW.date(), body="",
                            phase="during", photos=photos, media_dir=settings.media_dir, now=NOW)
    assert refused.value.errors["photos"].text.startswith(message)
    assert count(db, Milestone, Milestone.project_id == p.id) == 0


def test_a_photo_too_large_is_refused(db, w, settings, monkeypatch):
    monkeypatch.setattr(works, "MAX_PHOTO_BYTES", 100)
    p = project(db, w, state="in_progress")
    with pytest.raises(FieldErrors) as refused:
        works.add_milestone(db, w.actor("moderator_in"), p.id, title="施工中", happened_on=NOW.date(), body="",
                            phase="during", photos=[jpeg(size=(400, 300))], media_dir=settings.media_dir, now=NOW)
    assert refused.value.errors["photos"].text.startswith("The photo is")


def test_an_acceptance_by_one_person_is_refused(db, w, settings):
    p = project(db, w, state="in_progress")
    both = w.user("moderator_in")
    from consult.communities import services as places

    places.grant_role(db, user=both, role="resident", place=w.tree["area_a"])
    works.sign_acceptance(db, places.actor_for(db, both), p.id, note="", record=jpeg(),
                          media_dir=settings.media_dir, now=NOW)
    with pytest.raises(Conflict) as refused:  # the same person again, whatever their roles
        works.sign_acceptance(db, places.actor_for(db, both), p.id, note="", record=None,
                              media_dir=settings.media_dir, now=NOW)
    assert refused.value.code == "acceptance"
    with pytest.raises(Conflict):  # a second staff member: the staff part is signed
        works.sign_acceptance(db, w.actor("moderator_in2"), p.id, note="", record=jpeg(),
                              media_dir=settings.media_dir, now=NOW)
    db.refresh(p)
    assert p.state == "in_progress"
    with pytest.raises(FieldErrors):  # staff sign with the record attached
        works.sign_acceptance(db, w.actor("admin"), project(db, w, state="in_progress").id, note="", record=None,
                              media_dir=settings.media_dir, now=NOW)


def test_ratings_one_per_resident_and_wave_and_paper_cards(db, w):
    p = project(db, w, state="accepted", accepted_days_ago=10)
    with pytest.raises(Conflict):
        works.rate(db, w.actor("resident_in"), p.id, stars="5", comment="", channel="app", now=NOW)
    p.accepted_on = (NOW - 40 * DAY).date()
    db.add(p)
    works.rate(db, w.actor("resident_in"), p.id, stars="5", comment="好", channel="app", now=NOW)
    with pytest.raises(Conflict):
        works.rate(db, w.actor("resident_in"), p.id, stars="1", comment="", channel="app", now=NOW)
    with pytest.raises(FieldErrors):
        works.rate(db, w.actor("resident_in2"), p.id, stars="6", comment="", channel="app", now=NOW)
    works.rate(db, w.actor("resident_in2"), p.id, stars="3", comment="", channel="sms", now=NOW)
    works.enter_paper_rating(db, w.actor("moderator_in"), p.id, card="C-1", stars="4", comment="", now=NOW)
    with pytest.raises(Conflict):
        works.enter_paper_rating(db, w.actor("moderator_in"), p.id, card="C-1", stars="4", comment="", now=NOW)
    summary = works.rating_summary(db, p, NOW.date())
    assert (summary.total, summary.mean, summary.counts[5], summary.wave) == (3, "4.00", 1, 30)
    later = NOW + 150 * DAY  # the 180-day wave asks again
    works.rate(db, w.actor("resident_in"), p.id, stars="4", comment="", channel="app", now=later)
    assert count(db, ProjectRating, ProjectRating.project_id == p.id) == 4


# -- the register ----------------------------------------------------------------------


def test_a_failed_item_opens_a_repair_closed_by_a_recheck(db, w, settings):
    p = project(db, w, state="in_use", kind="charging")
    items = all_pass(p)
    items["fire"] = register.ItemInput(result="fail", note="灭火器过期", photos=[jpeg()], repair_party="wuye",
                                       repair_due=(NOW + 14 * DAY).date())
    items["earthing"] = register.ItemInput(result="na")
    check = register.record_check(db, w.actor("moderator_in"), p.id, checked_on=NOW.date(), items=items,
                                  media_dir=settings.media_dir, now=NOW)
    assert check.failed == 1
    repair = db.exec(select(Repair).where(Repair.project_id == p.id)).one()
    assert (repair.item, repair.party, repair.state) == ("fire", "wuye", "open")
    db.refresh(p)
    assert p.next_check_due == NOW.date() + 365 * DAY
    due = register.due_list(db, NOW.date())
    assert [(d.project_id, d.what) for d in due] == [(p.id, "repair")]
    register.recheck_repair(db, w.actor("moderator_in2"), repair.id, result="fail", note="", photos=[],
                            media_dir=settings.media_dir, now=NOW)
    assert db.get(Repair, repair.id).state == "open"
    register.recheck_repair(db, w.actor("moderator_in2"), repair.id, result="pass", note="已更换", photos=[jpeg()],
                            media_dir=settings.media_dir, now=NOW + DAY)
    assert db.get(Repair, repair.id).state == "closed"
    assert register.due_list(db, NOW.date()) == []
    with pytest.raises(Conflict):
        register.recheck_repair(db, w.actor("moderator_in2"), repair.id, result="pass", note="", photos=[],
                                media_dir=settings.media_dir, now=NOW + DAY)


def test_a_failed_item_without_its_repair_stores_nothing(db, w, settings):
    p = project(db, w, state="in_use", kind="seating")
    items = all_pass(p)
    items["edges"] = register.ItemInput(result="fail")
    with pytest.raises(FieldErrors) as refused:
        register.record_check(db, w.actor("moderator_in"), p.id, checked_on=NOW.date(), items=items,
                              media_dir=settings.media_dir, now=NOW)
    assert {"party_edges", "due_on_edges"} <= set(refused.value.errors)
    items = all_pass(p)
    items.pop("edges")
    with pytest.raises(FieldErrors) as refused:
        register.record_check(db, w.actor("moderator_in"), p.id, checked_on=NOW.date() + DAY, items=items,
                              media_dir=settings.media_dir, now=NOW)
    assert {"item_edges", "checked_on"} <= set(refused.value.errors)
    assert count(db, SafetyCheck, SafetyCheck.project_id == p.id) == 0


def test_another_areas_staff_is_told_where_they_may_act(db, w, settings):
    p = project(db, w, state="in_use")
    with pytest.raises(Forbidden) as refused:
        register.record_check(db, w.actor("moderator_out"), p.id, checked_on=NOW.date(), items=all_pass(p),
                              media_dir=settings.media_dir, now=NOW)
    assert refused.value.msg.params == {"place": "恒丰小区"}
    assert count(db, SafetyCheck) == 0


def test_checks_due_lists_overdue_and_notifies_the_areas_moderators(db, w):
    overdue = project(db, w, state="in_use")
    overdue.next_check_due = (NOW - DAY).date()
    soon = project(db, w, state="accepted", place="estate_b")
    soon.next_check_due = (NOW + 10 * DAY).date()
    later = project(db, w, state="in_use")
    retired = project(db, w, state="retired")
    retired.next_check_due = (NOW - 100 * DAY).date()
    db.add_all([overdue, soon, later, retired])
    db.flush()
    found, sent = register.checks_due(db, NOW)
    assert [(d.project_id, d.overdue) for d in found] == [(overdue.id, True), (soon.id, False)]
    mods = {w.user(n).id for n in ("moderator_in", "moderator_in2", "moderator_out")}
    rows = db.exec(select(Notification.user_id, Notification.params).where(Notification.kind == "safety_checks_due")).all()
    assert sent == 3 and {u for u, _ in rows} == mods
    assert {u: params["overdue"] for u, params in rows}[w.user("moderator_out").id] == 0
