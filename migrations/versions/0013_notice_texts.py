"""notices: whether a text message goes out too (waitlist offers, release reminders)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 00:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notices') as batch_op:
        batch_op.add_column(sa.Column('sms_status', sa.Enum('pending', 'sent', 'failed', 'not_needed', name='smsstatus', native_enum=False, create_constraint=True, length=20), nullable=True))
        batch_op.create_index('ix_notices_sms', ['sms_status'], unique=False)


def downgrade():
    with op.batch_alter_table('notices') as batch_op:
        batch_op.drop_index('ix_notices_sms')
        batch_op.drop_constraint(op.f('ck_notices_smsstatus'), type_='check')
        batch_op.drop_column('sms_status')
