"""bank uploads awaiting confirmation; the parts a seat sits

Revision ID: c4e1b7a9d214
Revises: c4e1a9d27b3f
Create Date: 2026-12-02 02:20:00

"""
from alembic import op
import sqlalchemy as sa

import app.models.base


# revision identifiers, used by Alembic.
revision = 'c4e1b7a9d214'
down_revision = 'c4e1a9d27b3f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bank_upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=4), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('toml', 'zip')", name=op.f('ck_bank_upload_kind_known')),
    sa.ForeignKeyConstraint(['coordinator_id'], ['user.id'], name=op.f('fk_bank_upload_coordinator_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_upload')),
    sa.UniqueConstraint('token', name=op.f('uq_bank_upload_token'))
    )
    with op.batch_alter_table('seat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parts', sa.String(length=16), server_default='MC VIGNETTE', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_seat_parts_known'), "parts IN ('MC VIGNETTE', 'MC', 'VIGNETTE')")


def downgrade():
    with op.batch_alter_table('seat', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_seat_parts_known'), type_='check')
        batch_op.drop_column('parts')
    op.drop_table('bank_upload')
