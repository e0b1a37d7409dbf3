"""notices keep their kind's parameters instead of text rendered in one language

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 22:00:00.000000

Notices written before keep their words: their subject and body move into
the parameters, and are shown as they were written.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

notices = sa.table(
    'notices',
    sa.column('id', sa.Integer),
    sa.column('kind', sa.String),
    sa.column('subject', sa.String),
    sa.column('body', sa.Text),
    sa.column('params', sa.JSON),
)


def upgrade():
    with op.batch_alter_table('notices') as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(notices.c.id, notices.c.subject, notices.c.body)).all()
    for row in rows:
        connection.execute(
            notices.update()
            .where(notices.c.id == row.id)
            .values(params={'legacy': True, 'subject': row.subject, 'body': row.body})
        )
    connection.execute(notices.update().where(notices.c.params.is_(None)).values(params={}))
    with op.batch_alter_table('notices') as batch_op:
        batch_op.alter_column('params', existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column('subject')
        batch_op.drop_column('body')


def downgrade():
    with op.batch_alter_table('notices') as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('body', sa.Text(), nullable=True))
    connection = op.get_bind()
    for row in connection.execute(sa.select(notices.c.id, notices.c.kind, notices.c.params)).all():
        params = row.params or {}
        connection.execute(
            notices.update()
            .where(notices.c.id == row.id)
            .values(subject=str(params.get('subject', row.kind))[:200], body=str(params.get('body', '')))
        )
    with op.batch_alter_table('notices') as batch_op:
        batch_op.alter_column('subject', existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column('body', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('params')

