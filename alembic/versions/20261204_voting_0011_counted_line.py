"""ballot.line: each ballot's counted line, written with its choices (issue 14)

Counting a million ballots spent most of its time building each ballot's canonical line
from its choices (``string_agg`` over a join read in the order of the random ballot
ids); the ballot now keeps it. This fills it for the ballots already stored, as
``rules.counted_line`` writes it: approval kinds the idea ids ascending ("3,12,40"),
cumulative "idea:points" by idea, ordinal the ids best first ("12>3>40"), a tab and the
points in rank order. Ballots of a round without settings keep NULL (counting builds
their lines from the choices).

Revision ID: voting_0011_counted_line
Revises: voting_0010_assisted_voting
Create Date: 2026-12-04 15:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = 'voting_0011_counted_line'
down_revision = 'voting_0010_assisted_voting'
branch_labels = None
depends_on = None

_AGGREGATE = "(SELECT string_agg({item}, '{sep}' ORDER BY {order}) FROM ballot_choice c WHERE c.ballot_id = ballot.id)"
_BY_RANK = "coalesce(c.rank, 0), c.idea_id"


def _postgresql() -> None:
    def aggregate(item: str, sep: str, order: str) -> str:
        return f"coalesce({_AGGREGATE.format(item=item, sep=sep, order=order)}, '')"

    op.execute(sa.text(f"""
        UPDATE ballot SET line = CASE vs.ballot_kind
            WHEN 'ordinal' THEN {aggregate('c.idea_id::text', '>', _BY_RANK)} || E'\\t'
                                || {aggregate('c.points::text', ',', _BY_RANK)}
            WHEN 'cumulative' THEN {aggregate("c.idea_id::text || ':' || c.points::text", ',', 'c.idea_id')}
            ELSE {aggregate('c.idea_id::text', ',', 'c.idea_id')} END
        FROM vote_settings vs WHERE vs.round_id = ballot.round_id"""))


def _line(kind: str, choices: list[tuple[int, int, int | None]]) -> str:
    if kind == "ordinal":
        ranked = sorted(choices, key=lambda c: (c[2] or 0, c[0]))
        return ">".join(str(i) for i, _, _ in ranked) + "\t" + ",".join(str(p) for _, p, _ in ranked)
    if kind == "cumulative":
        return ",".join(f"{i}:{p}" for i, p, _ in sorted(choices))
    return ",".join(str(i) for i, _, _ in sorted(choices))


def _sqlite() -> None:
    # no ordered aggregates: the choices read ballot by ballot, the lines written back
    bind = op.get_bind()
    kinds = dict(bind.execute(sa.text("SELECT round_id, ballot_kind FROM vote_settings")).all())
    rows = bind.execute(sa.text(
        "SELECT b.id, b.round_id, c.idea_id, c.points, c.rank FROM ballot b "
        "LEFT JOIN ballot_choice c ON c.ballot_id = b.id ORDER BY b.id")).all()
    lines: list[dict] = []
    current, kind, choices = None, None, []
    for ballot_id, round_id, idea_id, points, rank in [*rows, (None, None, None, None, None)]:
        if ballot_id != current:
            if current is not None and kind is not None:
                lines.append({"id": current, "line": _line(kind, choices)})
            current, kind, choices = ballot_id, kinds.get(round_id), []
        if idea_id is not None:
            choices.append((idea_id, points, rank))
    if lines:
        bind.execute(sa.text("UPDATE ballot SET line = :line WHERE id = :id"), lines)


def upgrade() -> None:
    # Plain ALTER TABLE … ADD COLUMN on both databases: a batch rebuild of ``ballot`` on
    # SQLite would drop the table its choices cascade from.
    op.add_column('ballot', sa.Column('line', sa.Text(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        _postgresql()
    else:
        _sqlite()


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN on both (SQLite 3.35+), not a batch rebuild: see upgrade()
    op.execute(sa.text("ALTER TABLE ballot DROP COLUMN line"))
