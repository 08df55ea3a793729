"""Consultation services against a real database (rolled back after each test)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from consult.audit.models import AuditEntry
from consult.consultations import services
from consult.consultations.models import (
    Comment,
    CommentReport,
    Idea,
    IdeaPhoto,
    IdeaRound,
    IdeaVersion,
    RoundChange,
    Support,
    TimelineEntry,
)
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound
from consult.notifications.models import Notification
from tests.consultations.conftest import DAY, jpeg, new_idea


def _count(db, model, *where):
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def _close_collect(db, world, reason="提前结束征集"):
    return services.close_round(db, world.actor("moderator_a"), world.collect, reason=reason,
                                now=world.now + timedelta(minutes=1))


# -- consultations and rounds -----------------------------------------------------------


def test_consultation_has_default_categories_and_budget_in_fen(world):
    assert [c.name for c in world.categories] == ["实事项目", "自治项目", "共筹项目", "维修与补充项目"]
    assert world.consultation.budget_fen == 20_000_000
    assert world.consultation.year == 2026


def test_only_staff_of_the_scope_create_consultations(db, world):
    with pytest.raises(Forbidden):
        services.create_consultation(db, world.actor("moderator_b"),
                                     scope_place_id=world.tree["area_a"].id, title="x", year="2026")
    with pytest.raises(FieldErrors) as exc:
        services.create_consultation(db, world.actor("moderator_a"),
                                     scope_place_id=world.tree["area_a"].id, title="",
                                     year="26", budget="abc", categories="")
    assert set(exc.value.errors) == {"title", "year", "budget", "categories"}
    with pytest.raises(FieldErrors):  # an estate is not a scope
        services.create_consultation(db, world.actor("admin"),
                                     scope_place_id=world.tree["estate_a"].id, title="x", year="2026")


def test_a_used_category_cannot_be_removed_but_others_can(db, world):
    new_idea(db, world, category=0)
    moderator = world.actor("moderator_a")
    with pytest.raises(FieldErrors) as exc:
        services.update_consultation(db, moderator, world.consultation, title="t", year="2026",
                                     description="", budget="", categories="自治项目")
    assert "实事项目" in exc.value.errors["categories"].params["names"]
    services.update_consultation(db, moderator, world.consultation, title="新标题", year="2027",
                                 description="", budget="", categories="实事项目\n绿化项目")
    names = [c.name for c in services.categories_of(db, world.consultation.id)]
    assert names == ["实事项目", "绿化项目"]
    assert world.consultation.budget_fen is None and world.consultation.year == 2027


def test_rounds_cannot_overlap(db, world):
    with pytest.raises(FieldErrors):
        services.add_round(db, world.actor("admin"), world.consultation, kind="decide",
                           opens_at=world.now + 20 * DAY, closes_at=world.now + 30 * DAY)
    with pytest.raises(FieldErrors) as exc:
        services.add_round(db, world.actor("admin"), world.consultation, kind="nonsense",
                           opens_at=None, closes_at=None)
    assert set(exc.value.errors) == {"kind", "opens_at", "closes_at"}


def test_close_early_records_reason_opens_next_and_carries(db, world):
    kept = new_idea(db, world, title="加装扶手")
    gone = new_idea(db, world, title="绿角改造")
    services.withdraw_idea(db, world.actor("resident_a"), gone, world.now)
    carried = _close_collect(db, world)
    later = world.now + timedelta(minutes=1)
    assert carried == 1
    assert services.round_state(world.collect, later) == "closed"
    assert services.round_state(world.review, later) == "open"
    change = db.exec(select(RoundChange).where(RoundChange.round_id == world.collect.id)).one()
    assert change.reason == "提前结束征集" and change.kind == "close_early"
    assert kept.current_round_id == world.review.id and gone.current_round_id == world.collect.id
    assert _count(db, AuditEntry, AuditEntry.action == "close_round_early") == 1
    with pytest.raises(FieldErrors):
        services.close_round(db, world.actor("moderator_a"), world.review, reason="", now=later)


def test_moderator_of_another_area_cannot_manage_rounds(db, world):
    with pytest.raises(Forbidden):
        services.close_round(db, world.actor("moderator_b"), world.collect, reason="r", now=world.now)
    with pytest.raises(Forbidden):
        services.extend_round(db, world.actor("resident_a"), world.collect,
                              closes_at=world.now + 8 * DAY, reason="r", now=world.now)


def test_extend_round_keeps_schedule_and_records_change(db, world):
    moderator = world.actor("moderator_a")
    with pytest.raises(FieldErrors):  # would overlap the review round
        services.extend_round(db, moderator, world.collect, closes_at=world.now + 8 * DAY,
                              reason="居民要求", now=world.now)
    services.update_round(db, moderator, world.review, opens_at=world.now + 9 * DAY,
                          closes_at=world.now + 14 * DAY, title="", now=world.now)
    services.extend_round(db, moderator, world.collect, closes_at=world.now + 9 * DAY,
                          reason="居民要求", now=world.now)
    assert world.collect.extended and world.collect.closes_at == world.now + 9 * DAY
    assert _count(db, RoundChange, RoundChange.kind == "extend") == 1


def test_carry_forward_needs_a_closed_round_and_the_supports_needed(db, world):
    moderator = world.actor("moderator_a")
    with pytest.raises(Conflict):
        services.carry_forward(db, moderator, world.collect, world.now)
    world.collect.settings = {**world.collect.settings, "supports_needed": 1}
    popular = new_idea(db, world, title="加装扶手")
    lonely = new_idea(db, world, title="健身步道")
    services.support_idea(db, world.actor("resident_a2"), popular, world.now)
    after = world.collect.closes_at + timedelta(seconds=1)
    assert services.carry_forward(db, moderator, world.collect, after) == 1
    assert popular.current_round_id == world.review.id
    assert lonely.current_round_id == world.collect.id
    with pytest.raises(Conflict):
        services.carry_forward(db, moderator, world.collect, after)


# -- ideas ------------------------------------------------------------------------------


def test_submit_makes_version_timeline_and_round_link(db, world):
    idea = new_idea(db, world)
    assert idea.state == "submitted" and idea.version == 1
    assert idea.estimated_cost_fen == 120000 and idea.area_id == world.tree["area_a"].id
    assert _count(db, IdeaRound, IdeaRound.idea_id == idea.id, IdeaRound.round_id == world.collect.id) == 1
    entries = services.timeline(db, idea.id)
    assert [(e.action, e.actor_role) for e in entries] == [("submitted", "author")]


def test_bad_idea_input_saves_nothing(db, world):
    before = _count(db, Idea)
    for kwargs, field in (
        ({"title": ""}, "title"), ({"title": "长" * 61}, "title"),
        ({"description": "字" * 2001}, "description"), ({"cost": "很多"}, "estimated_cost"),
    ):
        with pytest.raises(FieldErrors) as exc:
            new_idea(db, world, **kwargs)
        assert field in exc.value.errors
    with pytest.raises(FieldErrors) as exc:
        services.create_draft(db, world.actor("resident_a"), world.people["resident_a"],
                              world.consultation, title="t", description="d", category_id=999999,
                              place_id=world.tree["group_b"].id, media_dir=world.media_dir,
                              now=world.now)
    assert set(exc.value.errors) == {"category_id", "place_id"}
    assert _count(db, Idea) == before


def test_who_may_submit(db, world):
    for key in ("resident_b", "moderator_a", "unverified", "expert_a"):
        with pytest.raises(Forbidden):
            new_idea(db, world, author=key)
    new_idea(db, world, author="resident_a")


def test_no_ideas_outside_an_open_collect_round(db, world):
    with pytest.raises(Conflict):
        new_idea(db, world, now=world.now + 8 * DAY)
    draft = new_idea(db, world, submit=False)
    with pytest.raises(Conflict):
        services.submit_idea(db, world.actor("resident_a"), draft, world.now + 8 * DAY)


def test_ideas_per_resident_limit(db, world):
    for title in ("一", "二", "三"):
        new_idea(db, world, title=title)
    with pytest.raises(Conflict) as exc:
        new_idea(db, world, title="四")
    assert exc.value.msg.params == {"limit": 3}


def test_edit_after_submission_makes_a_new_version(db, world):
    idea = new_idea(db, world)
    services.update_idea(db, world.actor("resident_a"), idea, title="楼道灯全部更换",
                         description=idea.description, category_id=idea.category_id,
                         place_id=idea.place_id, estimated_cost="1500", media_dir=world.media_dir,
                         now=world.now)
    assert idea.version == 2
    diff = {d.field: d for d in services.diff_versions(db, idea, 1, 2)}
    assert diff["title"].changed and ("insert", "全部") in diff["title"].segments
    assert diff["estimated_cost"].old == "1200.00" and diff["estimated_cost"].new == "1500.00"
    assert not diff["description"].changed
    assert services.timeline(db, idea.id)[-1].action == "edited"


def test_editing_a_draft_makes_no_version_and_unchanged_edit_nothing(db, world):
    draft = new_idea(db, world, submit=False)
    services.update_idea(db, world.actor("resident_a"), draft, title="新标题",
                         description="d", category_id=draft.category_id, place_id=draft.place_id,
                         media_dir=world.media_dir, now=world.now)
    assert draft.version == 0 and _count(db, IdeaVersion, IdeaVersion.idea_id == draft.id) == 0
    idea = new_idea(db, world, title="加装扶手")
    services.update_idea(db, world.actor("resident_a"), idea, title=idea.title,
                         description=idea.description, category_id=idea.category_id,
                         place_id=idea.place_id, estimated_cost="1200", media_dir=world.media_dir,
                         now=world.now)
    assert idea.version == 1


def test_others_cannot_edit(db, world):
    idea = new_idea(db, world)
    for key in ("resident_a2", "moderator_b"):
        with pytest.raises(Forbidden):
            services.update_idea(db, world.actor(key), idea, title="x", description="y",
                                 category_id=idea.category_id, place_id=idea.place_id,
                                 media_dir=world.media_dir, now=world.now)


def test_photos_are_processed_stored_and_bad_files_refused(db, world):
    idea = new_idea(db, world, photos=[jpeg(), jpeg((10, 200, 10))])
    photos = services.photos_of(db, idea.id)
    assert [p.position for p in photos] == [0, 1]
    assert (world.media_dir / f"{photos[0].key}.jpg").exists()
    assert (world.media_dir / f"{photos[0].key}_t.jpg").exists()
    version = services.versions(db, idea.id)[0]
    assert version.photo_keys == [p.key for p in photos]
    before = _count(db, Idea)
    with pytest.raises(FieldErrors) as exc:
        new_idea(db, world, title="别的", photos=[b"not an image at all"])
    assert exc.value.errors["photos"].text == services.PHOTO_MESSAGES["not_an_image"]
    with pytest.raises(FieldErrors):
        new_idea(db, world, title="太多", photos=[jpeg()] * 4)
    assert _count(db, Idea) == before


def test_remove_and_add_photos_on_edit(db, world):
    idea = new_idea(db, world, photos=[jpeg(), jpeg((0, 0, 200))])
    first, second = services.photos_of(db, idea.id)
    services.update_idea(db, world.actor("resident_a"), idea, title=idea.title,
                         description=idea.description, category_id=idea.category_id,
                         place_id=idea.place_id, estimated_cost="1200",
                         photos=[jpeg((0, 200, 0))], remove_photos=[first.id],
                         media_dir=world.media_dir, now=world.now)
    photos = services.photos_of(db, idea.id)
    assert [p.position for p in photos] == [0, 1] and photos[0].key == second.key
    assert idea.version == 2


def test_photo_messages_cover_every_image_error():
    from consult.media.images import ImageError

    assert set(services.PHOTO_MESSAGES) == set(ImageError.MESSAGES)
    for code, template in ImageError.MESSAGES.items():
        ours = services.PHOTO_MESSAGES[code]
        assert ours.replace("%(", "{").replace(")s", "}") == template


def test_withdraw(db, world):
    idea = new_idea(db, world)
    with pytest.raises(Forbidden):
        services.withdraw_idea(db, world.actor("resident_a2"), idea, world.now)
    services.withdraw_idea(db, world.actor("resident_a"), idea, world.now)
    assert idea.state == "withdrawn"
    with pytest.raises(Conflict):
        services.withdraw_idea(db, world.actor("resident_a"), idea, world.now)


def test_similar_ideas(db, world):
    lamp = new_idea(db, world, title="楼道灯更换")
    new_idea(db, world, title="加装扶手")
    found = services.similar_ideas(db, world.consultation.id, "更换楼道灯泡")
    assert [i.id for i in found] == [lamp.id]
    assert services.similar_ideas(db, world.consultation.id, "") == []


# -- supports and comments ----------------------------------------------------------------


def test_supporting_twice_is_still_one_support(db, world):
    idea = new_idea(db, world)
    neighbour = world.actor("resident_a2")
    services.support_idea(db, neighbour, idea, world.now)
    services.support_idea(db, neighbour, idea, world.now)
    assert idea.support_count == 1 and _count(db, Support, Support.idea_id == idea.id) == 1
    services.unsupport_idea(db, neighbour, idea, world.now)
    assert idea.support_count == 0


def test_one_support_per_person_is_a_database_constraint(db, world):
    idea = new_idea(db, world)
    user_id = world.people["resident_a2"].id
    db.add(Support(idea_id=idea.id, user_id=user_id))
    db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(Support(idea_id=idea.id, user_id=user_id))
        db.flush()


def test_who_may_support(db, world):
    idea = new_idea(db, world)
    with pytest.raises(Conflict):
        services.support_idea(db, world.actor("resident_a"), idea, world.now)  # own idea
    for key in ("resident_b", "unverified", "moderator_a"):
        with pytest.raises(Forbidden):
            services.support_idea(db, world.actor(key), idea, world.now)
    services.withdraw_idea(db, world.actor("resident_a"), idea, world.now)
    with pytest.raises(Conflict):
        services.support_idea(db, world.actor("resident_a2"), idea, world.now)


def test_comments_replies_and_expert_advice(db, world):
    idea = new_idea(db, world)
    top = services.add_comment(db, world.actor("resident_a2"), idea, body="支持！", now=world.now)
    reply = services.add_comment(db, world.actor("expert_a"), idea, body="建议用LED灯",
                                 parent_id=top.id, now=world.now)
    assert reply.is_expert and not top.is_expert
    assert services.timeline(db, idea.id)[-1].action == "advice"
    with pytest.raises(FieldErrors):
        services.add_comment(db, world.actor("resident_a"), idea, body="x", parent_id=reply.id,
                             now=world.now)
    with pytest.raises(FieldErrors):
        services.add_comment(db, world.actor("resident_a"), idea, body="", now=world.now)
    with pytest.raises(Forbidden):
        services.add_comment(db, world.actor("resident_b"), idea, body="hi", now=world.now)
    detail = services.idea_detail(db, idea, world.people["resident_a"], world.now)
    assert [c.comment.id for c in detail.comments] == [top.id]
    assert [r.comment.id for r in detail.comments[0].replies] == [reply.id]


def test_report_once_and_hide_with_reason_in_audit(db, world):
    idea = new_idea(db, world)
    comment = services.add_comment(db, world.actor("resident_a2"), idea, body="广告", now=world.now)
    services.report_comment(db, world.actor("resident_a"), comment.id, reason="广告", now=world.now)
    services.report_comment(db, world.actor("resident_a"), comment.id, reason="", now=world.now)
    assert _count(db, CommentReport, CommentReport.comment_id == comment.id) == 1
    reported = services.reported_comments(db, world.actor("moderator_a"), world.consultation)
    assert [(c.id, n) for c, _, n in reported] == [(comment.id, 1)]
    with pytest.raises(Forbidden):
        services.hide_comment(db, world.actor("moderator_b"), comment.id, reason="x", now=world.now)
    with pytest.raises(FieldErrors):
        services.hide_comment(db, world.actor("moderator_a"), comment.id, reason="", now=world.now)
    services.hide_comment(db, world.actor("moderator_a"), comment.id, reason="广告内容", now=world.now)
    assert comment.hidden_reason == "广告内容"
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "hide_comment")).one()
    assert entry.reason == "广告内容" and entry.details["body"] == "广告"
    assert services.reported_comments(db, world.actor("moderator_a"), world.consultation) == []


def test_a_hidden_comment_can_be_shown_again_and_the_audit_keeps_the_hiding(db, world):
    idea = new_idea(db, world)
    comment = services.add_comment(db, world.actor("resident_a2"), idea, body="三号楼的灯", now=world.now)
    with pytest.raises(Conflict):  # not hidden
        services.unhide_comment(db, world.actor("moderator_a"), comment.id, now=world.now)
    services.hide_comment(db, world.actor("moderator_a"), comment.id, reason="误以为是广告", now=world.now)
    for who in ("moderator_b", "resident_a"):
        with pytest.raises(Forbidden):
            services.unhide_comment(db, world.actor(who), comment.id, now=world.now)
    assert comment.hidden_at is not None
    services.unhide_comment(db, world.actor("moderator_a"), comment.id, now=world.now)
    assert (comment.hidden_at, comment.hidden_reason, comment.hidden_by) == (None, None, None)
    detail = services.idea_detail(db, idea, world.people["resident_a"], world.now)
    assert [c.comment.id for c in detail.comments] == [comment.id]
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == "unhide_comment")).one()
    assert entry.details["hidden_reason"] == "误以为是广告"
    assert entry.details["hidden_by"] == world.people["moderator_a"].id
    with pytest.raises(NotFound):
        services.unhide_comment(db, world.actor("moderator_a"), 2**31 - 1, now=world.now)


# -- review -----------------------------------------------------------------------------


def _notes(db, user):
    return [(n.kind, n.params) for n in db.exec(select(Notification).where(
        Notification.user_id == user.id).order_by(Notification.id)).all()]


def test_revision_cycle_with_diff_and_notifications(db, world):
    idea = new_idea(db, world)
    moderator = world.actor("moderator_a")
    with pytest.raises(FieldErrors):
        services.review_idea(db, moderator, idea, "request_revision", note="", now=world.now)
    services.review_idea(db, moderator, idea, "request_revision", note="请写明哪几层", now=world.now)
    assert idea.state == "revision_requested"
    services.update_idea(db, world.actor("resident_a"), idea, title=idea.title,
                         description="三号楼一至六层楼道灯坏了", category_id=idea.category_id,
                         place_id=idea.place_id, estimated_cost="1200", media_dir=world.media_dir,
                         now=world.now)
    assert idea.state == "submitted" and idea.version == 2
    services.review_idea(db, moderator, idea, "shortlist", now=world.now)
    assert idea.state == "shortlisted"
    actions = [(e.action, e.actor_role) for e in services.timeline(db, idea.id)]
    assert actions == [("submitted", "author"), ("request_revision", "moderator"),
                       ("revised", "author"), ("shortlisted", "moderator")]
    assert _notes(db, world.people["resident_a"]) == [
        ("idea_revision_requested", {"title": "楼道灯更换", "note": "请写明哪几层"}),
        ("idea_shortlisted", {"title": "楼道灯更换"}),
    ]
    description = {d.field: d for d in services.diff_versions(db, idea, 1, 2)}["description"]
    assert ("insert", "一至六层") in description.segments


def test_reject_needs_a_public_reason_and_restore(db, world):
    idea = new_idea(db, world)
    admin = world.actor("admin")
    with pytest.raises(FieldErrors):
        services.review_idea(db, admin, idea, "reject", note="  ", now=world.now)
    services.review_idea(db, admin, idea, "reject", note="不属于小微项目", now=world.now)
    assert idea.state == "rejected" and idea.state_note == "不属于小微项目"
    assert services.timeline(db, idea.id)[-1].actor_role == "admin"
    assert _notes(db, world.people["resident_a"])[-1] == (
        "idea_rejected", {"title": "楼道灯更换", "reason": "不属于小微项目"})
    services.review_idea(db, admin, idea, "restore", now=world.now)
    assert idea.state == "submitted"


def test_merge_joins_supports_without_duplicates_and_credits_author(db, world):
    a = new_idea(db, world, author="resident_a", title="楼道灯更换")
    b = new_idea(db, world, author="resident_a2", title="更换楼道灯")
    extra = world.actor("neighbour")
    services.support_idea(db, world.actor("resident_a2"), a, world.now)  # b's author
    services.support_idea(db, extra, a, world.now)
    services.support_idea(db, extra, b, world.now)
    services.review_idea(db, world.actor("moderator_a"), a, "merge", target_id=b.id, note="重复",
                         now=world.now)
    assert a.state == "merged" and a.merged_into_id == b.id
    supporters = set(db.exec(select(Support.user_id).where(Support.idea_id == b.id)).all())
    assert supporters == {extra.user_id, world.people["resident_a"].id}
    assert b.support_count == 2
    detail = services.idea_detail(db, b, None, world.now)
    assert [(i.id, name) for i, name in detail.merged_from] == [(a.id, "resident_a")]
    assert services.timeline(db, b.id)[-1].action == "merged_in"
    assert _notes(db, world.people["resident_a"])[-1] == (
        "idea_merged", {"title": "楼道灯更换", "target": "更换楼道灯"})
    with pytest.raises(FieldErrors):  # into itself or into a merged idea
        services.review_idea(db, world.actor("moderator_a"), b, "merge", target_id=a.id,
                             now=world.now)


def test_moderator_of_another_area_is_forbidden(db, world):
    idea = new_idea(db, world)
    for key in ("moderator_b", "resident_a2", "expert_a"):
        with pytest.raises(Forbidden):
            services.review_idea(db, world.actor(key), idea, "shortlist", now=world.now)


def test_review_in_a_closed_round_is_a_clear_error(db, world):
    idea = new_idea(db, world)
    later = world.collect.closes_at + timedelta(hours=1)
    with pytest.raises(Conflict) as exc:
        services.review_idea(db, world.actor("moderator_a"), idea, "shortlist", now=later)
    assert "closed" in exc.value.msg.text
    assert idea.state == "submitted"


def test_bulk_review_is_all_or_nothing(db, world):
    one = new_idea(db, world, title="一")
    two = new_idea(db, world, title="二")
    moderator = world.actor("moderator_a")
    services.review_idea(db, moderator, two, "reject", note="重复", now=world.now)
    with pytest.raises(Conflict) as exc:
        services.bulk_review(db, moderator, world.consultation, [one.id, two.id], "shortlist",
                             now=world.now)
    assert f"#{two.id}" in exc.value.msg.params["ids"]
    assert one.state == "submitted"
    assert services.bulk_review(db, moderator, world.consultation, [str(one.id)], "shortlist",
                                now=world.now) == 1
    assert one.state == "shortlisted"


def test_review_queue_only_shows_my_places(db, world):
    idea = new_idea(db, world)
    assert [r.idea.id for r in services.review_queue(db, world.actor("moderator_a"), world.consultation)] == [idea.id]
    assert services.review_queue(db, world.actor("moderator_b"), world.consultation) == []
    assert services.may_review_in(db, world.actor("admin"), world.consultation)
    assert not services.may_review_in(db, world.actor("moderator_b"), world.consultation)


# -- lists, pipeline, figures, voting hand-over -------------------------------------------


def test_list_filters_sort_and_pages(db, world, engine):
    ideas = [new_idea(db, world, author=a, title=f"想法{i}{a}", category=i % 2,
                      place=world.tree["estate_a"] if i == 0 else None)
             for a in ("resident_a", "resident_a2") for i in range(3)]
    services.support_idea(db, world.actor("resident_a2"), ideas[1], world.now)
    page = services.list_ideas(db, world.consultation, per_page=4)
    assert (page.total, page.pages, len(page.rows)) == (6, 2, 4)
    assert services.list_ideas(db, world.consultation, sort="supported").rows[0].idea.id == ideas[1].id
    assert services.list_ideas(db, world.consultation, category_id=world.categories[1].id).total == 2
    assert services.list_ideas(db, world.consultation, place_id=world.tree["group_a"].id).total == 4
    assert services.list_ideas(db, world.consultation, state="rejected").total == 0
    assert services.list_ideas(db, world.consultation, page="99", per_page=4).page == 2
    assert services.list_ideas(db, world.consultation, page="x").page == 1


def test_list_queries_do_not_grow_with_ideas(db, world):
    from tests.statements import count_statements

    new_idea(db, world, photos=[jpeg()])
    engine = db.get_bind().engine
    with count_statements(engine) as few:
        services.list_ideas(db, world.consultation)
    for i in range(2):
        new_idea(db, world, author="resident_a2", title=f"更多{i}", photos=[jpeg()])
    with count_statements(engine) as more:
        services.list_ideas(db, world.consultation)
    assert len(few) == len(more) <= 5


def test_pipeline_counts_round_by_round(db, world):
    a = new_idea(db, world, title="一")
    b = new_idea(db, world, title="二")
    c = new_idea(db, world, title="三")
    moderator = world.actor("moderator_a")
    services.review_idea(db, moderator, a, "shortlist", now=world.now)
    services.review_idea(db, moderator, b, "reject", note="太贵", now=world.now)
    services.withdraw_idea(db, world.actor("resident_a"), c, world.now)
    steps = services.pipeline(db, world.consultation, world.now)
    assert [s.round.kind for s in steps] == ["collect", "review", "vote"]
    assert steps[0].counts == {"submitted": 3, "shortlisted": 1, "merged": 0, "rejected": 1,
                               "withdrawn": 1}
    assert steps[0].carried == 3 and steps[0].state == "open"


def test_vote_round_carries_shortlist_for_the_voting_domain(db, world):
    shortlisted = new_idea(db, world, title="加装扶手", cost="3500.50", photos=[jpeg()])
    other = new_idea(db, world, title="健身步道")
    _close_collect(db, world)
    moderator = world.actor("moderator_a")
    in_review = world.now + timedelta(minutes=2)
    services.review_idea(db, moderator, shortlisted, "shortlist", now=in_review)
    services.close_round(db, moderator, world.review, reason="评审完成", now=in_review)
    items = services.ideas_in_round(db, world.vote)
    assert [(i.id, i.title, i.estimated_cost_fen) for i in items] == [
        (shortlisted.id, "加装扶手", 350050)]
    assert items[0].thumbnail_url == f"/media/{items[0].photo_key}_t.jpg"
    assert other.current_round_id == world.review.id
    assert _notes(db, world.people["resident_a"])[-1] == ("vote_opened", {"title": "2026 三微征集"})
    services.record_outcome(db, None, world.vote, [shortlisted.id], in_review)
    assert shortlisted.state == "selected"


def test_stats_and_export(db, world):
    new_idea(db, world, title="一", category=0)
    idea = new_idea(db, world, title="二", category=1, cost="")
    services.review_idea(db, world.actor("moderator_a"), idea, "reject", note="重复", now=world.now)
    new_idea(db, world, title="草稿", submit=False)
    figures = services.stats(db, world.consultation)
    assert figures.total == 2
    assert figures.by_state == [("submitted", 1), ("rejected", 1)]
    assert figures.by_category == [("实事项目", 1), ("自治项目", 1), ("共筹项目", 0), ("维修与补充项目", 0)]
    assert figures.by_area == [("恒丰", 2)]
    rows = services.export_rows(db, world.consultation)
    assert [r["title"] for r in rows] == ["一", "二"]
    assert rows[1]["state_note"] == "重复" and rows[1]["estimated_cost_fen"] is None
    assert rows[0]["area"] == "恒丰" and rows[0]["author"] == "resident_a"


def test_drafts_are_private(db, world):
    draft = new_idea(db, world, submit=False)
    assert services.visible_idea(db, world.actor("resident_a"), draft.id) is draft
    from consult.errors import NotFound

    with pytest.raises(NotFound):
        services.visible_idea(db, world.actor("moderator_a"), draft.id)
    assert services.list_ideas(db, world.consultation).total == 0
    assert _count(db, Comment) == 0 and _count(db, IdeaPhoto) == 0
    assert _count(db, TimelineEntry, TimelineEntry.idea_id == draft.id) == 0


def test_authors_and_supporters_of_ideas_on_the_ballot_hear_once_that_voting_opens(db, world):
    first = new_idea(db, world, title="加装扶手")
    second = new_idea(db, world, title="楼道照明")
    dropped = new_idea(db, world, title="健身步道", author="neighbour")
    for idea in (first, second):
        services.support_idea(db, world.actor("resident_a2"), idea, world.now)
    services.support_idea(db, world.actor("resident_a2"), dropped, world.now)
    _close_collect(db, world)
    moderator = world.actor("moderator_a")
    in_review = world.now + timedelta(minutes=2)
    for idea in (first, second):
        services.review_idea(db, moderator, idea, "shortlist", now=in_review)
    services.close_round(db, moderator, world.review, reason="评审完成", now=in_review)

    def opened(key):
        return [n for n in db.exec(select(Notification).where(
            Notification.user_id == world.people[key].id, Notification.kind == "vote_opened")).all()]

    assert len(opened("resident_a")) == 1 and len(opened("resident_a2")) == 1
    assert opened("resident_a2")[0].link == f"/rounds/{world.vote.id}/vote"
    assert opened("neighbour") == [] and opened("resident_b") == []


def test_extending_a_round_can_move_the_later_rounds_by_the_same_amount(db, world):
    moderator = world.actor("moderator_a")
    review, vote = (world.review.opens_at, world.review.closes_at), (world.vote.opens_at, world.vote.closes_at)
    services.extend_round(db, moderator, world.collect, closes_at=world.now + 9 * DAY,
                          reason="春节顺延", now=world.now, move_later=True)
    assert world.collect.closes_at == world.now + 9 * DAY
    assert (world.review.opens_at, world.review.closes_at) == (review[0] + 2 * DAY, review[1] + 2 * DAY)
    assert (world.vote.opens_at, world.vote.closes_at) == (vote[0] + 2 * DAY, vote[1] + 2 * DAY)
    moved = db.exec(select(RoundChange).where(RoundChange.kind == "moved")
                    .order_by(RoundChange.id)).all()
    assert [(c.round_id, c.reason, c.new_closes_at - c.old_closes_at) for c in moved] == [
        (world.review.id, "春节顺延", 2 * DAY), (world.vote.id, "春节顺延", 2 * DAY)]
    assert _count(db, AuditEntry, AuditEntry.action == "move_round") == 2


def test_later_rounds_are_not_moved_once_one_has_opened(db, world):
    moderator = world.actor("moderator_a")
    later = world.now + 8 * DAY  # the collect round has closed, the review round is open
    before = [(r.opens_at, r.closes_at) for r in (world.collect, world.review, world.vote)]
    with pytest.raises(Conflict) as refused:
        services.extend_round(db, moderator, world.collect, closes_at=later + DAY,
                              reason="补充征集", now=later, move_later=True)
    assert refused.value.code == "later_round_open"
    assert [(r.opens_at, r.closes_at) for r in (world.collect, world.review, world.vote)] == before
    assert _count(db, RoundChange) == 0
