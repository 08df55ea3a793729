"""The points club (积分制): clubs, members, activities, attendance, the append-only ledger, prizes, redemption days; a branch of its own

The ledger's entries and transfers are append-only: triggers refuse UPDATE and DELETE
on ``points_entry`` and ``points_transfer`` (a correction is a new, reversing transfer).

Revision ID: points_0001
Revises: 0001
Create Date: 2026-12-03 06:31:39.076738
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = 'points_0001'
down_revision = '0001'
branch_labels = ('points',)
depends_on = None


def upgrade() -> None:
    op.create_table('points_club',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('rules_text', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('place_id')
    )
    op.create_table('points_activity',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('starts_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ends_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('venue', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('organiser', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('checkin_code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('cancelled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name='ck_points_activity_capacity'),
    sa.CheckConstraint('ends_at > starts_at', name='ck_points_activity_times'),
    sa.ForeignKeyConstraint(['club_id'], ['points_club.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('points_activity', schema=None) as batch_op:
        batch_op.create_index('ix_points_activity_club_starts', ['club_id', 'starts_at'], unique=False)

    op.create_table('points_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('opens_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closes_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('released_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.CheckConstraint('closes_at > opens_at', name='ck_points_day_times'),
    sa.ForeignKeyConstraint(['club_id'], ['points_club.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('points_day', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_day_club_id'), ['club_id'], unique=False)

    op.create_table('points_earning_rule',
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('per_attendance', sa.Integer(), nullable=False),
    sa.Column('per_hour', sa.Integer(), nullable=False),
    sa.CheckConstraint('per_attendance >= 0 AND per_hour >= 0', name='ck_points_rule_positive'),
    sa.ForeignKeyConstraint(['club_id'], ['points_club.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('club_id', 'kind')
    )
    op.create_table('points_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('card_code', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('joined_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('joined_by', sa.Integer(), nullable=True),
    sa.Column('proxy_user_id', sa.Integer(), nullable=True),
    sa.Column('ranking_opt_in', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['club_id'], ['points_club.id'], ),
    sa.ForeignKeyConstraint(['joined_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['proxy_user_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('club_id', 'card_code'),
    sa.UniqueConstraint('club_id', 'user_id')
    )
    with op.batch_alter_table('points_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_member_club_id'), ['club_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_member_proxy_user_id'), ['proxy_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_member_user_id'), ['user_id'], unique=False)

    op.create_table('points_prize',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('stock', sa.Integer(), nullable=False),
    sa.CheckConstraint('price > 0', name='ck_points_prize_price'),
    sa.CheckConstraint('stock >= 0', name='ck_points_prize_stock'),
    sa.ForeignKeyConstraint(['club_id'], ['points_club.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('points_prize', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_prize_club_id'), ['club_id'], unique=False)

    op.create_table('points_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('balance', sa.Integer(), nullable=False),
    sa.CheckConstraint("(kind = 'member') = (member_id IS NOT NULL)", name='ck_points_account_member'),
    sa.CheckConstraint('balance >= 0', name='ck_points_account_balance'),
    sa.ForeignKeyConstraint(['club_id'], ['points_club.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['points_member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('member_id')
    )
    with op.batch_alter_table('points_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_account_club_id'), ['club_id'], unique=False)

    op.create_table('points_approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('approved_by', sa.Integer(), nullable=False),
    sa.Column('approved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('sheet_photo', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['points_activity.id'], ),
    sa.ForeignKeyConstraint(['approved_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('points_approval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_approval_activity_id'), ['activity_id'], unique=False)

    op.create_table('points_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('prize_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('ordered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ordered_by', sa.Integer(), nullable=True),
    sa.Column('collected_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('collected_by', sa.Integer(), nullable=True),
    sa.Column('collected_via', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.CheckConstraint('quantity > 0', name='ck_points_order_quantity'),
    sa.ForeignKeyConstraint(['collected_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['day_id'], ['points_day.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['points_member.id'], ),
    sa.ForeignKeyConstraint(['ordered_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['prize_id'], ['points_prize.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('points_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_order_day_id'), ['day_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_order_member_id'), ['member_id'], unique=False)

    op.create_table('points_signup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('entered_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['points_activity.id'], ),
    sa.ForeignKeyConstraint(['entered_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['points_member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('activity_id', 'member_id')
    )
    with op.batch_alter_table('points_signup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_signup_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_signup_member_id'), ['member_id'], unique=False)

    op.create_table('points_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('approval_id', sa.Integer(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.CheckConstraint('minutes >= 0', name='ck_points_attendance_minutes'),
    sa.ForeignKeyConstraint(['activity_id'], ['points_activity.id'], ),
    sa.ForeignKeyConstraint(['approval_id'], ['points_approval.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['points_member.id'], ),
    sa.ForeignKeyConstraint(['recorded_by'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('activity_id', 'member_id')
    )
    with op.batch_alter_table('points_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_attendance_activity_id'), ['activity_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_attendance_member_id'), ['member_id'], unique=False)

    op.create_table('points_stock_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prize_id', sa.Integer(), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('by', sa.Integer(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['points_order.id'], ),
    sa.ForeignKeyConstraint(['prize_id'], ['points_prize.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('points_stock_move', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_stock_move_prize_id'), ['prize_id'], unique=False)

    op.create_table('points_transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('memo', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('attendance_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['approved_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['attendance_id'], ['points_attendance.id'], ),
    sa.ForeignKeyConstraint(['club_id'], ['points_club.id'], ),
    sa.ForeignKeyConstraint(['created_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['order_id'], ['points_order.id'], ),
    sa.ForeignKeyConstraint(['reverses_id'], ['points_transfer.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('attendance_id'),
    sa.UniqueConstraint('reverses_id')
    )
    with op.batch_alter_table('points_transfer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_transfer_club_id'), ['club_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_transfer_order_id'), ['order_id'], unique=False)

    op.create_table('points_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('club_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=False),
    sa.Column('proposed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('transfer_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount <> 0', name='ck_points_correction_amount'),
    sa.ForeignKeyConstraint(['club_id'], ['points_club.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['points_member.id'], ),
    sa.ForeignKeyConstraint(['proposed_by'], ['user.id'], ),
    sa.ForeignKeyConstraint(['reverses_id'], ['points_transfer.id'], ),
    sa.ForeignKeyConstraint(['transfer_id'], ['points_transfer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('points_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_correction_club_id'), ['club_id'], unique=False)

    op.create_table('points_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount <> 0', name='ck_points_entry_amount'),
    sa.ForeignKeyConstraint(['account_id'], ['points_account.id'], ),
    sa.ForeignKeyConstraint(['transfer_id'], ['points_transfer.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('points_entry', schema=None) as batch_op:
        batch_op.create_index('ix_points_entry_account_amount', ['account_id', 'amount'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entry_transfer_id'), ['transfer_id'], unique=False)

    _append_only()


APPEND_ONLY = ("points_entry", "points_transfer")


def _append_only() -> None:
    """Entries and transfers are never changed or deleted, whoever connects."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION points_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'the points ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql""")
        for table in APPEND_ONLY:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION points_append_only()")
    else:
        for table in APPEND_ONLY:
            for verb in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                           "BEGIN SELECT RAISE(ABORT, 'the points ledger is append-only'); END")


