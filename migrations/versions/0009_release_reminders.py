"""reminders at release: tell a resident when a time they wait for opens

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 23:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('release_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('remind_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_release_reminders_facility_id_facilities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_release_reminders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_release_reminders')),
    sa.UniqueConstraint('user_id', 'facility_id', 'starts_at', name=op.f('uq_release_reminders_user_id_facility_id_starts_at'))
    )
    op.create_index('ix_release_reminders_due', 'release_reminders', ['sent_at', 'remind_at'], unique=False)


def downgrade():
    op.drop_index('ix_release_reminders_due', table_name='release_reminders')
    op.drop_table('release_reminders')
