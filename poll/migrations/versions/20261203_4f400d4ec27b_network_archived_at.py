"""network archived_at

Revision ID: 4f400d4ec27b
Revises: b13e93e47db0
Create Date: 2026-12-03 04:04:27.442765

The administrator archives a network instead of deleting it: while `archived_at` is set its
members' links and calendar feeds are refused and no mail goes out for it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4f400d4ec27b'
down_revision = 'b13e93e47db0'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('networks', sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # A plain ALTER TABLE, not a batch: on SQLite a batch copies `networks` and drops the old
    # table, and with foreign keys on, that drop deletes every row of every network.
    op.drop_column('networks', 'archived_at')
