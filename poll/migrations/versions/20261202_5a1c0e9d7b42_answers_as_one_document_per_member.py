"""answers as one document per member

A member's answers move from one `availability` row per day and venue to
`responses.answers`, {ISO date: {venue key: answer}} (the member's part of a plan instance's
availability), so that a whole poll is read as one row per member. Every stored answer is carried over (a member with answers but no response row gets
one), and the downgrade writes them back as rows.

Revision ID: 5a1c0e9d7b42
Revises: 4cd8477b2207
Create Date: 2026-12-02 07:00:00.000000

"""
from collections import defaultdict
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5a1c0e9d7b42'
down_revision = '4cd8477b2207'
branch_labels = None
depends_on = None

responses = sa.table(
    'responses',
    sa.column('id', sa.Integer),
    sa.column('poll_id', sa.Integer),
    sa.column('member_id', sa.Integer),
    sa.column('answers', sa.JSON),
    sa.column('comment', sa.Text),
    sa.column('cannot_roles', sa.JSON),
    sa.column('updated_at', sa.DateTime(timezone=True)),
)
days = sa.table(
    'candidate_days',
    sa.column('id', sa.Integer),
    sa.column('poll_id', sa.Integer),
    sa.column('day', sa.Date),
)
venues = sa.table(
    'venues', sa.column('id', sa.Integer), sa.column('network_id', sa.Integer), sa.column('key', sa.String)
)
polls = sa.table('polls', sa.column('id', sa.Integer), sa.column('network_id', sa.Integer))


availability = sa.table(
    'availability',
    sa.column('member_id', sa.Integer),
    sa.column('day_id', sa.Integer),
    sa.column('venue_id', sa.Integer),
    sa.column('value', sa.String),
)


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answers', sa.JSON(), nullable=True))

    conn = op.get_bind()
    documents: dict[tuple[int, int], dict[str, dict[str, str]]] = defaultdict(dict)
    rows = conn.execute(
        sa.select(days.c.poll_id, availability.c.member_id, days.c.day, venues.c.key, availability.c.value)
        .join(days, days.c.id == availability.c.day_id)
        .join(venues, venues.c.id == availability.c.venue_id)
    )
    for poll_id, member_id, day, venue, value in rows:
        documents[(poll_id, member_id)].setdefault(day.isoformat(), {})[venue] = value
    existing = {
        (poll_id, member_id): id_
        for id_, poll_id, member_id in conn.execute(sa.select(responses.c.id, responses.c.poll_id, responses.c.member_id))
    }
    for key, document in documents.items():
        if key in existing:
            conn.execute(responses.update().where(responses.c.id == existing[key]).values(answers=document))
        else:
            conn.execute(
                responses.insert().values(
                    poll_id=key[0], member_id=key[1], answers=document, comment='', cannot_roles=[],
                    updated_at=datetime.now(UTC),
                )
            )
    conn.execute(responses.update().where(responses.c.answers.is_(None)).values(answers={}))

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.alter_column('answers', existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table('availability', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_availability_day_id'))
    op.drop_table('availability')


def downgrade():
    op.create_table('availability',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('day_id', sa.Integer(), nullable=False),
    sa.Column('venue_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Enum('yes', 'maybe', 'no', name='answer', native_enum=False, length=8), nullable=False),
    sa.ForeignKeyConstraint(['day_id'], ['candidate_days.id'], name=op.f('fk_availability_day_id_candidate_days'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_availability_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['venue_id'], ['venues.id'], name=op.f('fk_availability_venue_id_venues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_availability')),
    sa.UniqueConstraint('member_id', 'day_id', 'venue_id', name=op.f('uq_availability_member_id_day_id_venue_id'))
    )
    with op.batch_alter_table('availability', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_availability_day_id'), ['day_id'], unique=False)

    conn = op.get_bind()
    day_ids = {(poll_id, day.isoformat()): id_ for id_, poll_id, day in conn.execute(sa.select(days.c.id, days.c.poll_id, days.c.day))}
    venue_ids = {(network_id, key): id_ for id_, network_id, key in conn.execute(sa.select(venues.c.id, venues.c.network_id, venues.c.key))}
    networks = dict(conn.execute(sa.select(polls.c.id, polls.c.network_id)).all())
    rows = [
        {'member_id': member_id, 'day_id': day_ids[(poll_id, day)], 'venue_id': venue_ids[(networks[poll_id], venue)], 'value': value}
        for poll_id, member_id, document in conn.execute(sa.select(responses.c.poll_id, responses.c.member_id, responses.c.answers))
        for day, by_venue in (document or {}).items()
        if (poll_id, day) in day_ids
        for venue, value in by_venue.items()
        if (networks[poll_id], venue) in venue_ids
    ]
    if rows:
        conn.execute(availability.insert(), rows)

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_column('answers')
