"""code runs: the stored result of each queued sandbox job

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ardoise.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('code_runs',
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', ardoise.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', ardoise.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('backend', sa.String(length=16), nullable=False),
    sa.Column('spec_digest', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('result_json', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_code_runs'))
    )


def downgrade() -> None:
    op.drop_table('code_runs')
