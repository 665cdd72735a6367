"""one published plan per poll

Two "Udgiv" clicks at the same moment could leave two published versions of one year, and
which one members saw was then a matter of chance. A partial unique index lets the database
refuse that; where it already happened, the later publication stays published and the other
becomes superseded.

Revision ID: a9b1c2d3e4f5
Revises: 5a1c0e9d7b42
Create Date: 2026-12-02 19:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9b1c2d3e4f5'
down_revision = '5a1c0e9d7b42'
branch_labels = None
depends_on = None

PUBLISHED = sa.text("status = 'published'")


def upgrade():
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, poll_id FROM plans WHERE status = 'published' "
            "ORDER BY poll_id, published_at DESC, version DESC"
        )
    ).all()
    kept: set[int] = set()
    for plan_id, poll_id in rows:
        if poll_id in kept:
            conn.execute(
                sa.text("UPDATE plans SET status = 'superseded' WHERE id = :id"), {"id": plan_id}
            )
        kept.add(poll_id)
    op.create_index(
        'uq_plans_one_published',
        'plans',
        ['poll_id'],
        unique=True,
        sqlite_where=PUBLISHED,
        postgresql_where=PUBLISHED,
    )


def downgrade():
    op.drop_index('uq_plans_one_published', table_name='plans')
