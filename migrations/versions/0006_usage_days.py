"""daily usage figures per facility and local day, approval delays, and the watermark

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('usage_days',
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('slots', sa.Integer(), nullable=False),
    sa.Column('seconds_offered', sa.Integer(), nullable=False),
    sa.Column('places_offered', sa.Integer(), nullable=False),
    sa.Column('bookings', sa.Integer(), nullable=False),
    sa.Column('places_booked', sa.Integer(), nullable=False),
    sa.Column('checked_in', sa.Integer(), nullable=False),
    sa.Column('visitors', sa.Integer(), nullable=False),
    sa.Column('no_shows', sa.Integer(), nullable=False),
    sa.Column('cancelled_by_resident', sa.Integer(), nullable=False),
    sa.Column('cancelled_by_staff', sa.Integer(), nullable=False),
    sa.Column('cancelled_by_closure', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('expired', sa.Integer(), nullable=False),
    sa.Column('waitlist_served', sa.Integer(), nullable=False),
    sa.Column('places_at_00', sa.Integer(), nullable=False),
    sa.Column('places_at_01', sa.Integer(), nullable=False),
    sa.Column('places_at_02', sa.Integer(), nullable=False),
    sa.Column('places_at_03', sa.Integer(), nullable=False),
    sa.Column('places_at_04', sa.Integer(), nullable=False),
    sa.Column('places_at_05', sa.Integer(), nullable=False),
    sa.Column('places_at_06', sa.Integer(), nullable=False),
    sa.Column('places_at_07', sa.Integer(), nullable=False),
    sa.Column('places_at_08', sa.Integer(), nullable=False),
    sa.Column('places_at_09', sa.Integer(), nullable=False),
    sa.Column('places_at_10', sa.Integer(), nullable=False),
    sa.Column('places_at_11', sa.Integer(), nullable=False),
    sa.Column('places_at_12', sa.Integer(), nullable=False),
    sa.Column('places_at_13', sa.Integer(), nullable=False),
    sa.Column('places_at_14', sa.Integer(), nullable=False),
    sa.Column('places_at_15', sa.Integer(), nullable=False),
    sa.Column('places_at_16', sa.Integer(), nullable=False),
    sa.Column('places_at_17', sa.Integer(), nullable=False),
    sa.Column('places_at_18', sa.Integer(), nullable=False),
    sa.Column('places_at_19', sa.Integer(), nullable=False),
    sa.Column('places_at_20', sa.Integer(), nullable=False),
    sa.Column('places_at_21', sa.Integer(), nullable=False),
    sa.Column('places_at_22', sa.Integer(), nullable=False),
    sa.Column('places_at_23', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_usage_days_facility_id_facilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('facility_id', 'day', name=op.f('pk_usage_days'))
    )
    with op.batch_alter_table('usage_days', schema=None) as batch_op:
        batch_op.create_index('ix_usage_days_day', ['day'], unique=False)

    op.create_table('approval_delays',
    sa.Column('audit_event_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_approval_delays_facility_id_facilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('audit_event_id', name=op.f('pk_approval_delays'))
    )
    with op.batch_alter_table('approval_delays', schema=None) as batch_op:
        batch_op.create_index('ix_approval_delays_day_facility', ['day', 'facility_id'], unique=False)

    # The last local day the daily figures cover: none until the job first runs.
    with op.batch_alter_table('district_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('usage_days_through', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('district_settings', schema=None) as batch_op:
        batch_op.drop_column('usage_days_through')
    with op.batch_alter_table('approval_delays', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_delays_day_facility')
    op.drop_table('approval_delays')
    with op.batch_alter_table('usage_days', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_days_day')
    op.drop_table('usage_days')
