"""objections: one open objection per resident and round, longer texts, edited_at

A resident's unanswered objections on one round are merged into the first one (their
texts joined, oldest first) before the partial unique index is created.

Revision ID: voting_0005_objections
Revises: voting_0004_ballot_secrecy
Create Date: 2026-12-02 00:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'voting_0005_objections'
down_revision = 'voting_0004_ballot_secrecy'
branch_labels = None
depends_on = None

_OPEN = sa.text("answered_at IS NULL")


def _merge_open_duplicates() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT id, round_id, user_id, body FROM objection WHERE answered_at IS NULL "
        "ORDER BY round_id, user_id, id")).all()
    groups: dict[tuple[int, int], list] = {}
    for row in rows:
        groups.setdefault((row.round_id, row.user_id), []).append(row)
    for first, *others in groups.values():
        if not others:
            continue
        body = "\n\n".join(r.body for r in (first, *others))[:4000]
        connection.execute(sa.text("UPDATE objection SET body = :body WHERE id = :id"),
                           {"body": body, "id": first.id})
        connection.execute(sa.text("DELETE FROM objection WHERE id IN :ids")
                           .bindparams(sa.bindparam("ids", expanding=True)),
                           {"ids": [r.id for r in others]})


def upgrade() -> None:
    _merge_open_duplicates()
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.alter_column('body', existing_type=sqlmodel.sql.sqltypes.AutoString(length=1000),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=4000), existing_nullable=False)
    op.create_index('uq_objection_open', 'objection', ['round_id', 'user_id'], unique=True,
                    sqlite_where=_OPEN, postgresql_where=_OPEN)


def downgrade() -> None:
    op.drop_index('uq_objection_open', table_name='objection')
    with op.batch_alter_table('objection', schema=None) as batch_op:
        batch_op.alter_column('body', existing_type=sqlmodel.sql.sqltypes.AutoString(length=4000),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=1000), existing_nullable=False)
        batch_op.drop_column('edited_at')
