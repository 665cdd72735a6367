"""member mail language and reply-to

Each member gets mail in one language (members.language, "da" unless the member or the
coordinator chooses "en"); a mail batch remembers whom its mails answer to (the coordinator
who sent it: mail_jobs.reply_to).

Revision ID: 6b2d8e4f1a90
Revises: d07aae78250b
Create Date: 2026-12-03 07:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6b2d8e4f1a90'
down_revision = 'd07aae78250b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sa.String(length=5), server_default='da', nullable=False)
        )
    with op.batch_alter_table('mail_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to', sa.String(length=254), nullable=True))


def downgrade():
    # A plain DROP COLUMN (SQLite 3.35+): batch mode would copy and drop the tables, and with
    # foreign keys on, dropping members deletes every member's answers.
    op.drop_column('mail_jobs', 'reply_to')
    op.drop_column('members', 'language')
