"""jobs claimed by workers

Revision ID: d4e5f6a7b8c9
Revises: c3d4e5f6a7b8
Create Date: 2026-12-02 21:45:00.000000

Solve jobs and mail batches name the process that runs them (host:pid): an app thread
(MODEPLAN_WORKERS=inline) or a `flask worker` process; a job queued for the workers has none
until one claims it. Jobs stored before were all run by the app that queued them. A solve job
keeps the language it was queued in, for the solver's explanations in whichever process runs it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e5f6a7b8c9'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None

TABLES = ('solve_jobs', 'mail_jobs')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('worker', sa.String(length=100), nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET worker = 'app'"))
    with op.batch_alter_table('solve_jobs', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('language', sa.String(length=10), server_default='da', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('solve_jobs', schema=None) as batch_op:
        batch_op.drop_column('language')
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('worker')
