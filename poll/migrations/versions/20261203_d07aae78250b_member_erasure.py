"""member erasure

When a member's personal data was erased: the row stays, emptied, so the role history it holds
still counts for the network's fairness, and pages show "former member" instead of a name.

Revision ID: d07aae78250b
Revises: 4f400d4ec27b
Create Date: 2026-12-03 04:06:09.339937

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd07aae78250b'
down_revision = '4f400d4ec27b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # Erased rows stay erased: they keep no name, e-mail or working link, and stay inactive.
    # A plain DROP COLUMN (SQLite 3.35+): batch mode would copy and drop the members table,
    # and with foreign keys on, dropping it deletes every member's answers.
    op.drop_column('members', 'erased_at')
