"""Searching ideas by title and description: Chinese substrings, ranked, with the filters."""

from __future__ import annotations

from consult.consultations import services
from consult.consultations.models import Idea
from tests.consultations.conftest import new_idea
from tests.statements import count_statements


def bulk(db, world, title: str, description: str = "d", category: int = 2) -> Idea:
    idea = Idea(consultation_id=world.consultation.id, author_id=world.people["resident_a2"].id,
                title=title, description=description, category_id=world.categories[category].id,
                place_id=world.tree["group_a"].id, area_id=world.tree["area_a"].id,
                state="submitted", submitted_at=world.now, current_round_id=world.collect.id)
    db.add(idea)
    db.flush()
    return idea


def titles(page) -> list[str]:
    return [r.idea.title for r in page.rows]


def test_two_chinese_characters_find_a_longer_title(db, world):
    bulk(db, world, "电动车充电棚")
    bulk(db, world, "楼道灯更换")
    assert titles(services.list_ideas(db, world.consultation, query="充电")) == ["电动车充电棚"]
    assert titles(services.list_ideas(db, world.consultation, query="充")) == ["电动车充电棚"]
    assert titles(services.list_ideas(db, world.consultation, query="车充电棚")) == ["电动车充电棚"]
    assert services.list_ideas(db, world.consultation, query="游泳池").total == 0


def test_title_matches_rank_before_description_matches(db, world):
    in_description = bulk(db, world, "停车位划线", description="顺便加装充电桩")
    in_title = bulk(db, world, "充电桩安装")
    found = services.list_ideas(db, world.consultation, query="充电桩")
    assert [r.idea.id for r in found.rows] == [in_title.id, in_description.id]


def test_search_is_combined_with_the_filters(db, world):
    bulk(db, world, "充电棚一号", category=0)
    bulk(db, world, "充电棚二号", category=1)
    found = services.list_ideas(db, world.consultation, query="充电",
                                category_id=str(world.categories[1].id))
    assert titles(found) == ["充电棚二号"]


def test_wildcards_in_a_query_are_literal(db, world):
    bulk(db, world, "100%满意")
    bulk(db, world, "一百分")
    assert titles(services.list_ideas(db, world.consultation, query="%")) == ["100%满意"]
    assert services.list_ideas(db, world.consultation, query="_").total == 0
    assert services.list_ideas(db, world.consultation, query="   ").total == 2  # no search


def test_drafts_are_never_found(db, world):
    new_idea(db, world, title="充电草稿", submit=False)
    assert services.list_ideas(db, world.consultation, query="充电").total == 0


def test_the_page_and_the_api_search(client, db, world):
    bulk(db, world, "电动车充电棚")
    bulk(db, world, "楼道灯更换")
    url = f"/consultations/{world.consultation.id}/ideas"
    page = client.get(url, params={"q": "充电"})
    assert titles(page.context["page"]) == ["电动车充电棚"]
    assert 'value="充电"' in page.text
    none = client.get(url, params={"q": "游泳池"})
    assert "没有建议包含“游泳池”" in none.text
    api = client.get(f"/api/v1/consultations/{world.consultation.id}/ideas", params={"q": "充电"}).json()
    assert [i["title"] for i in api["ideas"]] == ["电动车充电棚"] and api["total"] == 1


def test_search_page_statements_do_not_grow_with_the_ideas(client, db, world, engine, app):
    url = f"/consultations/{world.consultation.id}/ideas"

    def statements(q: str) -> int:
        client.get(url, params={"q": q})
        app.state.ideas_list_cache.clear()
        with count_statements(engine) as fresh:
            client.get(url, params={"q": q})
        return len(fresh)

    bulk(db, world, "充电棚")
    few = statements("充电")
    for i in range(30):
        bulk(db, world, f"充电桩{i}", description="充电")
    assert statements("充电") == few
    assert statements("充电桩1") == few
