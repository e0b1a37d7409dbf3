"""normalise stored mobile numbers; report identities that collide

Phone numbers and ID numbers are now normalised (NFKC, then ASCII digits)
before they are checked, hashed or stored. This rewrites stored phone numbers
that were written with other digits (full-width, Arabic-Indic, ...) and
reports, without changing them, the accounts that would then share a number
and the ID numbers registered in other digits (only their keyed hash is kept,
so it cannot be recomputed: those residents re-enter their ID number).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 21:40:00

"""
import logging
import unicodedata

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def ascii_digits(raw):
    """The migration's own copy of the rule in booking.services.identity, so
    that later changes to the code cannot change what this revision did."""
    text = unicodedata.normalize("NFKC", raw or "")
    out = []
    for char in text:
        if char.isdecimal():
            out.append(str(unicodedata.decimal(char)))
        elif char not in " -":
            out.append(char.upper())
    return "".join(out)


def masked(phone):
    # Operators read this output: never a whole number.
    return f"{phone[:3]}****{phone[-4:]}"


def upgrade():
    connection = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("phone", sa.String),
        sa.column("id_number_masked", sa.String),
    )
    rows = connection.execute(sa.select(users.c.id, users.c.phone, users.c.id_number_masked)).all()
    owners = {row.phone: row.id for row in rows}
    for row in rows:
        normal = ascii_digits(row.phone)
        if normal != row.phone:
            other = owners.get(normal)
            if other is not None and other != row.id:
                log.warning(
                    "Accounts %s and %s share the mobile number %s once it is normalised; "
                    "account %s was left unchanged: merge or deactivate one of them.",
                    other, row.id, masked(normal), row.id,
                )
                continue
            connection.execute(users.update().where(users.c.id == row.id).values(phone=normal))
            owners[normal] = row.id
            log.info("Account %s: mobile number normalised to %s.", row.id, masked(normal))
        if row.id_number_masked and not row.id_number_masked.isascii():
            log.warning(
                "Account %s registered its ID number in non-ASCII digits; its keyed hash "
                "cannot be recomputed, so the same ID may hold another account: ask the "
                "resident to re-enter it.",
                row.id,
            )


def downgrade():
    # Normalised numbers stay normalised: the original spellings were never a feature.
    pass
