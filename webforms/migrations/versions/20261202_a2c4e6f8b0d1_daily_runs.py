"""daily runs

The claim of a once-a-day job on one local day (the retention run): of two ticks at once only one does the
work (issue 16 item 11).

Revision ID: a2c4e6f8b0d1
Revises: f5d2a8c31e07
Create Date: 2026-12-02 05:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

from webforms.models.base import UTCDateTime

# revision identifiers, used by Alembic.
revision = 'a2c4e6f8b0d1'
down_revision = 'f5d2a8c31e07'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'daily_runs',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', 'day'),
    )


def downgrade():
    op.drop_table('daily_runs')
