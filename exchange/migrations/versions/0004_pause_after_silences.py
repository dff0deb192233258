"""Requests pause after lapsed proposals: the territory's threshold, each request's count and why it is paused

``territory_workflow.pause_after_silences`` (default 2, 0: never) is how many proposals in a row a
household may let lapse before its request pauses; ``mutation_request.silences`` counts them and
``mutation_request.paused_why`` says who reopens a paused request (``inadmissible``: the landlord;
``silences``: the household, by confirming it). Requests paused before this revision keep
``paused_why`` null, which the code reads as the landlord's review.

Revision ID: 0004_pause_after_silences
Revises: 0003_run_job
Create Date: 2026-12-04 22:10:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004_pause_after_silences"
down_revision: str | Sequence[str] | None = "0003_run_job"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the threshold, the count and the pause reason, with their checks."""
    with op.batch_alter_table("territory_workflow", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pause_after_silences", sa.Integer(), server_default="2", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_territory_workflow_pause_after_silences_min"), "pause_after_silences >= 0"
        )
    with op.batch_alter_table("mutation_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paused_why", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("silences", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_mutation_request_paused_why"),
            "paused_why IS NULL OR paused_why IN ('inadmissible', 'silences')",
        )
        batch_op.create_check_constraint(op.f("ck_mutation_request_silences_min"), "silences >= 0")


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("mutation_request", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_mutation_request_silences_min"), type_="check")
        batch_op.drop_constraint(op.f("ck_mutation_request_paused_why"), type_="check")
        batch_op.drop_column("silences")
        batch_op.drop_column("paused_why")
    with op.batch_alter_table("territory_workflow", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_territory_workflow_pause_after_silences_min"), type_="check")
        batch_op.drop_column("pause_after_silences")
