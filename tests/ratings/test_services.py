"""Star-rating services: criteria and thresholds, the four sources, publishing, objections,
forums and contests."""

import io
from datetime import timedelta
from fractions import Fraction

import pytest
from PIL import Image
from sqlalchemy import func
from sqlmodel import select

from consult.errors import Conflict, FieldErrors, Forbidden
from consult.i18n import translator
from consult.media.images import ImageError
from consult.ratings import services
from consult.ratings.models import ContestRating, Criterion, ForumRating
from consult.ratings.rules import CriterionDraft
from consult.surveys import services as surveys
from tests import factories
from tests.surveys.builders import CLOSES, NOW, OPENS, good_answers, person, survey

Row = services.CriterionRow


@pytest.fixture
def tree(db):
    return factories.place_tree(db)


@pytest.fixture
def admin(db, settings, tree):
    return person(db, settings, "admin", tree["root"], name="街道")[1]


@pytest.fixture
def campaign(db, admin, tree):
    return services.create_campaign(db, admin, place_id=tree["root"].id, title="2026 星级业委会",
                                    year="2026", notice_days="7")


def _criteria(db, admin, campaign):
    services.set_criteria(db, admin, campaign, [
        Row(None, CriterionDraft("台账检查", 30, "staff")),
        Row(None, CriterionDraft("业主代表评议", 30, "forum")),
        Row(None, CriterionDraft("满意度测评", 40, "survey", survey_measure="rate")),
    ])
    return services.criteria_of(db, campaign)


def test_weights_must_sum_to_100_and_nothing_changes_otherwise(db, admin, campaign):
    ledger, forum, satisfaction = _criteria(db, admin, campaign)
    with pytest.raises(FieldErrors) as caught:
        services.set_criteria(db, admin, campaign, [
            Row(ledger.id, CriterionDraft("台账检查", 50, "staff")),
            Row(forum.id, CriterionDraft("业主代表评议", 30, "forum")),
            Row(satisfaction.id, CriterionDraft("满意度测评", 40, "survey", survey_measure="rate"))])
    assert caught.value.errors["weights"].params == {"total": 120}
    db.expire_all()
    assert [c.weight for c in services.criteria_of(db, campaign)] == [30, 30, 40]


def test_criteria_keep_their_ids_when_edited(db, admin, campaign):
    ledger, forum, _ = _criteria(db, admin, campaign)
    services.set_criteria(db, admin, campaign, [
        Row(ledger.id, CriterionDraft("台账检查", 60, "staff")),
        Row(forum.id, CriterionDraft("座谈会评议", 40, "forum"))])
    after = services.criteria_of(db, campaign)
    assert [(c.id, c.name, c.weight) for c in after] == [(ledger.id, "台账检查", 60), (forum.id, "座谈会评议", 40)]
    assert db.exec(select(func.count()).select_from(Criterion)
                   .where(Criterion.campaign_id == campaign.id)).one() == 2


def test_thresholds_must_increase(db, admin, campaign):
    with pytest.raises(FieldErrors):
        services.set_thresholds(db, admin, campaign, ["60", "80", "70", "90", "95"])
    assert campaign.thresholds == [60, 70, 80, 90, 95]
    services.set_thresholds(db, admin, campaign, ["50", "60", "70", "80", "90"])
    assert campaign.thresholds == [50, 60, 70, 80, 90]


def test_only_staff_of_the_place_manage_campaigns(db, settings, tree, campaign):
    _, moderator = person(db, settings, "moderator", tree["area_a"])
    with pytest.raises(Forbidden):  # the campaign is sub-district wide
        services.set_thresholds(db, moderator, campaign, ["50", "60", "70", "80", "90"])
    with pytest.raises(Forbidden):
        services.create_campaign(db, moderator, place_id=tree["area_b"].id, title="x", year="2026")


