"""one published plan per poll

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


def upgrade():
    pass


def downgrade():
    pass
