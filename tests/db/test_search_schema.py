"""The search's own objects (consult/db/search.py), which the models-vs-migrations test
leaves out: they exist after the migrations, on each database its own."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from consult.db.search import create_statements, is_search_object, modelled

SEARCHED = {"idea": ("title", "description"), "survey": ("title",), "owner_matter": ("title",)}


def test_each_searched_table_has_its_index_on_this_database(connection):
    if connection.dialect.name == "sqlite":
        names = set(connection.execute(text(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")).scalars())
        for table in SEARCHED:
            assert {f"{table}_fts", f"{table}_fts_insert", f"{table}_fts_delete",
                    f"{table}_fts_update"} <= names, table
    else:
        indexes = set(connection.execute(text("SELECT indexname FROM pg_indexes")).scalars())
        assert {f"ix_{table}_{column}_trgm" for table, columns in SEARCHED.items()
                for column in columns} <= indexes
        assert connection.execute(text(
            "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")).scalar() == 1


def test_pg_trgm_counts_chinese_as_word_characters_here(connection):
    """Under a ctype locale that knows Chinese letters (C.UTF-8, zh_CN.UTF-8) pg_trgm keeps
    trigrams of 充电棚, and its index finds them; under plain C it keeps none and reads the
    whole index instead: the same rows, slower (see consult/db/search.py)."""
    if connection.dialect.name != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")
    ctype = connection.execute(text("SHOW lc_ctype")).scalar()
    if ctype in ("C", "POSIX"):
        pytest.skip(f"lc_ctype {ctype}: pg_trgm ignores non-ASCII letters; searches scan the index")
    assert connection.execute(text("SELECT show_trgm('充电棚')")).scalar() != []


def test_only_the_search_objects_are_left_out_of_the_comparison():
    for name in ("idea_fts", "idea_fts_data", "idea_fts_idx", "idea_fts_docsize",
                 "idea_fts_config", "survey_fts", "owner_matter_fts_content"):
        assert is_search_object(name, "table") and not modelled(name, "table", {})
    assert is_search_object("ix_idea_title_trgm", "index")
    for name, type_ in (("idea", "table"), ("idea_photo", "table"), ("ix_idea_title", "index"),
                        ("idea_fts", "index"), ("ix_idea_title_trgm", "table"), (None, "table")):
        assert not is_search_object(name, type_) and modelled(name, type_, {}), name


def test_the_statements_take_plain_names_only():
    with pytest.raises(ValueError):
        create_statements("sqlite", "idea; DROP TABLE idea", ("title",))
    assert create_statements("mysql", "idea", ("title",)) == []