@pytest.fixture
def scored(db, settings, admin, tree, campaign):
    """Two owners' committees with staff scores, a forum and a satisfaction survey."""
    ledger, forum_c, satisfaction = _criteria(db, admin, campaign)
    form = survey(db, admin, tree["estate_a"])
    for level in (5, 4, 2):
        _, resident = person(db, settings, "resident", tree["area_a"])
        surveys.submit(db, resident, form, good_answers(form, level=level), now=NOW)
    a = services.add_subject(db, admin, campaign, kind="owners_committee", place_id=tree["estate_a"].id,
                             survey_id=form.survey.id)
    b = services.add_subject(db, admin, campaign, kind="owners_committee", place_id=tree["estate_b"].id)
    services.save_staff_scores(db, admin, campaign, ledger, {a.id: ("90", "台账齐全"), b.id: ("60", "缺会议记录")},
                               now=NOW)
    forum = services.create_forum(db, admin, campaign, subject_id=a.id, held_at=NOW, location="居委会会议室")
    reps = [person(db, settings, "owners_rep", tree["estate_a"], name=n)[0] for n in ("代表甲", "代表乙")]
    services.update_forum(db, admin, forum, held_at=NOW, location="居委会会议室", agenda="评议业委会",
                          minutes="", attendee_ids=[str(r.id) for r in reps])
    stored = services.save_grid(db, admin, forum, {f"r{reps[0].id}_c{forum_c.id}": "5",
                                                   f"r{reps[1].id}_c{forum_c.id}": "4"})
    assert stored == 2
    return {"a": a, "b": b, "forum": forum, "reps": reps, "criteria": (ledger, forum_c, satisfaction)}


def test_the_scoreboard_combines_every_source_exactly(db, campaign, scored):
    ledger, forum_c, satisfaction = scored["criteria"]
    board = services.compute(db, campaign)
    first, second = board.rows
    assert first.subject.id == scored["a"].id and first.rank == 1
    assert first.scores == {ledger.id: 90, forum_c.id: Fraction(175, 2), satisfaction.id: Fraction(200, 3)}
    assert first.total == Fraction(27) + Fraction(105, 4) + Fraction(80, 3)
    assert first.stars == 2 and first.complete
    assert second.total == 18 and second.stars == 0 and not second.complete
    assert board.evidence[(scored["a"].id, ledger.id)] == "台账齐全"


def test_scoreboard_queries_do_not_grow_with_answers(db, settings, engine, admin, tree, campaign, scored):
    from tests.statements import count_statements

    def statements():
        with count_statements(engine) as seen:
            services.compute(db, campaign)
        return len(seen)

    before = statements()
    form = surveys.load_form(db, scored["a"].survey_id)
    for _ in range(4):
        _, resident = person(db, settings, "resident", tree["area_a"])
        surveys.submit(db, resident, form, good_answers(form), now=NOW)
    assert statements() == before


def test_bad_grid_cells_store_nothing(db, admin, campaign, scored):
    forum_c = scored["criteria"][1]
    rep = scored["reps"][0]
    with pytest.raises(FieldErrors) as caught:
        services.save_grid(db, admin, scored["forum"], {f"r{rep.id}_c{forum_c.id}": "9"})
    assert set(caught.value.errors) == {f"r{rep.id}_c{forum_c.id}"}
    assert len(services.forum_ratings(db, scored["forum"])) == 2


def test_only_representatives_attend(db, settings, admin, tree, scored):
    resident, _ = person(db, settings, "resident", tree["area_a"])
    with pytest.raises(FieldErrors):
        services.update_forum(db, admin, scored["forum"], held_at=NOW, location="会议室", agenda="", minutes="",
                              attendee_ids=[str(resident.id)])


def test_staff_scores_need_evidence_and_range(db, admin, campaign, scored):
    ledger = scored["criteria"][0]
    a = scored["a"]
    for raw, field in (({a.id: ("101", "x")}, f"s{a.id}"), ({a.id: ("80", " ")}, f"e{a.id}")):
        with pytest.raises(FieldErrors) as caught:
            services.save_staff_scores(db, admin, campaign, ledger, raw, now=NOW)
        assert field in caught.value.errors
    assert services.staff_scores(db, ledger)[a.id].score == 90


def test_publishing_freezes_results_and_opens_the_notice(db, settings, admin, tree, campaign, scored):
    board = services.publish(db, admin, campaign, NOW, confirm_missing=True)
    assert services.state_of(campaign, NOW) == "notice"
    assert services.state_of(campaign, NOW + timedelta(days=7)) == "final"
    frozen = services.board(db, campaign)
    assert frozen.frozen and [r.total for r in frozen.rows] == [r.total for r in board.rows]
    # later answers do not change a published notice
    form = surveys.load_form(db, scored["a"].survey_id)
    _, resident = person(db, settings, "resident", tree["area_a"])
    surveys.submit(db, resident, form, good_answers(form, level=1), now=NOW)
    assert services.board(db, campaign).rows[0].total == board.rows[0].total
    with pytest.raises(Conflict):
        services.save_grid(db, admin, scored["forum"], {})
    with pytest.raises(Conflict):
        services.set_thresholds(db, admin, campaign, ["1", "2", "3", "4", "5"])
    assert len(services.forum_ratings(db, scored["forum"])) == 2


