"""English beside Chinese for addresses, descriptions and entrance notes; the
privacy notice, versioned, and the version each resident accepted

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 22:40:00.000000

"""
from alembic import op
import sqlalchemy as sa



revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('schools') as batch_op:
        batch_op.add_column(sa.Column('address_en', sa.String(length=300), nullable=True))
    with op.batch_alter_table('facilities') as batch_op:
        batch_op.add_column(sa.Column('description_en', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('entrance_notes_en', sa.Text(), nullable=True))
    op.create_table('privacy_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_en', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('version >= 2', name=op.f('ck_privacy_notices_version_after_builtin')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_privacy_notices_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_notices')),
    sa.UniqueConstraint('version', name=op.f('uq_privacy_notices_version'))
    )
    with op.batch_alter_table('users') as batch_op:
        batch_op.add_column(sa.Column('privacy_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('privacy_accepted_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('privacy_accepted_at')
        batch_op.drop_column('privacy_version')
    op.drop_table('privacy_notices')
    with op.batch_alter_table('facilities') as batch_op:
        batch_op.drop_column('entrance_notes_en')
        batch_op.drop_column('description_en')
    with op.batch_alter_table('schools') as batch_op:
        batch_op.drop_column('address_en')
