"""Text search: the rows whose columns contain a query, the same rows on SQLite and
PostgreSQL, found through an index from three characters on.

**What matches** is substring matching as :func:`consult.parsing.search_pattern` defines
it: a row matches when one of the searched columns contains the query's text, its
wildcards taken literally — ``LIKE`` on SQLite (ASCII letters in either case), ``ILIKE``
on PostgreSQL (letters in either case). Chinese has no spaces between words, so this is
what finds 充电 in 电动车充电棚. The indexes make it fast and never change the answer:

* **SQLite**: a searched table ``T`` has an FTS5 table ``T_fts`` over the same columns
  with the trigram tokenizer and external content (it keeps the index only, not a copy of
  the text), kept in step with ``T`` by the triggers ``T_fts_insert``, ``T_fts_delete``
  and ``T_fts_update`` (the last only when a searched column is written: a support
  counted on an idea touches no index). A query of three characters or more is looked
  up there as one phrase — all its trigrams, in order, case folded — and the rows found
  are checked with ``LIKE`` again: the tokenizer folds more than ``LIKE`` does (É and é,
  which ``LIKE`` tells apart), so the index finds a superset and ``LIKE`` has the last
  word.
* **PostgreSQL**: each searched column has a GIN index ``ix_T_C_trgm`` (operator class
  ``gin_trgm_ops`` of the extension pg_trgm). ``ILIKE '%…%'`` uses it directly — pg_trgm
  takes the pattern's trigrams, and PostgreSQL rechecks every row it finds. pg_trgm
  counts Chinese characters as word characters where the database's ctype locale
  classifies them as letters (``C.UTF-8``, ``zh_CN.UTF-8``, ``en_US.UTF-8``); under the
  plain ``C`` locale it keeps no trigram of 充电棚 and the index answers by reading all
  its entries: the same rows, only slower.
* **A query under three characters** has no trigram to look up: it is a scan of the
  table with ``LIKE`` on both databases (on PostgreSQL the planner chooses it), so 充电
  still finds 电动车充电棚, at the cost of reading every row of the list.

**Ranking** (:func:`ranked`): rows whose first column (the title) contains the query
first, then by each database's relevance — FTS5's ``rank`` (bm25) on SQLite,
``similarity`` to the first column on PostgreSQL; a scan on SQLite has no rank, so there
a shorter matching title comes first (the query is more of it), and the caller's own
order decides the rest.

**Schema**: the migrations of each domain create these objects with :func:`add_index`
(:func:`create_statements`; the SQL is part of the migration: changing it means a new
migration, never editing this function's output for an old one). They are not
SQLAlchemy models — an FTS5 table and an index with an operator class exist on one
database only — so the comparison of models and migrations leaves them out
(:func:`modelled`) and ``tests/db/test_search_schema.py`` checks they exist.
A later migration that rebuilds a searched table on SQLite (Alembic's batch mode copies
it and drops the old one, with its triggers) must run :func:`create_triggers` again;
that test fails until it does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    case,
    column,
    func,
    or_,
    select,
)
from sqlalchemy import table as lightweight_table

from consult.parsing import search_pattern, search_text

#: the trigram tokenizer's (and pg_trgm's) shortest term: shorter queries are scans
MIN_INDEXED = 3

_NAME = re.compile(r"[a-z][a-z0-9_]*")
_FTS_SHADOWS = ("data", "idx", "docsize", "config", "content")
_SEARCH_TABLE = re.compile(rf"[a-z0-9_]+_fts(_({'|'.join(_FTS_SHADOWS)}))?")
_SEARCH_INDEX = re.compile(r"ix_[a-z0-9_]+_trgm")


@dataclass(frozen=True)
class TextQuery:
    """What a search box asked for, as the statements' parameters."""

    text: str

    @property
    def indexed(self) -> bool:
        """Whether the index can answer: the query has at least one trigram."""
        return len(self.text) >= MIN_INDEXED

    def params(self) -> dict[str, str]:
        """``q`` the LIKE pattern, ``q_text`` the text (ranking), ``q_phrase`` the FTS5 phrase."""
        return {"q": search_pattern(self.text), "q_text": self.text,
                "q_phrase": '"' + self.text.replace('"', '""') + '"'}


def text_query(query: object) -> TextQuery | None:
    """The search of a search box's text (see :func:`consult.parsing.search_text`), or
    None when nothing printable was typed."""
    text = search_text(query)
    return TextQuery(text) if text else None


def _like(dialect: str, table: Table, name: str) -> ColumnElement[bool]:
    # SQLite's LIKE already ignores the case of ASCII letters, which is all its ILIKE
    # (lower() on both sides) ignores: the same rows, without copying every text
    value = table.c[name]
    if dialect == "sqlite":
        return value.like(bindparam("q"), escape="\\")
    return value.ilike(bindparam("q"), escape="\\")


def _fts(table: Table):
    name = f"{table.name}_fts"
    return lightweight_table(name, column("rowid"), column("rank"), column(name))


def _matched(fts) -> ColumnElement[bool]:
    return fts.c[fts.name].op("MATCH", is_comparison=True)(bindparam("q_phrase"))