def test_subject_history_across_years(db, admin, tree, campaign, scored):
    services.publish(db, admin, campaign, NOW, confirm_missing=True)
    later = services.create_campaign(db, admin, place_id=tree["root"].id, title="2027 星级业委会", year="2027")
    services.set_criteria(db, admin, later, [Row(None, CriterionDraft("台账检查", 100, "staff"))])
    again = services.add_subject(db, admin, later, kind="owners_committee", place_id=tree["estate_a"].id)
    services.save_staff_scores(db, admin, later, services.criteria_of(db, later)[0],
                               {again.id: ("96", "优秀")}, now=NOW)
    services.publish(db, admin, later, NOW, confirm_missing=True)
    rows = services.history(db, again)
    assert [(r.campaign.year, r.subject.result_stars) for r in rows] == [(2027, 5), (2026, 2)]


def test_objections_during_the_notice_period(db, settings, admin, tree, campaign, scored):
    a = scored["a"]
    _, resident = person(db, settings, "resident", tree["area_a"])
    with pytest.raises(Conflict):  # not yet published
        services.file_objection(db, resident, campaign, subject_id=a.id, text="分数偏高", now=NOW)
    services.publish(db, admin, campaign, NOW, confirm_missing=True)
    objection = services.file_objection(db, resident, campaign, subject_id=a.id, text="分数偏高", now=NOW)
    with pytest.raises(Conflict):
        services.file_objection(db, resident, campaign, subject_id=a.id, text="再说一次", now=NOW)
    _, neighbour = person(db, settings, "resident", tree["area_a"])
    with pytest.raises(FieldErrors):
        services.file_objection(db, neighbour, campaign, subject_id=a.id, text=" ", now=NOW)
    _, outsider = person(db, settings, "resident", tree["area_b"])
    with pytest.raises(Forbidden):
        services.file_objection(db, outsider, campaign, subject_id=a.id, text="不同意", now=NOW)
    with pytest.raises(Conflict):
        services.file_objection(db, neighbour, campaign, subject_id=a.id, text="晚了",
                                now=NOW + timedelta(days=8))
    with pytest.raises(Forbidden):
        services.answer_objection(db, resident, objection.id, text="自问自答", now=NOW)
    services.answer_objection(db, admin, objection.id, text="已复核台账，分数无误。", now=NOW)
    [(answered, subject)] = services.objections_of(db, campaign)
    assert answered.answer == "已复核台账，分数无误。" and subject.id == a.id


# -- contests ---------------------------------------------------------------------------


@pytest.fixture
def contest(db, admin, tree):
    return services.create_contest(db, admin, place_id=tree["root"].id, title="最 shine 星级楼组",
                                   description="", opens_at=OPENS, closes_at=CLOSES)


def _png(color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "PNG")
    return buffer.getvalue()


def test_entries_take_a_photo_and_refuse_a_non_image(db, admin, tree, contest, settings):
    entry = services.add_entry(db, admin, contest, title="恒丰1号楼组", text="楼道整洁",
                               place_id=tree["group_a"].id, photo=_png(), media_dir=settings.media_dir)
    assert entry.photo_key and (settings.media_dir / f"{entry.photo_key}_t.jpg").is_file()
    with pytest.raises(FieldErrors) as caught:
        services.add_entry(db, admin, contest, title="坏照片", photo=b"not an image",
                           media_dir=settings.media_dir)
    message = caught.value.errors["photo"]
    assert "%(" not in message.text or message.params  # a Msg with %(name)s placeholders
    assert "{" not in message.text


