"""schools: the area (community, neighbourhood) residents search by, in both languages

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 23:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('schools') as batch_op:
        batch_op.add_column(sa.Column('area', sa.String(length=60), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('area_en', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('schools') as batch_op:
        batch_op.drop_column('area_en')
        batch_op.drop_column('area')