def contains(dialect: str, table: Table, columns: Sequence[str], indexed: bool) -> ColumnElement[bool]:
    """The rows of ``table`` where one of ``columns`` contains the query (parameters of
    :meth:`TextQuery.params`); ``indexed`` is :attr:`TextQuery.indexed`."""
    found = or_(*(_like(dialect, table, name) for name in columns))
    if dialect == "sqlite" and indexed:
        fts = _fts(table)
        return and_(table.c.id.in_(select(fts.c.rowid).where(_matched(fts))), found)
    return found


def ranked(statement: Select, dialect: str, table: Table, columns: Sequence[str],
           indexed: bool) -> tuple[Select, tuple]:
    """``statement`` (selecting from ``table``) limited to the rows that contain the
    query, and the terms that rank them (see the module), each in ascending order: put
    them before the list's own order."""
    first = case((_like(dialect, table, columns[0]), 0), else_=1)
    found = or_(*(_like(dialect, table, name) for name in columns))
    if dialect == "sqlite" and indexed:
        # the index's rows with their rank, read once: joined directly, SQLite's planner
        # may read the list by its own index and ask FTS5 about each of its rows in turn
        fts = _fts(table)
        hits = (select(fts.c.rowid.label("id"), fts.c.rank.label("rank")).where(_matched(fts))
                .cte(f"{fts.name}_hits").prefix_with("MATERIALIZED"))
        statement = statement.join(hits, hits.c.id == table.c.id).where(found)
        return statement, (first, hits.c.rank)
    statement = statement.where(found)
    if dialect == "postgresql":
        return statement, (first, -func.similarity(table.c[columns[0]], bindparam("q_text")))
    # a scan: the shorter a matching title, the more of it the query is (what similarity
    # measures); the other rows keep the caller's order
    shorter = case((_like(dialect, table, columns[0]), func.length(table.c[columns[0]])), else_=0)
    return statement, (first, shorter)


def is_search_object(name: str | None, type_: str) -> bool:
    """Whether a table or index in the database is this module's (see "Schema" above)."""
    if name is None:
        return False
    if type_ == "table":
        return _SEARCH_TABLE.fullmatch(name) is not None
    if type_ == "index":
        return _SEARCH_INDEX.fullmatch(name) is not None
    return False


def modelled(name: str | None, type_: str, parent_names: object = None) -> bool:
    """Alembic's ``include_name``: what the comparison of models and migrations (and
    autogenerate) looks at — everything but this module's objects, which have no model."""
    return not is_search_object(name, type_)


def _checked(table: str, columns: Sequence[str]) -> None:
    if not all(_NAME.fullmatch(name) for name in (table, *columns)):
        raise ValueError(f"not a plain name: {table} {columns}")


def create_triggers(table: str, columns: Sequence[str]) -> list[str]:
    """SQLite: the triggers that keep ``table_fts`` in step with ``table``."""
    _checked(table, columns)
    fts, names = f"{table}_fts", ", ".join(columns)
    old = ", ".join(f"old.{name}" for name in columns)
    new = ", ".join(f"new.{name}" for name in columns)
    forget = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
    learn = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
    return [
        f"DROP TRIGGER IF EXISTS {fts}_insert",
        f"DROP TRIGGER IF EXISTS {fts}_delete",
        f"DROP TRIGGER IF EXISTS {fts}_update",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {learn} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {forget} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {names} ON {table} BEGIN {forget} {learn} END",
    ]


def create_statements(dialect: str, table: str, columns: Sequence[str],
                      trgm_schema: str | None = None) -> list[str]:
    """The SQL that makes ``columns`` of ``table`` searchable through an index, filling
    it from the rows already there. ``trgm_schema``: where pg_trgm's operator class lives,
    when it is not on the search path (the extension is one per database, made in the
    schema that first created it)."""
    _checked(table, columns)
    if dialect == "sqlite":
        fts = f"{table}_fts"
        return [
            f"CREATE VIRTUAL TABLE {fts} USING fts5({', '.join(columns)}, content='{table}', "
            f"content_rowid='id', tokenize='trigram')",
            *create_triggers(table, columns),
            f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
        ]
    if dialect == "postgresql":
        return ["CREATE EXTENSION IF NOT EXISTS pg_trgm", *(
            f"CREATE INDEX ix_{table}_{name}_trgm ON {table} USING gin "
            f"({name} {_quoted(trgm_schema) + '.' if trgm_schema else ''}gin_trgm_ops)"
            for name in columns)]
    return []


def drop_statements(dialect: str, table: str, columns: Sequence[str]) -> list[str]:
    """The SQL that undoes :func:`create_statements` (the extension stays: others may use it)."""
    _checked(table, columns)
    if dialect == "sqlite":
        return [*create_triggers(table, columns)[:3], f"DROP TABLE IF EXISTS {table}_fts"]
    if dialect == "postgresql":
        return [f"DROP INDEX IF EXISTS ix_{table}_{name}_trgm" for name in columns]
    return []


def add_index(op, table: str, columns: Sequence[str]) -> None:
    """In a migration (``op`` is alembic's): make ``columns`` of ``table`` searchable."""
    bind = op.get_bind()
    schema = None
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema = bind.exec_driver_sql(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pg_trgm'").scalar()
    for statement in create_statements(bind.dialect.name, table, columns, schema):
        op.execute(statement)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def drop_index(op, table: str, columns: Sequence[str]) -> None:
    """In a migration: undo :func:`add_index`."""
    for statement in drop_statements(op.get_bind().dialect.name, table, columns):
        op.execute(statement)
