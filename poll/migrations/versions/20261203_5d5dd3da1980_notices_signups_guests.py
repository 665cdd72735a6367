"""meeting notices, sign-up and guests

Networks get notice_days (14) and signup_deadline_days (3); meeting_notices records each notice
round that went out (once per meeting and kind); guests are people invited to one meeting;
signups hold members' and guests' "coming or not" with dietary needs; messages may be to a
guest (messages.guest_id).

Revision ID: 5d5dd3da1980
Revises: 8d135ffe3e59
Create Date: 2026-12-03 11:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d5dd3da1980'
down_revision = "8d135ffe3e59"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('networks', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('notice_days', sa.Integer(), server_default='14', nullable=False)
        )
        batch_op.add_column(
            sa.Column('signup_deadline_days', sa.Integer(), server_default='3', nullable=False)
        )
    op.create_table(
        'meeting_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_notices_meeting_id_meetings'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_notices')),
        sa.UniqueConstraint('meeting_id', 'kind', name=op.f('uq_meeting_notices_meeting_id_kind')),
    )
    op.create_table(
        'guests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('organisation', sa.String(length=200), nullable=False),
        sa.Column('token_salt', sa.String(length=32), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_guests_meeting_id_meetings'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_guests')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_guests_token_hash')),
    )
    op.create_index('ix_guests_meeting_id', 'guests', ['meeting_id'])
    op.create_table(
        'signups',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('guest_id', sa.Integer(), nullable=True),
        sa.Column('coming', sa.Boolean(), nullable=False),
        sa.Column('dietary', sa.String(length=200), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('(member_id IS NULL) <> (guest_id IS NULL)', name=op.f('ck_signups_member_or_guest')),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_signups_meeting_id_meetings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_signups_member_id_members'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['guest_id'], ['guests.id'], name=op.f('fk_signups_guest_id_guests'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signups')),
        sa.UniqueConstraint('meeting_id', 'member_id', name=op.f('uq_signups_meeting_id_member_id')),
        sa.UniqueConstraint('guest_id', name=op.f('uq_signups_guest_id')),
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guest_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f('fk_messages_guest_id_guests'), 'guests', ['guest_id'], ['id'], ondelete='SET NULL'
        )


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_messages_guest_id_guests'), type_='foreignkey')
        batch_op.drop_column('guest_id')
    op.drop_table('signups')
    op.drop_index('ix_guests_meeting_id', table_name='guests')
    op.drop_table('guests')
    op.drop_table('meeting_notices')
    op.drop_column('networks', 'signup_deadline_days')
    op.drop_column('networks', 'notice_days')
