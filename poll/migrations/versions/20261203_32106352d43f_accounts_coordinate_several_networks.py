"""accounts coordinate several networks

An account may coordinate several networks and a network have several coordinators: the
account's one network_id becomes rows of network_coordinators, the existing links copied.
The downgrade keeps one network per account, the one with the lowest id.

Revision ID: 32106352d43f
Revises: c8661a369b8a
Create Date: 2026-12-03 04:06:46.481664

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '32106352d43f'
down_revision = 'c8661a369b8a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('network_coordinators',
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['coordinator_accounts.id'], name=op.f('fk_network_coordinators_account_id_coordinator_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_network_coordinators_network_id_networks'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'network_id', name=op.f('pk_network_coordinators'))
    )
    with op.batch_alter_table('network_coordinators', schema=None) as batch_op:
        batch_op.create_index('ix_network_coordinators_network_id', ['network_id'], unique=False)

    op.execute(
        sa.text(
            "INSERT INTO network_coordinators (account_id, network_id)"
            " SELECT id, network_id FROM coordinator_accounts WHERE network_id IS NOT NULL"
        )
    )
    with op.batch_alter_table('coordinator_accounts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_coordinator_accounts_network_id_networks'), type_='foreignkey')
        batch_op.drop_column('network_id')


def downgrade():
    with op.batch_alter_table('coordinator_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('network_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_coordinator_accounts_network_id_networks'), 'networks', ['network_id'], ['id'], ondelete='CASCADE')

    op.execute(
        sa.text(
            "UPDATE coordinator_accounts SET network_id = (SELECT MIN(network_id)"
            " FROM network_coordinators WHERE account_id = coordinator_accounts.id)"
        )
    )
    with op.batch_alter_table('network_coordinators', schema=None) as batch_op:
        batch_op.drop_index('ix_network_coordinators_network_id')

    op.drop_table('network_coordinators')