def test_each_resident_rates_each_entry_once(db, settings, admin, tree, contest):
    first = services.add_entry(db, admin, contest, title="恒丰1号楼组", place_id=tree["group_a"].id)
    second = services.add_entry(db, admin, contest, title="郑家巷1号楼组", place_id=tree["group_b"].id)
    _, resident_a = person(db, settings, "resident", tree["area_a"])
    _, resident_b = person(db, settings, "resident", tree["area_b"])
    services.rate_entry(db, resident_a, contest, first.id, "5", NOW)
    services.rate_entry(db, resident_a, contest, second.id, "3", NOW)
    services.rate_entry(db, resident_b, contest, first.id, "4", NOW)  # any verified resident may vote
    with pytest.raises(Conflict):
        services.rate_entry(db, resident_a, contest, first.id, "1", NOW)
    for bad in ("0", "6", "x"):
        with pytest.raises(FieldErrors):
            services.rate_entry(db, resident_b, contest, second.id, bad, NOW)
    with pytest.raises(Conflict):
        services.rate_entry(db, resident_b, contest, second.id, "4", CLOSES)
    _, nobody = person(db, settings)
    with pytest.raises(Forbidden):
        services.rate_entry(db, nobody, contest, second.id, "4", NOW)
    rows = services.ranked(services.entries(db, contest, resident_a.user_id))
    assert [(r.entry.title, r.count, r.mean, r.mine, r.rank) for r in rows] == [
        ("恒丰1号楼组", 2, Fraction(9, 2), 5, 1), ("郑家巷1号楼组", 1, Fraction(3), 3, 2)]
    assert db.exec(select(func.count()).select_from(ContestRating)).one() == 3


def test_contest_votes_feed_a_campaign_criterion(db, settings, admin, tree, campaign):
    contest = services.create_contest(db, admin, place_id=tree["root"].id, title="星级楼组评选", description="",
                                      opens_at=OPENS, closes_at=CLOSES, campaign_id=campaign.id)
    services.set_criteria(db, admin, campaign, [
        Row(None, CriterionDraft("大众评选", 100, "contest", contest_id=contest.id))])
    subject = services.add_subject(db, admin, campaign, kind="building_group", place_id=tree["group_a"].id)
    entry = services.add_entry(db, admin, contest, title="恒丰1号楼组", subject_id=subject.id)
    for stars in ("5", "4", "4"):
        _, resident = person(db, settings, "resident", tree["area_a"])
        services.rate_entry(db, resident, contest, entry.id, stars, NOW)
    [row] = services.compute(db, campaign).rows
    assert row.total == Fraction(250, 3)  # mean 13/3 → (13/3 − 1) / 4 × 100
    assert row.stars == 3


def test_forum_ratings_table_is_unique_per_cell(db, admin, scored):
    from sqlalchemy.exc import IntegrityError

    forum_c = scored["criteria"][1]
    rep = scored["reps"][0]
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(ForumRating(forum_id=scored["forum"].id, user_id=rep.id, criterion_id=forum_c.id, score=3))


@pytest.mark.parametrize("code", sorted(ImageError.MESSAGES))
def test_every_photo_refusal_is_translated(code):
    params = {"size_mb": "9", "max_mb": "8", "format": "TIFF", "max_megapixels": 50}
    message = services.photo_message(ImageError(code, params))
    zh = message.translate(translator("zh_Hans"))
    assert zh != message.translate(translator("en")) and "%(" not in zh and "{" not in zh


def test_ids_past_a_database_integer_are_unknown_ids(db, settings, admin, tree, campaign, scored):
    """Typed or tampered ids are checked before the query: PostgreSQL would refuse the
    query itself ("integer out of range") and the form would fail with a 500."""
    huge = "9" * 12
    with pytest.raises(FieldErrors) as subject:
        services.add_subject(db, admin, campaign, kind="owners_committee", place_id=huge)
    assert "place_id" in subject.value.errors
    services.publish(db, admin, campaign, NOW, confirm_missing=True)
    _, resident = person(db, settings, "resident", tree["area_a"])
    with pytest.raises(FieldErrors) as objection:
        services.file_objection(db, resident, campaign, subject_id=huge, text="分数偏高", now=NOW)
    assert "subject_id" in objection.value.errors


def test_publishing_with_missing_inputs_asks_which_and_needs_confirmation(db, admin, campaign, scored):
    ledger, forum_c, satisfaction = scored["criteria"]
    board = services.compute(db, campaign)
    second = board.rows[1]
    assert second.scores[forum_c.id] is None and second.missing == [forum_c.id, satisfaction.id]
    with pytest.raises(Conflict) as refused:
        services.publish(db, admin, campaign, NOW)
    assert refused.value.code == "missing_inputs" and campaign.published_at is None
    assert scored["b"].name in refused.value.msg.params["missing"]
    assert forum_c.name in refused.value.msg.params["missing"]
    services.publish(db, admin, campaign, NOW, confirm_missing=True)
    assert campaign.published_at == NOW
