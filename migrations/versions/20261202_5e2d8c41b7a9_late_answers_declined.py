"""late answers declined: a held answer may be declined (kept, never deleted), by someone

Revision ID: 5e2d8c41b7a9
Revises: 9b3e4f6a1c27
Create Date: 2026-12-02 05:30:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5e2d8c41b7a9'
down_revision = '9b3e4f6a1c27'
branch_labels = None
depends_on = None

# One decision column holds the outcome, so an answer can never be both accepted and declined;
# the checks below keep that column to the known outcomes and make every decision say who.
KNOWN = "decision IS NULL OR decision IN ('accepted', 'declined')"
BY = "(decision IS NULL) = (decided_by_id IS NULL)"


def upgrade():
    with op.batch_alter_table('late_answer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_late_answer_decision_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_late_answer_decision_known'), KNOWN)
        batch_op.create_check_constraint(batch_op.f('ck_late_answer_decision_by'), BY)


def downgrade():
    # a declined answer has no place in the older schema: it goes back to waiting, still kept
    op.execute(
        "UPDATE late_answer SET decision = NULL, decided_at = NULL, decided_by_id = NULL, "
        "reason = NULL WHERE decision = 'declined'"
    )
    with op.batch_alter_table('late_answer', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_late_answer_decision_by'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_late_answer_decision_known'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_late_answer_decision_known'),
            "decision IS NULL OR decision IN ('accepted')",
        )
