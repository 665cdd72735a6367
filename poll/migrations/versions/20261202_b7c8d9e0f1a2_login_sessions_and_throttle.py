"""login sessions and throttle

Coordinator accounts get a session version: every login session carries it, and raising it
(logout, a new password) ends all of them.

Revision ID: b7c8d9e0f1a2
Revises: a9b1c2d3e4f5
Create Date: 2026-12-02 19:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c8d9e0f1a2'
down_revision = 'a9b1c2d3e4f5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('coordinator_accounts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('coordinator_accounts', schema=None) as batch_op:
        batch_op.drop_column('session_version')
