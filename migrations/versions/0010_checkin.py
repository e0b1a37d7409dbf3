"""bookings: how many of the party were checked in at the gate

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # Earlier check-ins keep NULL: nobody counted them, and the reports fall
    # back to the places (or a hall's expected attendance) for those.
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attended', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_bookings_attended_in_range'),
            'attended IS NULL OR (attended > 0 AND attended <= places)',
        )


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_bookings_attended_in_range'), type_='check')
        batch_op.drop_column('attended')
