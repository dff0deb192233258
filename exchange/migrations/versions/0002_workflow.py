"""workflow tables: run, run lock, settings, proposal, moves, committee decisions, audit

The partial unique indexes ``uq_proposal_move_live_household`` and
``uq_proposal_move_live_to_dwelling`` hold "at most one live proposal per household and per
dwelling"; ``uq_committee_decision_move_id`` holds "one decision per move".

Revision ID: 0002_workflow
Revises: 0001_domain
Create Date: 2026-11-23 07:53:08.331817

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002_workflow"
down_revision: str | Sequence[str] | None = "0001_domain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the workflow tables."""
    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("objective", sa.Integer(), nullable=False),
        sa.Column("bound", sa.Float(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("vacancies", sa.Integer(), nullable=False),
        sa.Column("arcs", sa.Integer(), nullable=False),
        sa.Column("skipped_households", sa.Integer(), nullable=False),
        sa.Column("proposal_count", sa.Integer(), nullable=False),
        sa.Column("move_count", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("timings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_id"], ["territory.id"], name=op.f("fk_run_territory_id_territory"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run")),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "run_lock",
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("locked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_run_lock_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("territory_id", name=op.f("pk_run_lock")),
    )
    op.create_table(
        "territory_workflow",
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("answer_days", sa.Integer(), nullable=False),
        sa.Column("move_notice_days", sa.Integer(), nullable=False),
        sa.CheckConstraint("answer_days >= 10", name=op.f("ck_territory_workflow_answer_days_min")),
        sa.CheckConstraint("move_notice_days >= 0", name=op.f("ck_territory_workflow_move_notice_days_min")),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_territory_workflow_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("territory_id", name=op.f("pk_territory_workflow")),
    )
    op.create_table(
        "landlord_workflow",
        sa.Column("landlord_id", sa.Integer(), nullable=False),
        sa.Column("decision_days", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "decision_days IS NULL OR decision_days >= 1", name=op.f("ck_landlord_workflow_decision_days_min")
        ),
        sa.ForeignKeyConstraint(
            ["landlord_id"],
            ["landlord.id"],
            name=op.f("fk_landlord_workflow_landlord_id_landlord"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("landlord_id", name=op.f("pk_landlord_workflow")),
    )
    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("answer_deadline", sa.Date(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("confirmed_on", sa.Date(), nullable=True),
        sa.Column("move_date", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("failure", sa.String(length=32), nullable=True),
        sa.CheckConstraint("kind IN ('cycle', 'chain')", name=op.f("ck_proposal_kind")),
        sa.CheckConstraint(
            "status IN ('proposed', 'deciding', 'confirmed', 'completed', 'failed')",
            name=op.f("ck_proposal_status"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_proposal_run_id_run"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_proposal_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal")),
    )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_run_id"), ["run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_audit_event_actor_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_audit_event_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_territory_id"), ["territory_id"], unique=False)

    op.create_table(
        "proposal_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("from_dwelling_id", sa.Integer(), nullable=False),
        sa.Column("to_dwelling_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("points_detail", sa.JSON(), nullable=False),
        sa.Column("criteria_before", sa.JSON(), nullable=False),
        sa.Column("criteria_after", sa.JSON(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("refusal_reason", sa.String(length=32), nullable=True),
        sa.Column("answer_note", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("decision_due", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "(answer = 'refused') = (refusal_reason IS NOT NULL) OR answer IS NULL",
            name=op.f("ck_proposal_move_refusal_has_reason"),
        ),
        sa.CheckConstraint(
            "answer IS NULL OR answer IN ('accepted', 'refused')", name=op.f("ck_proposal_move_answer")
        ),
        sa.CheckConstraint(
            "refusal_reason IS NULL OR refusal_reason IN ('location', 'cost', 'size_layout', 'accessibility',"
            " 'condition', 'timing', 'change_of_situation', 'no_answer', 'other')",
            name=op.f("ck_proposal_move_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["user_account.id"],
            name=op.f("fk_proposal_move_answered_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["from_dwelling_id"],
            ["dwelling.id"],
            name=op.f("fk_proposal_move_from_dwelling_id_dwelling"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_proposal_move_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_proposal_move_proposal_id_proposal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_dwelling_id"],
            ["dwelling.id"],
            name=op.f("fk_proposal_move_to_dwelling_id_dwelling"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_move")),
        sa.UniqueConstraint("proposal_id", "position", name=op.f("uq_proposal_move_proposal_id_position")),
    )
    with op.batch_alter_table("proposal_move", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_move_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_move_proposal_id"), ["proposal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_move_to_dwelling_id"), ["to_dwelling_id"], unique=False)
        batch_op.create_index(
            "uq_proposal_move_live_household",
            ["household_id"],
            unique=True,
            sqlite_where=sa.text("live"),
            postgresql_where=sa.text("live"),
        )
        batch_op.create_index(
            "uq_proposal_move_live_to_dwelling",
            ["to_dwelling_id"],
            unique=True,
            sqlite_where=sa.text("live"),
            postgresql_where=sa.text("live"),
        )

    op.create_table(
        "committee_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("move_id", sa.Integer(), nullable=False),
        sa.Column("landlord_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("partner_alone", sa.Boolean(), nullable=True),
        sa.Column("condition", sa.Text(), nullable=True),
        sa.Column("condition_due", sa.Date(), nullable=True),
        sa.Column("condition_status", sa.String(length=16), nullable=True),
        sa.Column("condition_closed_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "condition_status IS NULL OR condition_status IN ('pending', 'met', 'failed')",
            name=op.f("ck_committee_decision_condition_status"),
        ),
        sa.CheckConstraint(
            "kind <> 'conditional' OR condition_due IS NOT NULL",
            name=op.f("ck_committee_decision_conditional_has_due"),
        ),
        sa.CheckConstraint(
            "kind <> 'ranked' OR rank >= 1", name=op.f("ck_committee_decision_ranked_has_rank")
        ),
        sa.CheckConstraint(
            "kind IN ('attribution', 'ranked', 'conditional', 'non_attribution', 'inadmissible')",
            name=op.f("ck_committee_decision_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_committee_decision_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["landlord_id"],
            ["landlord.id"],
            name=op.f("fk_committee_decision_landlord_id_landlord"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["move_id"],
            ["proposal_move.id"],
            name=op.f("fk_committee_decision_move_id_proposal_move"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_decision")),
        sa.UniqueConstraint("move_id", name=op.f("uq_committee_decision_move_id")),
    )
    with op.batch_alter_table("committee_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_committee_decision_landlord_id"), ["landlord_id"], unique=False)


def downgrade() -> None:
    """Drop them (children first)."""
    with op.batch_alter_table("committee_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_committee_decision_landlord_id"))

    op.drop_table("committee_decision")
    with op.batch_alter_table("proposal_move", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_proposal_move_live_to_dwelling",
            sqlite_where=sa.text("live"),
            postgresql_where=sa.text("live"),
        )
        batch_op.drop_index(
            "uq_proposal_move_live_household", sqlite_where=sa.text("live"), postgresql_where=sa.text("live")
        )
        batch_op.drop_index(batch_op.f("ix_proposal_move_to_dwelling_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_move_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_move_household_id"))

    op.drop_table("proposal_move")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_territory_id"))

    op.drop_table("audit_event")
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_territory_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_status"))
        batch_op.drop_index(batch_op.f("ix_proposal_run_id"))

    op.drop_table("proposal")
    op.drop_table("landlord_workflow")
    op.drop_table("territory_workflow")
    op.drop_table("run_lock")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_territory_id"))

    op.drop_table("run")
