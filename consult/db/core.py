"""Core statements on a request's session, for the few queries on every hot path.

SQLAlchemy's execution path (cache key, parameter and result set-up, events) costs
several times what SQLite needs to answer a small query by primary key or index: on a
ballot it was most of the request. The statements here are built once (module-level,
with ``bindparam``); ``execute`` compiles each once per dialect and set of parameter
names, keeps the bind and result processors of its types (aware UTC datetimes, JSON,
booleans), and runs it on the driver's cursor of the session's connection, inside the
request's transaction. Pending ORM changes are flushed first, as the ORM's own
autoflush would, so a query never misses a row the same request has just added.

Only plain statements take this path; one with an expanding ``IN`` parameter goes
through SQLAlchemy as usual. ``observers`` (callables taking the SQL text) let the
benchmarks and tests count these statements, which SQLAlchemy's events do not see.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from typing import Any, NamedTuple

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from consult.db.request import RequestSession

observers: list[Callable[[str], None]] = []


class Rows:
    """The rows of one statement, with the few ``Result`` methods callers use."""

    __slots__ = ("_rows",)

    def __init__(self, rows: list):
        self._rows = rows

    def first(self):
        return self._rows[0] if self._rows else None

    def all(self) -> list:
        return self._rows

    def scalar(self):
        return self._rows[0][0] if self._rows else None

    def scalar_one(self):
        if not self._rows:
            raise NoResultFound("No row was found when one was required")
        if len(self._rows) > 1:
            raise MultipleResultsFound("Multiple rows were found when exactly one was required")
        return self._rows[0][0]


class _Plan(NamedTuple):
    sql: str
    order: tuple[str, ...] | None  # parameter names in order, for positional drivers
    fixed: dict[str, Any]  # values the statement carries itself (its literals)
    binds: tuple[tuple[str, Callable], ...]  # (name, processor) where a type needs one
    row: type | None  # the row type, None for a statement without result columns
    results: tuple[Callable | None, ...]


_plans: dict[tuple, _Plan | None] = {}


def _make_plan(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
    dml = getattr(statement, "is_dml", False)
    column_keys = list(keys) if dml else None
    compiled = statement.compile(dialect=dialect, column_keys=column_keys)
    if any(bind.expanding for bind in compiled.binds.values()):
        return None
    binds = tuple((name, processor) for name, bind in compiled.binds.items()
                  if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)))
    fixed = {name: value for name, value in compiled.params.items() if name not in keys}
    sql, order = compiled.string, compiled.positiontup
    if compiled.literal_execute_params:
        # Values fixed at construction that SQLAlchemy writes into the SQL at execution
        # (aggregate_strings' separator): render them now, the other parameters unset.
        unset = {bind.key: None for bind in compiled.binds.values() if bind.required}
        rendered = statement.params(**unset).compile(
            dialect=dialect, column_keys=column_keys, compile_kwargs={"render_postcompile": True})
        sql, order = rendered.string, rendered.positiontup
    columns = list(statement.exported_columns) if dml else list(statement.selected_columns)
    if dml and not getattr(statement, "_returning", ()):
        columns = []
    names = (list(statement.selected_columns.keys()) if not dml
             else [column.key for column in columns])
    row = namedtuple("Row", names, rename=True) if columns else None
    results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                    for column in columns)
    return _Plan(sql, tuple(order) if dialect.positional else None, fixed, binds, row, results)


def _arguments(plan: _Plan, params: dict):
    values = {**plan.fixed, **params} if plan.fixed else dict(params)
    for name, processor in plan.binds:
        if name in values:
            values[name] = processor(values[name])
    return tuple(values[name] for name in plan.order) if plan.order is not None else values


def prepare(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
    """The statement's plan for ``dialect`` and these parameter names (made once), or
    None when this path does not handle it (an expanding ``IN`` parameter)."""
    key = (statement, dialect.name, keys)
    try:
        return _plans[key]
    except KeyError:
        plan = _plans[key] = _make_plan(statement, dialect, keys)
        return plan


def run(cursor, plan: _Plan, params: dict | list[dict]) -> list:
    """Run a plan on a driver cursor: its rows (named tuples), none for executemany."""
    for observe in observers:
        observe(plan.sql)
    if isinstance(params, list):
        cursor.executemany(plan.sql, [_arguments(plan, p) for p in params])
        return []
    cursor.execute(plan.sql, _arguments(plan, params))
    if plan.row is None:
        return []
    row, results = plan.row, plan.results
    return [row(*[value if process is None else process(value)
                  for process, value in zip(results, item, strict=True)])
            for item in cursor.fetchall()]


def _driver(db: Session) -> tuple[Dialect, Any]:
    """The dialect and driver connection of the session's transaction: a web request's
    own driver connection (``consult.db.request``), or any other session's connection."""
    if isinstance(db, RequestSession):
        return db.transaction.dialect, db.transaction.driver()
    connection = db.connection()
    return connection.dialect, connection.connection.dbapi_connection


def dialect_name(db: Session) -> str:
    """``sqlite`` or ``postgresql``: for a statement written per dialect (``ON CONFLICT``)."""
    return _driver(db)[0].name


def execute(db: Session, statement: Executable, params: dict | list[dict] | None = None):
    """Run ``statement`` in the session's transaction (a list of dicts: executemany).

    Returns ``Rows`` (``first``, ``all``, ``scalar``, ``scalar_one``); rows are named
    tuples, fields named as SQLAlchemy names the statement's columns."""
    if db.autoflush:
        db.flush()
    dialect, driver = _driver(db)
    params = params if params is not None else {}
    sample = (params[0] if params else {}) if isinstance(params, list) else params
    plan = prepare(statement, dialect, tuple(sample))
    if plan is None:  # a statement this path does not handle
        return db.connection().execute(statement, params)
    cursor = driver.cursor()
    try:
        return Rows(run(cursor, plan, params))
    finally:
        cursor.close()
