"""Cards' delivery address: the structure's (F301, F504) and each ordered card's, filled from its F301

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

ADDRESS = ("destinataire", "adresse", "code_postal", "ville")


def upgrade() -> None:
    with op.batch_alter_table('card_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivery', sa.JSON(), nullable=True))
    with op.batch_alter_table('structure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_delivery', sa.JSON(), nullable=True))
    filing = sa.table('filing', sa.column('id', sa.Integer), sa.column('form', sa.String),
                      sa.column('payload', sa.JSON))
    order = sa.table('card_order', sa.column('id', sa.Integer), sa.column('filing_id', sa.Integer),
                     sa.column('delivery', sa.JSON))
    connection = op.get_bind()
    rows = connection.execute(sa.select(order.c.id, filing.c.payload).join(filing, filing.c.id == order.c.filing_id)
                              .where(filing.c.form == 'F301')).all()
    for order_id, payload in rows:
        address = (payload or {}).get('livraison') or {}
        if any(address.get(key) for key in ADDRESS):
            connection.execute(order.update().where(order.c.id == order_id)
                               .values(delivery={key: address.get(key, '') for key in ADDRESS}))


def downgrade() -> None:
    with op.batch_alter_table('structure', schema=None) as batch_op:
        batch_op.drop_column('card_delivery')
    with op.batch_alter_table('card_order', schema=None) as batch_op:
        batch_op.drop_column('delivery')
