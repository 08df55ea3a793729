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


# --- through the index (consult/db/search.py): FTS5 trigram on SQLite, pg_trgm on PostgreSQL


def _plan_of_the_list_page(db, world, query: str) -> str:
    """The database's plan of the very statement the list page ran for ``query``."""
    from sqlalchemy import event

    seen = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if "total" in statement and not seen:
            seen.append((statement, parameters))

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        services.list_ideas(db, world.consultation, query=query)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    statement, parameters = seen[0]
    connection = db.connection()
    if connection.dialect.name == "sqlite":
        return " ".join(str(row) for row in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement}", parameters))
    return " ".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters))


def test_three_characters_or_more_are_looked_up_in_the_index(db, world):
    from sqlalchemy import insert

    rows = [{"consultation_id": world.consultation.id, "author_id": world.people["resident_a2"].id,
             "title": f"楼道灯更换{n}", "description": "三号楼楼道灯坏了", "category_id": world.categories[0].id,
             "place_id": world.tree["group_a"].id, "area_id": world.tree["area_a"].id,
             "state": "submitted", "submitted_at": world.now, "current_round_id": world.collect.id,
             "support_count": 0, "version": 1, "created_at": world.now, "updated_at": world.now}
            for n in range(2000)]  # enough that reading every idea costs more than the index
    db.execute(insert(Idea), rows)
    bulk(db, world, "电动车充电棚")
    if db.get_bind().dialect.name == "postgresql":  # as if committed long ago
        for index in ("ix_idea_title_trgm", "ix_idea_description_trgm"):
            db.connection().exec_driver_sql(f"SELECT gin_clean_pending_list('{index}')")
        db.connection().exec_driver_sql("ANALYZE idea")
    plan = _plan_of_the_list_page(db, world, "充电棚")
    if db.get_bind().dialect.name == "sqlite":
        assert "idea_fts VIRTUAL TABLE" in plan
        assert "idea_fts" not in _plan_of_the_list_page(db, world, "充电")  # a scan: no trigram
    else:
        assert "ix_idea_title_trgm" in plan and "ix_idea_description_trgm" in plan, plan
    assert titles(services.list_ideas(db, world.consultation, query="充电棚")) == ["电动车充电棚"]


def test_the_index_answers_exactly_what_a_substring_scan_answers(db, world):
    """No false negatives, no false positives: punctuation, spaces, Latin in mixed case,
    full-width forms, quotes and the index's own query syntax are all just text."""
    from sqlalchemy import or_, select

    from consult.parsing import search_pattern

    texts = [("电动车充电棚", "东门，车棚（北）旁"), ("Wi-Fi 覆盖 for LOBBY", "free wifi; 50% off_now"),
             ("ＡＢＣ全角", "NEAR(a b) AND title: 星号* ^开头"), ('他说"充电"好', "it's a \"quote\""),
             ("ÉCOLE 学校", "café au lait"), ("楼道 灯", "三号楼  两个空格"), ("  前后空格  ", "tab\there")]
    ideas = {bulk(db, world, title, description).id for title, description in texts}
    queries = ["充电", "电动车充电棚", "车棚（北", "，车棚", "wi-fi", "WIFI", "lobby", "Fi 覆", "50% off_",
               "ＡＢＣ", "abc", "NEAR(a", "AND title:", "星号*", "^开头", '"充电"', '说"充', "it's",
               "école", "CAFÉ", "楼道 灯", "号楼 两", "前后空格", "\x00充电\x1f", "tab here", "ere",
               "不存在的词", "a", "é", '"']
    for query in queries:
        pattern = search_pattern(query)
        expected = set(db.scalars(select(Idea.id).where(
            Idea.id.in_(ideas), or_(Idea.title.ilike(pattern, escape="\\"),
                                    Idea.description.ilike(pattern, escape="\\")))).all())
        found = services.list_ideas(db, world.consultation, query=query, per_page=50)
        assert {r.idea.id for r in found.rows} == expected, query
        assert found.total == len(expected), query
    # the case of Latin letters never matters, in the index or in a scan
    assert titles(services.list_ideas(db, world.consultation, query="wI-fI")) == ["Wi-Fi 覆盖 for LOBBY"]
    assert titles(services.list_ideas(db, world.consultation, query="Lob")) == ["Wi-Fi 覆盖 for LOBBY"]


