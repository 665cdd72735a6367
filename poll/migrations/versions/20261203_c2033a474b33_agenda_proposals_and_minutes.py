"""agenda proposals and meeting minutes

Members propose agenda items for a published meeting (agenda_proposals: title, a few lines,
pending / taken / declined with a reason); a meeting has at most one set of minutes
(meeting_minutes: text and/or one PDF or DOCX file, stored with its type, name and size).

Revision ID: c2033a474b33
Revises: 6b2d8e4f1a90
Create Date: 2026-12-03 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c2033a474b33'
down_revision = '6b2d8e4f1a90'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'agenda_proposals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('details', sa.Text(), nullable=False),
        sa.Column(
            'status',
            sa.Enum('pending', 'taken', 'declined', name='proposal_status', native_enum=False,
                    length=12),
            nullable=False,
        ),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['meeting_id'], ['meetings.id'],
            name=op.f('fk_agenda_proposals_meeting_id_meetings'), ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['member_id'], ['members.id'],
            name=op.f('fk_agenda_proposals_member_id_members'), ondelete='SET NULL',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_proposals')),
    )
    with op.batch_alter_table('agenda_proposals', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_agenda_proposals_meeting_id'), ['meeting_id'], unique=False
        )
        batch_op.create_index(
            batch_op.f('ix_agenda_proposals_member_id'), ['member_id'], unique=False
        )
    op.create_table(
        'meeting_minutes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('file_data', sa.LargeBinary(), nullable=True),
        sa.Column('file_type', sa.String(length=100), nullable=True),
        sa.Column('file_name', sa.String(length=200), nullable=True),
        sa.Column('file_size', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ['meeting_id'], ['meetings.id'],
            name=op.f('fk_meeting_minutes_meeting_id_meetings'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_minutes')),
        sa.UniqueConstraint('meeting_id', name=op.f('uq_meeting_minutes_meeting_id')),
    )


def downgrade():
    op.drop_table('meeting_minutes')
    with op.batch_alter_table('agenda_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_proposals_member_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_proposals_meeting_id'))
    op.drop_table('agenda_proposals')
