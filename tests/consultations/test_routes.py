"""Consultation pages: what people see and what their forms do."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from consult import clock
from consult.consultations import services
from consult.consultations.models import Idea, IdeaPhoto, Support
from tests import factories
from tests.conftest import csrf_from, post_form
from tests.consultations.conftest import jpeg, new_idea
from tests.consultations.test_api import _auth


def _sign_in(client, world, key):
    factories.sign_in(client, world.people[key].login)


def _count(db, model, *where):
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def _idea_form(world, **overrides):
    data = {"title": "加装扶手", "description": "3号楼楼道加装扶手，方便老人上下楼",
            "category_id": str(world.categories[0].id), "place_id": str(world.tree["group_a"].id),
            "estimated_cost": "3500"}
    data.update(overrides)
    return data


def _post_idea(client, world, data, files=None):
    page = f"/consultations/{world.consultation.id}/ideas/new"
    token = csrf_from(client.get(page).text)
    return client.post(f"/consultations/{world.consultation.id}/ideas",
                       data={"csrf_token": token, **data}, files=files or {"photos": ("", b"")},
                       follow_redirects=False)


def test_consultation_list_and_page(client, world):
    response = client.get("/consultations")
    assert response.status_code == 200
    assert [s.consultation.id for s in response.context["summaries"]] == [world.consultation.id]
    page = client.get(f"/consultations/{world.consultation.id}")
    assert page.context["current"].id == world.collect.id
    assert [s.round.kind for s in page.context["steps"]] == ["collect", "review", "vote"]
    assert page.context["can_submit"] is False and page.context["can_manage"] is False
    assert "2026 三微征集" in page.text


def test_resident_sees_propose_button(client, world):
    _sign_in(client, world, "resident_a")
    page = client.get(f"/consultations/{world.consultation.id}")
    assert page.context["can_submit"] is True
    assert f'href="/consultations/{world.consultation.id}/ideas/new"' in page.text


def test_submit_with_photo_confirm_then_public(client, db, world):
    _sign_in(client, world, "resident_a")
    new_idea(db, world, author="resident_a2", title="楼道加装扶手")
    response = _post_idea(client, world, _idea_form(world),
                          files={"photos": ("photo.jpg", jpeg(), "image/jpeg")})
    assert response.status_code == 303
    idea = db.exec(select(Idea).where(Idea.title == "加装扶手")).one()
    assert response.headers["location"] == f"/ideas/{idea.id}/confirm"
    assert idea.state == "draft" and idea.estimated_cost_fen == 350000
    confirm = client.get(f"/ideas/{idea.id}/confirm")
    assert [i.title for i in confirm.context["similar"]] == ["楼道加装扶手"]
    response = post_form(client, f"/ideas/{idea.id}/confirm", f"/ideas/{idea.id}/submit", {})
    assert response.status_code == 303 and response.headers["location"] == f"/ideas/{idea.id}"
    db.refresh(idea)
    assert idea.state == "submitted"
    page = client.get(f"/ideas/{idea.id}")
    photo = page.context["detail"].photos[0]
    assert f'src="/media/{photo.key}_t.jpg"' in page.text
    assert [e.action for e in page.context["detail"].timeline] == ["submitted"]


def test_a_draft_is_not_public(client, db, world):
    draft = new_idea(db, world, submit=False)
    assert client.get(f"/ideas/{draft.id}").status_code == 404
    _sign_in(client, world, "resident_a")
    response = client.get(f"/ideas/{draft.id}", follow_redirects=False)
    assert response.headers["location"] == f"/ideas/{draft.id}/confirm"


def test_bad_input_gets_messages_and_saves_nothing(client, db, world):
    _sign_in(client, world, "resident_a")
    before = _count(db, Idea)
    response = _post_idea(client, world, _idea_form(world, title="", description="字" * 2001,
                                                    category_id="999999", estimated_cost="很多"))
    assert response.status_code == 422
    errors = response.context["errors"]
    assert set(errors) == {"title", "description", "category_id", "estimated_cost"}
    assert "请" in response.text  # Chinese messages by default
    long = _post_idea(client, world, _idea_form(world, title="长" * 61))
    assert long.status_code == 422 and long.context["form"]["title"] == "长" * 61
    assert _count(db, Idea) == before


def test_not_an_image_is_refused_with_a_message(client, db, world):
    _sign_in(client, world, "resident_a")
    response = _post_idea(client, world, _idea_form(world),
                          files={"photos": ("evil.jpg", b"<?php echo 1; ?>", "image/jpeg")})
    assert response.status_code == 422
    assert "photos" in response.context["errors"]
    assert _count(db, Idea) == 0 and _count(db, IdeaPhoto) == 0


def test_a_50_mb_upload_is_refused_with_413(client, db, world):
    _sign_in(client, world, "resident_a")
    response = _post_idea(client, world, _idea_form(world),
                          files={"photos": ("big.jpg", b"\xff" * (50 * 1024 * 1024), "image/jpeg")})
    assert response.status_code == 413
    assert _count(db, Idea) == 0


def test_html_is_escaped(client, db, world):
    idea = new_idea(db, world, title="<script>alert(1)</script>",
                    description="<img src=x onerror=alert(2)>")
    page = client.get(f"/ideas/{idea.id}").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_support_twice_is_one(client, db, world):
    idea = new_idea(db, world)
    _sign_in(client, world, "resident_a2")
    for _ in range(2):
        response = post_form(client, f"/ideas/{idea.id}", f"/ideas/{idea.id}/support",
                             {"support": "1"})
        assert response.status_code == 303
    assert _count(db, Support, Support.idea_id == idea.id) == 1
    page = client.get(f"/ideas/{idea.id}")
    assert page.context["detail"].supported and page.context["can"]["support"]


def test_resident_of_another_area_cannot_support(client, db, world):
    idea = new_idea(db, world)
    _sign_in(client, world, "resident_b")
    page = client.get(f"/ideas/{idea.id}")
    assert page.context["can"]["support"] is False
    response = client.post(f"/ideas/{idea.id}/support",
                           data={"csrf_token": csrf_from(page.text), "support": "1"})
    assert response.status_code == 403


def test_moderator_of_another_area_gets_403(client, db, world):
    idea = new_idea(db, world)
    _sign_in(client, world, "moderator_b")
    response = post_form(client, f"/ideas/{idea.id}", f"/ideas/{idea.id}/review",
                         {"action": "shortlist"})
    assert response.status_code == 403
    db.refresh(idea)
    assert idea.state == "submitted"


def test_review_on_a_closed_round_is_a_clear_error(client, db, world):
    idea = new_idea(db, world)
    world.collect.closes_at = world.now - timedelta(minutes=1)
    world.review.opens_at = world.now
    db.add(world.collect)
    db.add(world.review)
    db.flush()
    _sign_in(client, world, "moderator_a")
    response = post_form(client, f"/ideas/{idea.id}", f"/ideas/{idea.id}/review",
                         {"action": "shortlist"})
    assert response.status_code == 409
    assert "该建议所在的轮次已结束" in response.text
    assert response.context["error"].text.startswith("This idea's round has closed")


def test_moderator_requests_revision_author_revises_diff_shows_it(client, db, world):
    idea = new_idea(db, world)
    _sign_in(client, world, "moderator_a")
    page = client.get(f"/ideas/{idea.id}")
    assert "request_revision" in page.context["review_actions"]
    missing = post_form(client, f"/ideas/{idea.id}", f"/ideas/{idea.id}/review",
                        {"action": "request_revision", "note": ""})
    assert missing.status_code == 422 and "review-request_revision" in missing.context["errors"]
    response = post_form(client, f"/ideas/{idea.id}", f"/ideas/{idea.id}/review",
                         {"action": "request_revision", "note": "请写明楼层"})
    assert response.status_code == 303
    client.cookies.clear()
    _sign_in(client, world, "resident_a")
    assert client.get("/notifications").context["unread"] == 1
    token = csrf_from(client.get(f"/ideas/{idea.id}/edit").text)
    response = client.post(f"/ideas/{idea.id}/edit", data={
        "csrf_token": token, "title": idea.title, "description": "三号楼一至六层楼道灯坏了",
        "category_id": str(idea.category_id), "place_id": str(idea.place_id),
        "estimated_cost": "1200"}, files={"photos": ("", b"")}, follow_redirects=False)
    assert response.status_code == 303
    diff = client.get(f"/ideas/{idea.id}/versions?from=1&to=2")
    assert diff.context["old"] == 1 and diff.context["new"] == 2
    assert "<ins>一至六层</ins>" in diff.text


def test_merge_through_the_page(client, db, world):
    a = new_idea(db, world, title="楼道灯更换")
    b = new_idea(db, world, author="resident_a2", title="更换楼道灯")
    _sign_in(client, world, "moderator_a")
    page = client.get(f"/ideas/{a.id}")
    assert [i.id for i in page.context["merge_targets"]] == [b.id]
    response = post_form(client, f"/ideas/{a.id}", f"/ideas/{a.id}/review",
                         {"action": "merge", "target_id": str(b.id), "note": "重复"})
    assert response.status_code == 303
    merged = client.get(f"/ideas/{a.id}")
    assert f'href="/ideas/{b.id}"' in merged.text
    assert client.get(f"/ideas/{b.id}").context["detail"].merged_from[0][0].id == a.id


def test_comments_expert_badge_report_and_hide(client, db, world):
    idea = new_idea(db, world)
    _sign_in(client, world, "expert_a")
    response = post_form(client, f"/ideas/{idea.id}", f"/ideas/{idea.id}/comments",
                         {"body": "建议用声控灯"})
    assert response.status_code == 303 and "#c" in response.headers["location"]
    page = client.get(f"/ideas/{idea.id}")
    assert "expert-badge" in page.text
    empty = post_form(client, f"/ideas/{idea.id}", f"/ideas/{idea.id}/comments", {"body": " "})
    assert empty.status_code == 422 and "body" in empty.context["errors"]
    comment = page.context["detail"].comments[0].comment
    client.cookies.clear()
    _sign_in(client, world, "resident_b")
    report = post_form(client, f"/ideas/{idea.id}", f"/comments/{comment.id}/report", {"reason": "x"})
    assert report.status_code == 303
    client.cookies.clear()
    _sign_in(client, world, "moderator_a")
    queue = client.get(f"/consultations/{world.consultation.id}/review")
    assert [c.id for c, _, _ in queue.context["reported"]] == [comment.id]
    hide = post_form(client, f"/ideas/{idea.id}", f"/comments/{comment.id}/hide", {"reason": "离题"})
    assert hide.status_code == 303
    hidden = client.get(f"/ideas/{idea.id}")
    assert "离题" in hidden.text and f'action="/comments/{comment.id}/unhide"' in hidden.text
    shown = post_form(client, f"/ideas/{idea.id}", f"/comments/{comment.id}/unhide", {})
    assert shown.status_code == 303
    page = client.get(f"/ideas/{idea.id}")
    assert "离题" not in page.text and f'action="/comments/{comment.id}/hide"' in page.text
    again = post_form(client, f"/ideas/{idea.id}", f"/comments/{comment.id}/unhide", {})
    assert again.status_code == 409 and "这条评论没有被隐藏。" in again.text


def test_review_queue_and_bulk_action(client, db, world):
    ideas = [new_idea(db, world, title=t) for t in ("一", "二")]
    _sign_in(client, world, "resident_a")
    assert client.get(f"/consultations/{world.consultation.id}/review").status_code == 403
    client.cookies.clear()
    _sign_in(client, world, "moderator_a")
    queue = client.get(f"/consultations/{world.consultation.id}/review")
    assert {r.idea.id for r in queue.context["rows"]} == {i.id for i in ideas}
    token = csrf_from(queue.text)
    url = f"/consultations/{world.consultation.id}/review"
    missing = client.post(url, data={"csrf_token": token, "action": "reject", "note": "",
                                     "ideas": [str(i.id) for i in ideas]})
    assert missing.status_code == 422
    response = client.post(url, data={"csrf_token": token, "action": "shortlist",
                                      "ideas": [str(i.id) for i in ideas]}, follow_redirects=False)
    assert response.status_code == 303
    for idea in ideas:
        db.refresh(idea)
        assert idea.state == "shortlisted"


def test_manage_close_round_early(client, db, world):
    new_idea(db, world)
    _sign_in(client, world, "moderator_b")
    assert client.get(f"/consultations/{world.consultation.id}/manage").status_code == 403
    client.cookies.clear()
    _sign_in(client, world, "moderator_a")
    page = f"/consultations/{world.consultation.id}/manage"
    missing = post_form(client, page, f"/rounds/{world.collect.id}/close", {"reason": ""})
    assert missing.status_code == 422
    assert "reason" in missing.context["forms"][f"close-{world.collect.id}"]["errors"]
    response = post_form(client, page, f"/rounds/{world.collect.id}/close",
                         {"reason": "征集已足够", "open_next": "1"})
    assert response.status_code == 303
    steps = client.get(page).context["steps"]
    assert [s.state for s in steps] == ["closed", "open", "upcoming"]
    assert steps[0].changes[0].reason == "征集已足够" and steps[1].carried == 1
    public = client.get(f"/consultations/{world.consultation.id}")
    assert "征集已足够" in public.text


def test_add_round_and_consultation_create(client, db, world):
    _sign_in(client, world, "moderator_a")
    page = f"/consultations/{world.consultation.id}/manage"
    bad = post_form(client, page, f"/consultations/{world.consultation.id}/rounds",
                    {"kind": "decide", "opens_at": "soon", "closes_at": ""})
    assert bad.status_code == 422
    later = world.now + timedelta(days=30)
    response = post_form(client, page, f"/consultations/{world.consultation.id}/rounds", {
        "kind": "decide", "opens_at": later.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (later + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 303
    assert len(services.rounds_of(db, world.consultation.id)) == 4
    created = post_form(client, "/consultations/new", "/consultations", {
        "scope_place_id": str(world.tree["area_a"].id), "title": "2027 征集", "year": "2027",
        "categories": "实事项目\n自治项目"})
    assert created.status_code == 303
    refused = post_form(client, "/consultations/new", "/consultations", {
        "scope_place_id": str(world.tree["area_b"].id), "title": "x", "year": "2027",
        "categories": "a"})
    assert refused.status_code == 403


def test_idea_list_filters_and_pages(client, db, world):
    for i in range(3):
        new_idea(db, world, title=f"想法{i}", category=i % 2)
    for i in range(20):
        idea = Idea(consultation_id=world.consultation.id, author_id=world.people["resident_a2"].id,
                    title=f"批量{i}", description="d", category_id=world.categories[2].id,
                    place_id=world.tree["group_a"].id, area_id=world.tree["area_a"].id,
                    state="submitted", submitted_at=world.now, current_round_id=world.collect.id)
        db.add(idea)
    db.flush()
    url = f"/consultations/{world.consultation.id}/ideas"
    first = client.get(url)
    assert first.context["page"].total == 23 and len(first.context["page"].rows) == 20
    assert 'rel="next"' in first.text
    filtered = client.get(url, params={"category": str(world.categories[1].id)})
    assert [r.idea.title for r in filtered.context["page"].rows] == ["想法1"]
    assert filtered.context["filters"]["category"] == str(world.categories[1].id)
    second = client.get(url, params={"page": "2"})
    assert len(second.context["page"].rows) == 3
    assert client.get(url, params={"page": "abc", "sort": "nonsense", "state": "<x>"}).status_code == 200


def test_list_page_queries_are_bounded(client, db, world, engine, app):
    """The same statements with more ideas, whether the list is rendered afresh or comes
    from the page cache (which needs fewer)."""
    from tests.statements import count_statements

    url = f"/consultations/{world.consultation.id}/ideas"

    def statements() -> tuple[int, int]:
        client.get(url)
        app.state.ideas_list_cache.clear()
        with count_statements(engine) as fresh:
            client.get(url)
        with count_statements(engine) as cached:
            client.get(url)
        return len(fresh), len(cached)

    new_idea(db, world, photos=[jpeg()])
    few = statements()
    for i in range(2):
        new_idea(db, world, author="resident_a2", title=f"更多{i}", photos=[jpeg((0, 0, 200))])
    more = statements()
    assert few == more
    assert few[1] < few[0]


def test_my_ideas_and_notifications(client, db, world):
    idea = new_idea(db, world)
    services.review_idea(db, world.actor("moderator_a"), idea, "reject", note="不在范围内",
                         now=world.now)
    _sign_in(client, world, "resident_a")
    mine = client.get("/me/ideas")
    assert [(row.idea.id, row.idea.state) for row, _ in mine.context["items"]] == [(idea.id, "rejected")]
    assert "不在范围内" in mine.text
    notes = client.get("/notifications")
    assert "不在范围内" in notes.text


def test_media_served_with_long_cache_and_strict_names(client, db, world):
    idea = new_idea(db, world, photos=[jpeg()])
    key = services.photos_of(db, idea.id)[0].key
    response = client.get(f"/media/{key}_t.jpg")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert "immutable" in response.headers["cache-control"]
    for bad in ("../secret_key", key.upper() + ".jpg", key + ".png", "0" * 64 + ".jpg",
                "%2e%2e%2fsecret_key"):
        assert client.get(f"/media/{bad}").status_code == 404


def test_exports(client, db, world):
    new_idea(db, world, title="=HYPERLINK(\"http://evil\")", cost="3500.50")
    _sign_in(client, world, "resident_a")
    assert client.get(f"/consultations/{world.consultation.id}/export.csv").status_code == 403
    client.cookies.clear()
    _sign_in(client, world, "moderator_a")
    response = client.get(f"/consultations/{world.consultation.id}/export.csv")
    assert response.status_code == 200 and response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "编号" and rows[1][1].startswith("'=HYPERLINK")
    assert rows[1][6] == "3500.50"
    xlsx = client.get(f"/consultations/{world.consultation.id}/export.xlsx")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(row=2, column=2).data_type == "s"
    assert sheet.cell(row=2, column=2).value.startswith("=HYPERLINK")
    assert str(sheet.cell(row=2, column=7).value) == "3500.5"


def test_notice_has_qr_with_base_url(client, db, world):
    idea = new_idea(db, world)
    _sign_in(client, world, "moderator_a")
    page = client.get(f"/consultations/{world.consultation.id}/notice")
    assert page.context["target_url"] == f"http://testserver/consultations/{world.consultation.id}"
    assert "<svg" in page.text and 'class="qr"' in page.text
    idea_page = client.get(f"/ideas/{idea.id}/notice")
    assert idea_page.context["target_url"] == f"http://testserver/ideas/{idea.id}"


def test_stats_chart_with_table(client, db, world):
    new_idea(db, world, category=1)
    _sign_in(client, world, "moderator_a")
    page = client.get(f"/consultations/{world.consultation.id}/stats")
    assert page.context["stats"].total == 1
    assert page.text.count('class="c-chart"') == 3
    assert re.search(r"<td>自治项目</td><td class=\"num\">1</td>", page.text)


def test_every_page_has_no_inline_script_or_style(client, db, world):
    idea = new_idea(db, world)
    _sign_in(client, world, "moderator_a")
    cid = world.consultation.id
    for url in (f"/consultations/{cid}", f"/consultations/{cid}/ideas", f"/ideas/{idea.id}",
                f"/consultations/{cid}/review", f"/consultations/{cid}/stats",
                f"/consultations/{cid}/manage", f"/consultations/{cid}/notice", "/consultations"):
        html = client.get(url).text
        assert " style=" not in html, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url


def test_an_idea_list_address_with_a_number_too_large_for_the_database_is_not_found(client):
    for path in ("/consultations/99999999999999999999999/ideas", "/consultations/0/ideas"):
        assert client.get(path).status_code == 404


def test_manage_extend_moves_the_later_rounds_page_and_api(client, db, world):
    _sign_in(client, world, "moderator_a")
    page = f"/consultations/{world.consultation.id}/manage"
    assert "后续各轮同样顺延" in client.get(page).text
    review_opens, collect_closes = world.review.opens_at, world.collect.closes_at
    local = clock.to_local(collect_closes + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = post_form(client, page, f"/rounds/{world.collect.id}/extend",
                         {"closes_at": local, "reason": "春节顺延", "move_later": "1"})
    assert response.status_code == 303
    db.refresh(world.collect)
    db.refresh(world.review)
    moved = world.collect.closes_at - collect_closes
    assert moved > timedelta(days=1) and world.review.opens_at - review_opens == moved
    api = client.post(f"/api/v1/rounds/{world.collect.id}/extend", headers=_auth(db, world, "moderator_a"),
                      json={"closes_at": (world.collect.closes_at + timedelta(days=1)).isoformat(),
                            "reason": "再顺延", "move_later": True})
    assert api.status_code == 200
    db.refresh(world.review)
    assert world.review.opens_at - review_opens == moved + timedelta(days=1)
