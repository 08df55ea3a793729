"""Delivery: projects, budget entries, 共筹 pledges, milestones, acceptance, ratings, the register's checks and repairs, on a branch of their own

Revision ID: delivery_0001
Revises: 0001
Create Date: 2026-12-03 06:40:37.538098
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'delivery_0001'
down_revision = '0001'
branch_labels = ('delivery',)
depends_on = None


def upgrade() -> None:
    op.create_table('delivery_project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=True),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('consultation_id', sa.Integer(), nullable=True),
    sa.Column('proposer_id', sa.Integer(), nullable=True),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('budget_fen', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('delivery_party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('delivery_unit', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('upkeep_party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('upkeep_unit', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('contact_name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('contact_phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('meeting_on', sa.Date(), nullable=True),
    sa.Column('meeting_record', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('public_appeal', sa.Boolean(), nullable=False),
    sa.Column('appeal_partner', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('check_interval_days', sa.Integer(), nullable=False),
    sa.Column('next_check_due', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['place.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], ),
    sa.ForeignKeyConstraint(['proposer_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idea_id')
    )
    with op.batch_alter_table('delivery_project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_project_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_project_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_project_next_check_due'), ['next_check_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_project_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_project_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_project_state'), ['state'], unique=False)

    op.create_table('delivery_budget_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['delivery_project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_budget_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_budget_line_project_id'), ['project_id'], unique=False)

    op.create_table('delivery_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('checker_id', sa.Integer(), nullable=True),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('repair_id', sa.Integer(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['checker_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['delivery_project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_check_project_id'), ['project_id'], unique=False)

    op.create_table('delivery_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['delivery_project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_event_project_id'), ['project_id'], unique=False)

    op.create_table('delivery_milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('phase', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['delivery_project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_milestone_project_id'), ['project_id'], unique=False)

    op.create_table('delivery_pledge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('pledger_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('pledger_name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Boolean(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('show_name', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('received >= 0 AND received <= quantity', name='ck_pledge_received'),
    sa.CheckConstraint('used >= 0 AND used <= received', name='ck_pledge_used'),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['delivery_project.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_pledge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_pledge_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_pledge_user_id'), ['user_id'], unique=False)

    op.create_table('delivery_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('wave', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('card', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('entered_by', sa.Integer(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('stars BETWEEN 1 AND 5', name='ck_delivery_rating_stars'),
    sa.ForeignKeyConstraint(['entered_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['delivery_project.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'wave', 'card', name='uq_delivery_rating_card'),
    sa.UniqueConstraint('project_id', 'wave', 'user_id', name='uq_delivery_rating_user')
    )
    with op.batch_alter_table('delivery_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_rating_project_id'), ['project_id'], unique=False)

    op.create_table('delivery_signoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('capacity', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('record_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['delivery_project.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'capacity')
    )
    with op.batch_alter_table('delivery_signoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_signoff_project_id'), ['project_id'], unique=False)

    op.create_table('delivery_budget_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['line_id'], ['delivery_budget_line.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['delivery_project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_budget_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_budget_entry_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_budget_entry_project_id'), ['project_id'], unique=False)

    op.create_table('delivery_check_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('item', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['check_id'], ['delivery_check.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_check_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_check_item_check_id'), ['check_id'], unique=False)

    op.create_table('delivery_pledge_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('receipt', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('receipt_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['pledge_id'], ['delivery_pledge.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_pledge_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_pledge_entry_pledge_id'), ['pledge_id'], unique=False)

    op.create_table('delivery_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('milestone_id', sa.Integer(), nullable=True),
    sa.Column('check_item_id', sa.Integer(), nullable=True),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['check_item_id'], ['delivery_check_item.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['milestone_id'], ['delivery_milestone.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['delivery_project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_photo_check_item_id'), ['check_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_photo_milestone_id'), ['milestone_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_photo_project_id'), ['project_id'], unique=False)

    op.create_table('delivery_repair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('check_item_id', sa.Integer(), nullable=False),
    sa.Column('item', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
    sa.Column('party', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('opened_by', sa.Integer(), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['check_item_id'], ['delivery_check_item.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['closed_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['opened_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['delivery_project.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_repair', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_repair_open', ['state', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_repair_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('delivery_repair', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_repair_project_id'))
        batch_op.drop_index('ix_delivery_repair_open')

    op.drop_table('delivery_repair')
    with op.batch_alter_table('delivery_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_photo_project_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_photo_milestone_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_photo_check_item_id'))

    op.drop_table('delivery_photo')
    with op.batch_alter_table('delivery_pledge_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_pledge_entry_pledge_id'))

    op.drop_table('delivery_pledge_entry')
    with op.batch_alter_table('delivery_check_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_check_item_check_id'))

    op.drop_table('delivery_check_item')
    with op.batch_alter_table('delivery_budget_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_budget_entry_project_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_budget_entry_line_id'))

    op.drop_table('delivery_budget_entry')
    with op.batch_alter_table('delivery_signoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_signoff_project_id'))

    op.drop_table('delivery_signoff')
    with op.batch_alter_table('delivery_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_rating_project_id'))

    op.drop_table('delivery_rating')
    with op.batch_alter_table('delivery_pledge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_pledge_user_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_pledge_project_id'))

    op.drop_table('delivery_pledge')
    with op.batch_alter_table('delivery_milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_milestone_project_id'))

    op.drop_table('delivery_milestone')
    with op.batch_alter_table('delivery_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_event_project_id'))

    op.drop_table('delivery_event')
    with op.batch_alter_table('delivery_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_check_project_id'))

    op.drop_table('delivery_check')
    with op.batch_alter_table('delivery_budget_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_budget_line_project_id'))

    op.drop_table('delivery_budget_line')
    with op.batch_alter_table('delivery_project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_project_state'))
        batch_op.drop_index(batch_op.f('ix_delivery_project_round_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_project_place_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_project_next_check_due'))
        batch_op.drop_index(batch_op.f('ix_delivery_project_consultation_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_project_area_id'))

    op.drop_table('delivery_project')
