"""contact confirmation and held receipts

A registration records when its contact showed the address is theirs (mails to an unconfirmed address
repeat nothing the submitter typed) and when its receipt went out or was held back by the per-address
daily limit (issue 16, F8 and F17).

Revision ID: b3e9d4c1a7f2
Revises: a2c4e6f8b0d1
Create Date: 2026-12-02 05:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

from webforms.models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'b3e9d4c1a7f2'
down_revision = 'a2c4e6f8b0d1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_confirmed_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('receipt_sent_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('receipt_held_at', UTCDateTime(), nullable=True))
        batch_op.create_index('ix_registrations_receipt_sent_at', ['receipt_sent_at'], unique=False)
        batch_op.create_index('ix_registrations_receipt_held', ['receipt_held_at'], unique=False,
                              sqlite_where=sa.text('receipt_held_at IS NOT NULL'),
                              postgresql_where=sa.text('receipt_held_at IS NOT NULL'))
    # Receipts sent before this revision: at registration.
    op.execute("UPDATE registrations SET receipt_sent_at = registered_at")


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_registrations_receipt_held')
        batch_op.drop_index('ix_registrations_receipt_sent_at')
        batch_op.drop_column('receipt_held_at')
        batch_op.drop_column('receipt_sent_at')
        batch_op.drop_column('contact_confirmed_at')
