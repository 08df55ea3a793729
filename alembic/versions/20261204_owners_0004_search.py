"""owners' matters searched by title through an index (SQLite FTS5 trigram, PostgreSQL pg_trgm)

An estate's matters were searched by title with a LIKE scan; from three characters on an
index now finds the rows, as for ideas (see consult/db/search.py).

Revision ID: owners_0004_search
Revises: owners_0004
Create Date: 2026-12-04 15:00:00.000000
"""
from alembic import op

from consult.db import search


revision = 'owners_0004_search'
down_revision = 'owners_0004'
branch_labels = None
depends_on = None

SEARCHED = ('owner_matter', ('title',))


def upgrade() -> None:
    search.add_index(op, *SEARCHED)


def downgrade() -> None:
    search.drop_index(op, *SEARCHED)