def test_the_index_follows_every_edit(db, world):
    idea = new_idea(db, world, title="电动车充电棚", description="东门旁")
    services.update_idea(db, world.actor("resident_a"), idea, title="自行车停放架",
                         description="东门旁加装", category_id=idea.category_id, place_id=idea.place_id,
                         media_dir=world.media_dir, now=world.now)
    assert services.list_ideas(db, world.consultation, query="充电棚").total == 0
    assert titles(services.list_ideas(db, world.consultation, query="停放架")) == ["自行车停放架"]
    assert titles(services.list_ideas(db, world.consultation, query="旁加装")) == ["自行车停放架"]
    db.delete(idea)
    db.flush()
    assert services.list_ideas(db, world.consultation, query="停放架").total == 0


def test_a_closer_title_ranks_first_whatever_its_age(db, world):
    from datetime import timedelta

    close = bulk(db, world, "充电桩")
    close.submitted_at = world.now - timedelta(days=3)  # the older: last in the list's own order
    far = bulk(db, world, "小区东门停车场旁边的充电桩加装申请")
    only_described = bulk(db, world, "停车位划线", description="充电桩")
    db.flush()
    for query in ("充电桩", "充电"):
        found = services.list_ideas(db, world.consultation, query=query)
        assert [r.idea.id for r in found.rows] == [close.id, far.id, only_described.id], query
    assert [r.idea.id for r in services.list_ideas(db, world.consultation).rows][-1] == close.id


def test_a_search_is_paged_and_counted_like_the_list(db, world):
    for number in range(5):
        bulk(db, world, f"充电棚{number}")
    bulk(db, world, "楼道灯更换")
    for query in ("充电", "充电棚"):
        first = services.list_ideas(db, world.consultation, query=query, per_page=2)
        last = services.list_ideas(db, world.consultation, query=query, per_page=2, page=3)
        beyond = services.list_ideas(db, world.consultation, query=query, per_page=2, page=9)
        assert (first.total, first.pages, len(first.rows)) == (5, 3, 2)
        assert (last.page, len(last.rows)) == (3, 1)
        assert (beyond.page, titles(beyond)) == (3, titles(last))
        everything = services.list_ideas(db, world.consultation, query=query, per_page=10)
        assert len({r.idea.id for r in everything.rows}) == 5


def test_a_cached_search_page_shows_an_edit(client, db, world):
    idea = new_idea(db, world, title="电动车充电棚")
    url = f"/consultations/{world.consultation.id}/ideas"
    assert titles(client.get(url, params={"q": "充电棚"}).context["page"]) == ["电动车充电棚"]
    services.update_idea(db, world.actor("resident_a"), idea, title="自行车停放架",
                         description=idea.description, category_id=idea.category_id,
                         place_id=idea.place_id, media_dir=world.media_dir, now=world.now)
    assert client.get(url, params={"q": "充电棚"}).context["page"].total == 0
    assert titles(client.get(url, params={"q": "停放架"}).context["page"]) == ["自行车停放架"]


def test_control_characters_in_a_query_are_spaces_on_the_page_and_in_the_api(client, db, world):
    bulk(db, world, "电动车 充电棚")
    url = f"/consultations/{world.consultation.id}/ideas"
    api = f"/api/v1/consultations/{world.consultation.id}/ideas"
    for query in ("\x00充电棚\x1f", "电动车\x00充电棚", "车\t充电", '"充电棚" OR *'):
        page = client.get(url, params={"q": query})
        assert page.status_code == 200, query
        found = client.get(api, params={"q": query})
        assert found.status_code == 200, query
        expected = [] if "OR" in query else ["电动车 充电棚"]
        assert [i["title"] for i in found.json()["ideas"]] == expected, query
