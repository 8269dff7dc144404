"""item variants, prepared seeds, item pools with exam sections drawing from them, and
bulk item imports

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 14:24:06.854828
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ardoise.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('item_imports',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('organisation_id', sa.String(length=26), nullable=False),
    sa.Column('bank_id', sa.String(length=26), nullable=True),
    sa.Column('created_by', sa.String(length=26), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('skip_unsupported', sa.Boolean(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('created_at', ardoise.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', ardoise.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['bank_id'], ['item_banks.id'], name=op.f('fk_item_imports_bank_id_item_banks')),
    sa.ForeignKeyConstraint(['created_by'], ['people.id'], name=op.f('fk_item_imports_created_by_people')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_item_imports_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_imports'))
    )
    with op.batch_alter_table('item_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_imports_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_imports_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('item_pools',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('organisation_id', sa.String(length=26), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('bank_id', sa.String(length=26), nullable=True),
    sa.Column('created_by', sa.String(length=26), nullable=True),
    sa.Column('created_at', ardoise.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['item_banks.id'], name=op.f('fk_item_pools_bank_id_item_banks')),
    sa.ForeignKeyConstraint(['created_by'], ['people.id'], name=op.f('fk_item_pools_created_by_people')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_item_pools_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_pools')),
    sa.UniqueConstraint('organisation_id', 'name', name=op.f('uq_item_pools_organisation_id'))
    )
    with op.batch_alter_table('item_pools', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_pools_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('prepared_seeds',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('sitting_id', sa.String(length=26), nullable=False),
    sa.Column('student_id', sa.String(length=26), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('prepared_at', ardoise.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sitting_id'], ['sittings.id'], name=op.f('fk_prepared_seeds_sitting_id_sittings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['people.id'], name=op.f('fk_prepared_seeds_student_id_people')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prepared_seeds')),
    sa.UniqueConstraint('sitting_id', 'student_id', name=op.f('uq_prepared_seeds_sitting_id'))
    )
    with op.batch_alter_table('prepared_seeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prepared_seeds_student_id'), ['student_id'], unique=False)

    op.create_table('item_variants',
    sa.Column('item_version_id', sa.String(length=26), nullable=False),
    sa.Column('seed', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('created_at', ardoise.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_version_id'], ['item_versions.id'], name=op.f('fk_item_variants_item_version_id_item_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('item_version_id', 'seed', name=op.f('pk_item_variants'))
    )
    with op.batch_alter_table('attempt_slots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exam_position', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('variant_seed', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('variant', sa.JSON(none_as_null=True), nullable=True))
    # The questions of attempts started before this revision came from fixed items only.
    op.execute(
        "UPDATE attempt_slots SET exam_position = (SELECT exam_items.position FROM exam_items "
        "JOIN sittings ON sittings.exam_id = exam_items.exam_id "
        "JOIN attempts ON attempts.sitting_id = sittings.id "
        "WHERE attempts.id = attempt_slots.attempt_id "
        "AND exam_items.item_version_id = attempt_slots.item_version_id "
        "ORDER BY exam_items.position LIMIT 1)")

    with op.batch_alter_table('exam_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pool_id', sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column('draw_count', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('difficulty_min', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('difficulty_max', sa.Integer(), nullable=True))
        batch_op.alter_column('item_version_id',
               existing_type=sa.VARCHAR(length=26),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_exam_items_pool_id'), ['pool_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_exam_items_pool_id_item_pools'), 'item_pools', ['pool_id'], ['id'])
        batch_op.create_check_constraint('one_kind',
                                         '(item_version_id IS NULL) <> (pool_id IS NULL)')



def downgrade() -> None:
    # Sections drawing from pools have no place in the older schema.
    op.execute("DELETE FROM exam_items WHERE pool_id IS NOT NULL")
    with op.batch_alter_table('exam_items', schema=None) as batch_op:
        batch_op.drop_constraint('one_kind', type_='check')
        batch_op.drop_constraint(batch_op.f('fk_exam_items_pool_id_item_pools'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_exam_items_pool_id'))
        batch_op.alter_column('item_version_id',
               existing_type=sa.VARCHAR(length=26),
               nullable=False)
        batch_op.drop_column('difficulty_max')
        batch_op.drop_column('difficulty_min')
        batch_op.drop_column('draw_count')
        batch_op.drop_column('pool_id')

    with op.batch_alter_table('attempt_slots', schema=None) as batch_op:
        batch_op.drop_column('variant')
        batch_op.drop_column('variant_seed')
        batch_op.drop_column('exam_position')

    op.drop_table('item_variants')
    with op.batch_alter_table('prepared_seeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prepared_seeds_student_id'))

    op.drop_table('prepared_seeds')
    with op.batch_alter_table('item_pools', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_pools_organisation_id'))

    op.drop_table('item_pools')
    with op.batch_alter_table('item_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_imports_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_item_imports_created_by'))

    op.drop_table('item_imports')
