"""lost link requests

Revision ID: e7a1c3f5b9d2
Revises: d4e5f6a7b8c9
Create Date: 2026-12-02 23:00:00.000000

The start page's "lost your link?" form: each accepted request is recorded (the e-mail as a
keyed digest, the client's address, the time) so that the rate limits hold across processes.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7a1c3f5b9d2'
down_revision = 'd4e5f6a7b8c9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lost_link_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_digest', sa.String(length=64), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lost_link_requests'))
    )
    with op.batch_alter_table('lost_link_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lost_link_requests_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_lost_link_requests_email_digest'), ['email_digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_lost_link_requests_remote_addr'), ['remote_addr'], unique=False)


def downgrade():
    with op.batch_alter_table('lost_link_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lost_link_requests_remote_addr'))
        batch_op.drop_index(batch_op.f('ix_lost_link_requests_email_digest'))
        batch_op.drop_index(batch_op.f('ix_lost_link_requests_at'))
    op.drop_table('lost_link_requests')
