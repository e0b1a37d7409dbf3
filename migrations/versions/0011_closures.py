"""closures: a note in English; why a slot was cancelled, so lifting a closure reopens its slots

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

CAUSE = sa.Enum(
    'closure', 'hours', 'withdrawn',
    name='slotcancelcause', native_enum=False, create_constraint=True, length=20,
)


def upgrade():
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note_en', sa.String(length=200), nullable=True))

    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancel_cause', CAUSE, nullable=True))

    # Slots cancelled before this revision: those a closure of their school or
    # facility covered when they were cancelled were cancelled by it, and may
    # reopen when it is lifted. The others (opening hours, a suspension) stay
    # without a cause, and so never reopen by themselves.
    op.execute(
        """
        UPDATE slots SET cancel_cause = 'closure'
        WHERE cancelled_at IS NOT NULL AND EXISTS (
            SELECT 1 FROM closures JOIN facilities ON facilities.school_id = closures.school_id
            WHERE facilities.id = slots.facility_id
              AND (closures.facility_id IS NULL OR closures.facility_id = slots.facility_id)
              AND closures.starts_at < slots.ends_at AND slots.starts_at < closures.ends_at
              AND closures.created_at <= slots.cancelled_at
        )
        """
    )


def downgrade():
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_slots_slotcancelcause'), type_='check')
        batch_op.drop_column('cancel_cause')

    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.drop_column('note_en')
