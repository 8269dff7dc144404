"""manual marks: points and a comment a person awards to a manually graded answer

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ardoise.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attempt_slots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manual', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('mark_comment', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('marked_by', sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column('marked_at', ardoise.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_attempt_slots_marked_by_people'), 'people',
                                    ['marked_by'], ['id'])
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('awaiting_marks', sa.Integer(), server_default='0',
                                      nullable=False))
    # Before this revision, grading left a manually graded answer with a maximum and no points.
    op.execute("UPDATE attempt_slots SET manual = true "
               "WHERE points IS NULL AND max_points IS NOT NULL")
    op.execute("UPDATE attempts SET awaiting_marks = (SELECT count(*) FROM attempt_slots "
               "WHERE attempt_slots.attempt_id = attempts.id AND attempt_slots.manual = true) "
               "WHERE graded_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('awaiting_marks')
    with op.batch_alter_table('attempt_slots', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attempt_slots_marked_by_people'),
                                 type_='foreignkey')
        batch_op.drop_column('marked_at')
        batch_op.drop_column('marked_by')
        batch_op.drop_column('mark_comment')
        batch_op.drop_column('manual')
