"""seat id check: when the candidate's photo ID was checked at admission, with a note

Revision ID: c4e1a9d27b3f
Revises: 77b1de942803
Create Date: 2026-12-02 02:20:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'c4e1a9d27b3f'
down_revision = '77b1de942803'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('seat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_checked_at', app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('id_check_note', sa.Text(), nullable=False, server_default=''))
        batch_op.create_check_constraint(
            batch_op.f('ck_seat_id_check_at_admission'),
            'id_checked_at IS NULL OR admitted_at IS NOT NULL',
        )


def downgrade():
    with op.batch_alter_table('seat', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_seat_id_check_at_admission'), type_='check')
        batch_op.drop_column('id_check_note')
        batch_op.drop_column('id_checked_at')
