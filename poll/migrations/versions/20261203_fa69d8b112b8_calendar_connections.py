"""calendar connections and busy flags

A member may keep their calendar connected (calendar_connections: the source encrypted, a
masked label); what a calendar said of each candidate day is kept as a flag (busy_flags:
busy, partly or free), nothing else of the calendar.

Revision ID: fa69d8b112b8
Revises: 5d5dd3da1980
Create Date: 2026-12-03 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'fa69d8b112b8'
down_revision = "5d5dd3da1980"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('masked', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failure', sa.String(length=40), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_calendar_connections_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_connections')),
    sa.UniqueConstraint('member_id', name=op.f('uq_calendar_connections_member_id'))
    )
    op.create_table('busy_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_busy_flags_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_busy_flags_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_busy_flags')),
    sa.UniqueConstraint('member_id', 'poll_id', 'day', name=op.f('uq_busy_flags_member_id_poll_id_day'))
    )
    with op.batch_alter_table('busy_flags', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_busy_flags_poll_id'), ['poll_id'], unique=False)


def downgrade():
    with op.batch_alter_table('busy_flags', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_busy_flags_poll_id'))
    op.drop_table('busy_flags')
    op.drop_table('calendar_connections')
