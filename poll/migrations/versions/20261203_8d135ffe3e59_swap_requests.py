"""swap requests

A role holder's "I cannot after all" for one role at one published meeting, with the solver's
candidates and what became of it (poll/swaps.py).

Revision ID: 8d135ffe3e59
Revises: c2033a474b33
Create Date: 2026-12-03 11:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8d135ffe3e59'
down_revision = 'c2033a474b33'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'swap_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('poll_id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('role_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column(
            'status',
            sa.Enum('open', 'asking', 'done', 'nobody', name='swap_status', native_enum=False, length=12),
            nullable=False,
        ),
        sa.Column('candidates', sa.JSON(), nullable=False),
        sa.Column('explanations', sa.JSON(), nullable=False),
        sa.Column('asked', sa.Integer(), nullable=True),
        sa.Column('declined', sa.JSON(), nullable=False),
        sa.Column('replacement_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_swap_requests_poll_id_polls'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_swap_requests_meeting_id_meetings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['role_id'], ['roles.id'], name=op.f('fk_swap_requests_role_id_roles'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_swap_requests_member_id_members'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_swap_requests_plan_id_plans'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['replacement_id'], ['members.id'], name=op.f('fk_swap_requests_replacement_id_members'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_swap_requests')),
    )
    op.create_index(op.f('ix_swap_requests_poll_id'), 'swap_requests', ['poll_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_swap_requests_poll_id'), table_name='swap_requests')
    op.drop_table('swap_requests')
