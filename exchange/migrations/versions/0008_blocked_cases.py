"""Blocked cases: the territory's calendar and thresholds, the commission's proposals, the occupancy review

``territory_workflow.calendar`` names the public holidays every deadline skips (``metropole`` or a
département with days of its own); ``blocked_after_runs`` and ``blocked_after_days`` say when an
open request counts as blocked. ``proposal.origin`` is ``commission`` for a proposal assembled by the
inter-landlord commission (then ``run_id`` is null and ``commission_reason`` says why).
``occupancy_review`` holds the outcomes of the occupancy review (L.442-5-2 CCH).

Revision ID: 0008_blocked_cases
Revises: 0007_mail_outbox
Create Date: 2026-12-05 09:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008_blocked_cases"
down_revision: str | Sequence[str] | None = "0007_mail_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the settings, the proposal's origin and the review table."""
    with op.batch_alter_table("territory_workflow", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("calendar", sa.String(length=16), server_default="metropole", nullable=False)
        )
        batch_op.add_column(sa.Column("blocked_after_runs", sa.Integer(), server_default="3", nullable=False))
        batch_op.add_column(
            sa.Column("blocked_after_days", sa.Integer(), server_default="365", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_territory_workflow_blocked_after_runs_min"), "blocked_after_runs >= 1"
        )
        batch_op.create_check_constraint(
            op.f("ck_territory_workflow_blocked_after_days_min"), "blocked_after_days >= 1"
        )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=16), server_default="run", nullable=False))
        batch_op.add_column(sa.Column("commission_reason", sa.Text(), nullable=True))
        batch_op.alter_column("run_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint(op.f("ck_proposal_origin"), "origin IN ('run', 'commission')")
    op.create_table(
        "occupancy_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("landlord_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("situation", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.CheckConstraint(
            "situation IN ('overcrowding', 'under_occupation', 'autonomy')",
            name=op.f("ck_occupancy_review_situation"),
        ),
        sa.CheckConstraint(
            "outcome IN ('invited', 'request_filed', 'declined', 'not_applicable')",
            name=op.f("ck_occupancy_review_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_occupancy_review_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["landlord_id"],
            ["landlord.id"],
            name=op.f("fk_occupancy_review_landlord_id_landlord"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_occupancy_review_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_occupancy_review")),
    )
    for column in ("household_id", "landlord_id", "territory_id"):
        op.create_index(op.f(f"ix_occupancy_review_{column}"), "occupancy_review", [column], unique=False)


def downgrade() -> None:
    """Drop them (commission proposals go with the column that marks them)."""
    for column in ("household_id", "landlord_id", "territory_id"):
        op.drop_index(op.f(f"ix_occupancy_review_{column}"), table_name="occupancy_review")
    op.drop_table("occupancy_review")
    op.execute("DELETE FROM proposal WHERE run_id IS NULL")
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_proposal_origin"), type_="check")
        batch_op.alter_column("run_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("commission_reason")
        batch_op.drop_column("origin")
    with op.batch_alter_table("territory_workflow", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_territory_workflow_blocked_after_days_min"), type_="check")
        batch_op.drop_constraint(op.f("ck_territory_workflow_blocked_after_runs_min"), type_="check")
        batch_op.drop_column("blocked_after_days")
        batch_op.drop_column("blocked_after_runs")
        batch_op.drop_column("calendar")
