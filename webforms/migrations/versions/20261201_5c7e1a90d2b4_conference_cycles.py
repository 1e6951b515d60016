"""conference cycles, announcement channels, status CHECKs

A conference's milestone runs belong to a cycle (one date); a postponement starts the next one and the
earlier runs stay. The unique key of milestone_runs becomes (conference_id, cycle, milestone). The
announcement records both channels and the reason for a late one. The status columns of conferences,
recommendations and assignments accept only their lifecycle's states.

Revision ID: 5c7e1a90d2b4
Revises: c7a1e0f3b9d2
Create Date: 2026-12-01 21:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '5c7e1a90d2b4'
down_revision = 'c7a1e0f3b9d2'
branch_labels = None
depends_on = None

# The states as they were when this migration was written (the enums may grow later, with a migration).
CONFERENCE = ('draft', 'announced', 'intake_closed', 'confirmed', 'postponement_proposed', 'held', 'concluded',
              'reported', 'cancelled')
RECOMMENDATION = ('received', 'screened_out', 'assigned', 'answered_at_conference', 'answered_in_writing')
ASSIGNMENT = ('open', 'submitted', 'sent_back', 'approved', 'returned', 'revoked')


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('posted_portal_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('posted_one_stop_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('late_announcement_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('cycle', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_check_constraint(op.f('ck_conferences_status'), _in('status', CONFERENCE))
    # An announcement recorded before the channels were: it stood for both.
    op.execute("UPDATE conferences SET posted_portal_at = announced_at, posted_one_stop_at = announced_at "
               "WHERE announced_at IS NOT NULL")
    with op.batch_alter_table('milestone_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cycle', sa.Integer(), nullable=False, server_default='1'))
        batch_op.drop_constraint('uq_milestone_runs_conference_id_milestone', type_='unique')
        batch_op.create_unique_constraint(op.f('uq_milestone_runs_conference_id_cycle_milestone'),
                                          ['conference_id', 'cycle', 'milestone'])
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_recommendations_status'), _in('status', RECOMMENDATION))
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_assignments_state'), _in('state', ASSIGNMENT))


def downgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_assignments_state'), type_='check')
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_recommendations_status'), type_='check')
    op.execute("DELETE FROM milestone_runs WHERE cycle > 1")
    with op.batch_alter_table('milestone_runs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_milestone_runs_conference_id_cycle_milestone'), type_='unique')
        batch_op.create_unique_constraint('uq_milestone_runs_conference_id_milestone', ['conference_id', 'milestone'])
        batch_op.drop_column('cycle')
    with op.batch_alter_table('conferences', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_conferences_status'), type_='check')
        batch_op.drop_column('cycle')
        batch_op.drop_column('late_announcement_reason')
        batch_op.drop_column('posted_one_stop_at')
        batch_op.drop_column('posted_portal_at')
