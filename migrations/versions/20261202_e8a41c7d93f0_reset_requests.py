"""reset requests: Forgot password? requests per address, kept briefly for the limit

Revision ID: e8a41c7d93f0
Revises: 5e2d8c41b7a9
Create Date: 2026-12-02 05:40:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'e8a41c7d93f0'
down_revision = '5e2d8c41b7a9'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reset_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reset_request'))
    )
    with op.batch_alter_table('reset_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reset_request_address'), ['address'], unique=False)
        batch_op.create_index(batch_op.f('ix_reset_request_at'), ['at'], unique=False)


def downgrade():
    with op.batch_alter_table('reset_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reset_request_at'))
        batch_op.drop_index(batch_op.f('ix_reset_request_address'))

    op.drop_table('reset_request')
