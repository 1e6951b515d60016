"""conference deadlines checked

The plan dates a conference's open deadlines were last checked against: the steady tick skips the check
while they are unchanged (issue 18).

Revision ID: c5f1a3e7d9b2
Revises: b3e9d4c1a7f2
Create Date: 2026-12-02 07:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5f1a3e7d9b2'
down_revision = 'b3e9d4c1a7f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadlines_checked', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.drop_column('deadlines_checked')
