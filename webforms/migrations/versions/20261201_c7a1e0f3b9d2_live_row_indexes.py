"""live-row indexes for the tick

Partial indexes holding only the rows a tick still acts on: outbox rows pending or sending, and
re-submissions waiting for their confirmation. Years of finished rows stay out of both, so a steady tick
reads the same few entries whatever the history (issue 18).

Revision ID: c7a1e0f3b9d2
Revises: b32bc21ff161
Create Date: 2026-12-01 21:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c7a1e0f3b9d2'
down_revision = 'b32bc21ff161'
branch_labels = None
depends_on = None

LIVE = "status IN ('pending', 'sending')"
WAITING = "confirmed_at IS NULL AND discarded_at IS NULL"


def upgrade():
    op.create_index('ix_outbox_live', 'outbox_messages', ['status', 'id'], unique=False,
                    sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
    op.create_index('ix_resubmissions_waiting', 'resubmissions', ['submitted_at'], unique=False,
                    sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING))


def downgrade():
    op.drop_index('ix_resubmissions_waiting', table_name='resubmissions')
    op.drop_index('ix_outbox_live', table_name='outbox_messages')