def _drop_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION points_append_only()")
    else:
        for table in APPEND_ONLY:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{verb}")


def downgrade() -> None:
    _drop_append_only()
    with op.batch_alter_table('points_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_entry_transfer_id'))
        batch_op.drop_index('ix_points_entry_account_amount')

    op.drop_table('points_entry')
    with op.batch_alter_table('points_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_correction_club_id'))

    op.drop_table('points_correction')
    with op.batch_alter_table('points_transfer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_transfer_order_id'))
        batch_op.drop_index(batch_op.f('ix_points_transfer_club_id'))

    op.drop_table('points_transfer')
    with op.batch_alter_table('points_stock_move', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_stock_move_prize_id'))

    op.drop_table('points_stock_move')
    with op.batch_alter_table('points_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_attendance_member_id'))
        batch_op.drop_index(batch_op.f('ix_points_attendance_activity_id'))

    op.drop_table('points_attendance')
    with op.batch_alter_table('points_signup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_signup_member_id'))
        batch_op.drop_index(batch_op.f('ix_points_signup_activity_id'))

    op.drop_table('points_signup')
    with op.batch_alter_table('points_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_order_member_id'))
        batch_op.drop_index(batch_op.f('ix_points_order_day_id'))

    op.drop_table('points_order')
    with op.batch_alter_table('points_approval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_approval_activity_id'))

    op.drop_table('points_approval')
    with op.batch_alter_table('points_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_account_club_id'))

    op.drop_table('points_account')
    with op.batch_alter_table('points_prize', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_prize_club_id'))

    op.drop_table('points_prize')
    with op.batch_alter_table('points_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_member_user_id'))
        batch_op.drop_index(batch_op.f('ix_points_member_proxy_user_id'))
        batch_op.drop_index(batch_op.f('ix_points_member_club_id'))

    op.drop_table('points_member')
    op.drop_table('points_earning_rule')
    with op.batch_alter_table('points_day', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_day_club_id'))

    op.drop_table('points_day')
    with op.batch_alter_table('points_activity', schema=None) as batch_op:
        batch_op.drop_index('ix_points_activity_club_starts')

    op.drop_table('points_activity')
    op.drop_table('points_club')
