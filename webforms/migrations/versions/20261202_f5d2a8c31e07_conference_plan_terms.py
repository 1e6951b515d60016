"""conference plan terms

A conference keeps the plan it was announced under: the rules version's number and its offsets and
quorum, recorded at announcement (issue 14 item 4).

Revision ID: f5d2a8c31e07
Revises: e41b7c9a0d15
Create Date: 2026-12-02 01:50:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f5d2a8c31e07'
down_revision = 'e41b7c9a0d15'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rules_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('plan_terms', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.drop_column('plan_terms')
        batch_op.drop_column('rules_version')
