"""outbox erased at

When a message's addresses and body were scrubbed, as a column with an index: the mail retention seeks the
messages not yet scrubbed instead of reading every old message's payload, and scrubs a bounded batch per
tick (issue 18).

Revision ID: d7a2b4c6e8f0
Revises: c5f1a3e7d9b2
Create Date: 2026-12-02 11:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

from webforms.models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'd7a2b4c6e8f0'
down_revision = 'c5f1a3e7d9b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', UTCDateTime(), nullable=True))
        batch_op.create_index('ix_outbox_unerased', ['erased_at', 'created_at'], unique=False)
    # Messages scrubbed before this revision carry the time in their payload (ISO 8601, UTC).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE outbox_messages SET erased_at = "
                   "(payload->>'erased_at')::timestamptz AT TIME ZONE 'UTC' "
                   "WHERE payload->>'erased_at' IS NOT NULL")
    else:
        op.execute("UPDATE outbox_messages SET erased_at = "
                   "datetime(json_extract(payload, '$.erased_at')) "
                   "WHERE json_extract(payload, '$.erased_at') IS NOT NULL")


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_unerased')
        batch_op.drop_column('erased_at')
