"""user session_version

Every staff session carries the account's session_version; logout, a password change or reset and
deactivation raise it, which ends every session opened before (issue 16, F5).

Revision ID: a7c5e0f3d2b1
Revises: db2a0f28ed35
Create Date: 2026-12-01 21:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7c5e0f3d2b1'
down_revision = 'db2a0f28ed35'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
