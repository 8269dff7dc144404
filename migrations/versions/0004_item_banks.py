"""item banks and item metadata: banks (confidential or not) and their members; each item's
bank, source identifier, review status, subject, level, competency, difficulty, licence
and tags

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ardoise.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('item_banks',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('organisation_id', sa.String(length=26), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=26), nullable=True),
    sa.Column('created_at', ardoise.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['people.id'],
                            name=op.f('fk_item_banks_created_by_people')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'],
                            name=op.f('fk_item_banks_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_banks')),
    sa.UniqueConstraint('organisation_id', 'name',
                        name=op.f('uq_item_banks_organisation_id'))
    )
    op.create_index(op.f('ix_item_banks_organisation_id'), 'item_banks', ['organisation_id'])
    op.create_table('bank_members',
    sa.Column('bank_id', sa.String(length=26), nullable=False),
    sa.Column('person_id', sa.String(length=26), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['item_banks.id'],
                            name=op.f('fk_bank_members_bank_id_item_banks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'],
                            name=op.f('fk_bank_members_person_id_people')),
    sa.PrimaryKeyConstraint('bank_id', 'person_id', 'role', name=op.f('pk_bank_members'))
    )
    op.create_index(op.f('ix_bank_members_person_id'), 'bank_members', ['person_id'])
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bank_id', sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column('source_id', sa.String(length=200), nullable=True))
        # Items written before this revision were already in use: they count as published.
        batch_op.add_column(sa.Column('status', sa.String(length=20), nullable=False,
                                      server_default='published'))
        batch_op.add_column(sa.Column('subject', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('level', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('competency', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('difficulty', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('licence', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('tags', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('reviewed_by', sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', ardoise.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_items_bank_id'), ['bank_id'])
        batch_op.create_index('ix_items_bank_source', ['bank_id', 'source_id'], unique=True)
        batch_op.create_foreign_key(batch_op.f('fk_items_bank_id_item_banks'), 'item_banks',
                                    ['bank_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_items_reviewed_by_people'), 'people',
                                    ['reviewed_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_items_reviewed_by_people'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_items_bank_id_item_banks'), type_='foreignkey')
        batch_op.drop_index('ix_items_bank_source')
        batch_op.drop_index(batch_op.f('ix_items_bank_id'))
        for column in ('reviewed_at', 'reviewed_by', 'tags', 'licence', 'difficulty',
                       'competency', 'level', 'subject', 'status', 'source_id', 'bank_id'):
            batch_op.drop_column(column)
    op.drop_index(op.f('ix_bank_members_person_id'), table_name='bank_members')
    op.drop_table('bank_members')
    op.drop_index(op.f('ix_item_banks_organisation_id'), table_name='item_banks')
    op.drop_table('item_banks')
