"""mail batches as jobs

Revision ID: c3d4e5f6a7b8
Revises: b7c8d9e0f1a2
Create Date: 2026-12-02 19:30:00.000000

Also takes the working personal and calendar links out of the mails stored before, as the app
now stores them (poll/notifications.py: markers, the member's current links put in when sent).
"""
import re
from email import message_from_bytes
from email.message import MIMEPart
from email.policy import SMTP, default

from alembic import op
import sqlalchemy as sa

# /m/<token>/<year> and /kalender/<token>.ics (or /kalender/<token>/<year>/<key>.ics)
_PERSONAL = re.compile(r"(/m/)[A-Za-z0-9_-]{20,64}(?=[/\s\"<]|$)")
_FEED = re.compile(r"(/kalender/)[A-Za-z0-9_-]{20,64}(?=[./])")


# revision identifiers, used by Alembic.
revision = 'c3d4e5f6a7b8'
down_revision = 'b7c8d9e0f1a2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('network_id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('active_network_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='job_status', native_enum=False, length=12), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('written', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_mail_jobs_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_mail_jobs_network_id_networks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_mail_jobs_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_jobs')),
    sa.UniqueConstraint('active_network_id', name=op.f('uq_mail_jobs_active_network_id'))
    )
    with op.batch_alter_table('mail_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_jobs_network_id'), ['network_id'], unique=False)

    messages = sa.table('messages', sa.column('id', sa.Integer), sa.column('raw', sa.LargeBinary))
    conn = op.get_bind()
    for row in conn.execute(sa.select(messages.c.id, messages.c.raw)).all():
        raw = _redacted(row.raw) if row.raw else None
        if raw is not None:
            conn.execute(messages.update().where(messages.c.id == row.id).values(raw=raw))


def downgrade():
    with op.batch_alter_table('mail_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_jobs_network_id'))

    op.drop_table('mail_jobs')


def _redacted(raw: bytes) -> bytes | None:
    """The stored message with its links replaced by the markers, or None if it has none."""
    message = message_from_bytes(raw, policy=default)
    changed = False
    for part in message.walk():
        if part.is_multipart() or part.get_content_maintype() != 'text':
            continue
        content = part.get_content()
        redacted = _FEED.sub(r'\1[calendar-link]', _PERSONAL.sub(r'\1[personal-link]', content))
        if redacted != content:
            params = {k: v for k, v in part.get_params()[1:] if k != 'charset'}
            MIMEPart.set_content(
                part,
                redacted,
                subtype=part.get_content_subtype(),
                cte='quoted-printable',
                disposition=part.get_content_disposition(),
                filename=part.get_filename(),
                params=params,
            )
            changed = True
    return message.as_bytes(policy=SMTP) if changed else None
