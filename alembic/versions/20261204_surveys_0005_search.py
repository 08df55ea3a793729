"""surveys searched by title through an index (SQLite FTS5 trigram, PostgreSQL pg_trgm)

The survey list's search by title used a LIKE scan; from three characters on an index
now finds the rows, as for ideas (see consult/db/search.py).

Revision ID: surveys_0005_search
Revises: surveys_0004_subject_project
Create Date: 2026-12-04 15:00:00.000000
"""
from alembic import op

from consult.db import search


revision = 'surveys_0005_search'
down_revision = 'surveys_0004_subject_project'
branch_labels = None
depends_on = None

SEARCHED = ('survey', ('title',))


def upgrade() -> None:
    search.add_index(op, *SEARCHED)


def downgrade() -> None:
    search.drop_index(op, *SEARCHED)
