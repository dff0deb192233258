"""Failure-aware runs: the territory's objective and repair setting, estimated chances, repaired proposals

``territory_workflow.objective`` (``points`` or ``expected``) is what a run maximises and
``territory_workflow.repair`` (on by default) whether a failed proposal is repaired at once.
``proposal.chance`` and ``proposal_move.chance`` are the estimated chances stored with a proposal
(null before this revision), ``proposal.expected_points`` its expected points, and
``proposal.repairs_id`` the failed proposal a repair comes from.

Revision ID: 0006_failure_aware
Revises: 0005_sessions_sign_in
Create Date: 2026-12-05 12:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006_failure_aware"
down_revision: str | Sequence[str] | None = "0005_sessions_sign_in"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the settings, the chances and the link to the repaired proposal."""
    with op.batch_alter_table("territory_workflow", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("objective", sa.String(length=16), server_default="points", nullable=False)
        )
        batch_op.add_column(sa.Column("repair", sa.Boolean(), server_default=sa.text("true"), nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_territory_workflow_objective"), "objective IN ('points', 'expected')"
        )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chance", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("expected_points", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("repairs_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_proposal_repairs_id"), ["repairs_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_proposal_repairs_id_proposal"),
            "proposal",
            ["repairs_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("proposal_move", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chance", sa.Float(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("proposal_move", schema=None) as batch_op:
        batch_op.drop_column("chance")
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_proposal_repairs_id_proposal"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_proposal_repairs_id"))
        batch_op.drop_column("repairs_id")
        batch_op.drop_column("expected_points")
        batch_op.drop_column("chance")
    with op.batch_alter_table("territory_workflow", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_territory_workflow_objective"), type_="check")
        batch_op.drop_column("repair")
        batch_op.drop_column("objective")
