"""The floor of the priority households' moves under the objective ``expected``

``territory_workflow.priority_floor_pct`` (0 to 100, default 100): under ``expected`` a move of a
priority household (DALO, handicap) counts at least this share of its points whatever its estimated
chance, so that discounting refusals does not push priority households behind the others.

Revision ID: 0011_priority_floor
Revises: 0010_visits
Create Date: 2026-12-05 10:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011_priority_floor"
down_revision: str | Sequence[str] | None = "0010_visits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the floor and its check."""
    with op.batch_alter_table("territory_workflow", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority_floor_pct", sa.Integer(), server_default="100", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_territory_workflow_priority_floor_pct_range"), "priority_floor_pct BETWEEN 0 AND 100"
        )


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("territory_workflow", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_territory_workflow_priority_floor_pct_range"), type_="check")
        batch_op.drop_column("priority_floor_pct")
