"""rules versions in the database

Each applied version of the rules files (number, every file's text, who, when, why) is a row: the
database, not a folder on one host, is what every process loads its rules from (issue 14).

Revision ID: e41b7c9a0d15
Revises: a7c5e0f3d2b1
Create Date: 2026-12-02 01:30:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e41b7c9a0d15'
down_revision = 'a7c5e0f3d2b1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rules_versions',
        sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.Column('changed', sa.JSON(), nullable=False),
        sa.Column('applied_by', sa.String(length=200), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('applied_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('number', name=op.f('pk_rules_versions')),
    )


def downgrade():
    op.drop_table('rules_versions')
