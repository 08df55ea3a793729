"""The residents' register's mode limits in the database: one representative per household
(household_seat 1), at most three per residents' group (group_seat 1-3), each seat held once
among the active rows (partial unique indexes) and checked (CHECK); existing rows get their seats

Revision ID: elections_0004
Revises: elections_0003
Create Date: 2026-12-03 13:02:52.437517
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'elections_0004'
down_revision = 'elections_0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('resident_voter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('household_seat', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('group_seat', sa.Integer(), nullable=True))
    # the register so far: the service kept these limits, so every active row gets a seat
    op.execute("UPDATE resident_voter SET household_seat = 1 WHERE removed_at IS NULL AND household IS NOT NULL "
               "AND election_id IN (SELECT id FROM resident_election WHERE mode = 'households')")
    op.execute("UPDATE resident_voter SET group_seat = (SELECT COUNT(*) FROM resident_voter AS other "
               "WHERE other.election_id = resident_voter.election_id "
               "AND other.residents_group = resident_voter.residents_group "
               "AND other.removed_at IS NULL AND other.id <= resident_voter.id) "
               "WHERE removed_at IS NULL AND residents_group IS NOT NULL "
               "AND election_id IN (SELECT id FROM resident_election WHERE mode = 'groups')")
    with op.batch_alter_table('resident_voter', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'ck_resident_voter_household_seat',
            'household_seat IS NULL OR (household_seat = 1 AND household IS NOT NULL)')
        batch_op.create_check_constraint(
            'ck_resident_voter_group_seat',
            'group_seat IS NULL OR (group_seat BETWEEN 1 AND 3 AND residents_group IS NOT NULL)')
        batch_op.create_index('uix_resident_voter_group_seat', ['election_id', 'residents_group', 'group_seat'], unique=True, sqlite_where=sa.text('removed_at IS NULL AND group_seat IS NOT NULL'), postgresql_where=sa.text('removed_at IS NULL AND group_seat IS NOT NULL'))
        batch_op.create_index('uix_resident_voter_household_seat', ['election_id', 'household', 'household_seat'], unique=True, sqlite_where=sa.text('removed_at IS NULL AND household_seat IS NOT NULL'), postgresql_where=sa.text('removed_at IS NULL AND household_seat IS NOT NULL'))


def downgrade() -> None:
    with op.batch_alter_table('resident_voter', schema=None) as batch_op:
        batch_op.drop_index('uix_resident_voter_household_seat', sqlite_where=sa.text('removed_at IS NULL AND household_seat IS NOT NULL'), postgresql_where=sa.text('removed_at IS NULL AND household_seat IS NOT NULL'))
        batch_op.drop_index('uix_resident_voter_group_seat', sqlite_where=sa.text('removed_at IS NULL AND group_seat IS NOT NULL'), postgresql_where=sa.text('removed_at IS NULL AND group_seat IS NOT NULL'))
        batch_op.drop_constraint('ck_resident_voter_group_seat', type_='check')
        batch_op.drop_constraint('ck_resident_voter_household_seat', type_='check')
        batch_op.drop_column('group_seat')
        batch_op.drop_column('household_seat')

