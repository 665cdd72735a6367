"""password reset requests

"Forgot your password?" on the login page: each accepted request is recorded (the e-mail as a
keyed digest, the client's address, the time) so that its rate limits hold across processes.

Revision ID: b13e93e47db0
Revises: 32106352d43f
Create Date: 2026-12-03 04:07:01.524792

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b13e93e47db0'
down_revision = '32106352d43f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('password_reset_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_digest', sa.String(length=64), nullable=False),
    sa.Column('remote_addr', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_reset_requests'))
    )
    with op.batch_alter_table('password_reset_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_requests_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_password_reset_requests_email_digest'), ['email_digest'], unique=False)
        batch_op.create_index(batch_op.f('ix_password_reset_requests_remote_addr'), ['remote_addr'], unique=False)


def downgrade():
    with op.batch_alter_table('password_reset_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_requests_remote_addr'))
        batch_op.drop_index(batch_op.f('ix_password_reset_requests_email_digest'))
        batch_op.drop_index(batch_op.f('ix_password_reset_requests_at'))

    op.drop_table('password_reset_requests')
