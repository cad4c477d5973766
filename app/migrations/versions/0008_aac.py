"""compassionate access

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

The référentiel's products get their indications (each with its criteria), maximum duration, prescriber
specialties, conditions and end date; sealed documents say whether they are a deposit or a decision, their
SHA-256 and the code of their public verification page; history pages get (person, id) and
(structure, id) indexes; an agency role may carry a scope (the laboratory of a laboratory role).
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agencyrole', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                      server_default=''))
    with op.batch_alter_table('filing', schema=None) as batch_op:
        batch_op.create_index('ix_filing_filer_id_id', ['filer_id', 'id'], unique=False)
        batch_op.create_index('ix_filing_structure_id_id', ['structure_id', 'id'], unique=False)

    with op.batch_alter_table('filing_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False,
                                      server_default='depot'))
        batch_op.add_column(sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('verification_code', sqlmodel.sql.sqltypes.AutoString(length=32),
                                      nullable=True))
        batch_op.create_unique_constraint('uq_filing_document_verification_code', ['verification_code'])

    with op.batch_alter_table('referentialmedicine', schema=None) as batch_op:
        batch_op.add_column(sa.Column('indications', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('max_days', sa.Integer(), nullable=False, server_default='365'))
        batch_op.add_column(sa.Column('prescriber_specialties', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('conditions', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('therapeutic_area', sqlmodel.sql.sqltypes.AutoString(length=100),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('collects_data', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('report_summaries', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('ended_on', sa.Date(), nullable=True))

    # Products already in the référentiel: their one indication and its criteria become the first of the list.
    medicines = sa.table('referentialmedicine', sa.column('id', sa.Integer), sa.column('indication', sa.String),
                         sa.column('granting_criteria', sa.JSON), sa.column('indications', sa.JSON))
    bind = op.get_bind()
    for row in bind.execute(sa.select(medicines.c.id, medicines.c.indication, medicines.c.granting_criteria)).all():
        bind.execute(medicines.update().where(medicines.c.id == row.id).values(indications=[
            {"code": "I1", "label": row.indication or "", "status": "en_cours",
             "criteria": list(row.granting_criteria or [])}]))


def downgrade() -> None:
    with op.batch_alter_table('agencyrole', schema=None) as batch_op:
        batch_op.drop_column('scope')
    with op.batch_alter_table('filing', schema=None) as batch_op:
        batch_op.drop_index('ix_filing_structure_id_id')
        batch_op.drop_index('ix_filing_filer_id_id')

    with op.batch_alter_table('referentialmedicine', schema=None) as batch_op:
        for column in ('ended_on', 'report_summaries', 'collects_data', 'therapeutic_area', 'conditions',
                       'prescriber_specialties', 'max_days', 'indications'):
            batch_op.drop_column(column)

    with op.batch_alter_table('filing_document', schema=None) as batch_op:
        batch_op.drop_constraint('uq_filing_document_verification_code', type_='unique')
        batch_op.drop_column('verification_code')
        batch_op.drop_column('sha256')
        batch_op.drop_column('kind')
