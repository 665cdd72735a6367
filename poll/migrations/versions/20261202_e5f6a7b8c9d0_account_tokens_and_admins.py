"""account tokens and admins

One-time links for accounts (set a password), stored as a SHA-256 of the token with a purpose,
an expiry and when it was used. An account may be a site administrator, and an administrator
needs no network, so an account's network becomes optional.

Revision ID: e5f6a7b8c9d0
Revises: e7a1c3f5b9d2
Create Date: 2026-12-02 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5f6a7b8c9d0'
down_revision = 'e7a1c3f5b9d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['coordinator_accounts.id'], name=op.f('fk_account_tokens_account_id_coordinator_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash'))
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_tokens_account_id'), ['account_id'], unique=False)

    with op.batch_alter_table('coordinator_accounts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('is_admin', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.alter_column('network_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    # Administrators without a network cannot survive a required network.
    op.execute(sa.text("DELETE FROM coordinator_accounts WHERE network_id IS NULL"))
    with op.batch_alter_table('coordinator_accounts', schema=None) as batch_op:
        batch_op.alter_column('network_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('is_admin')

    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_tokens_account_id'))
    op.drop_table('account_tokens')
