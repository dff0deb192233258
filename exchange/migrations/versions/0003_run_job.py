"""run_job: runs started from the portal and solved in the background (running, finished, failed)

The partial unique index ``uq_run_job_running`` allows one running job per territory, whichever web
worker started it.

Revision ID: 0003_run_job
Revises: 0002_workflow
Create Date: 2026-11-23 14:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003_run_job"
down_revision: str | Sequence[str] | None = "0002_workflow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RUNNING = "status = 'running'"


def upgrade() -> None:
    """Create the run_job table."""
    op.create_table(
        "run_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("requested_by", sa.String(length=254), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("stale_after", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'finished', 'failed')", name=op.f("ck_run_job_status")),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_run_job_run_id_run"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_run_job_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_job")),
    )
    with op.batch_alter_table("run_job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_job_territory_id"), ["territory_id"], unique=False)
        batch_op.create_index(
            "uq_run_job_running",
            ["territory_id"],
            unique=True,
            sqlite_where=sa.text(_RUNNING),
            postgresql_where=sa.text(_RUNNING),
        )


def downgrade() -> None:
    """Drop the run_job table."""
    with op.batch_alter_table("run_job", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_run_job_running", sqlite_where=sa.text(_RUNNING), postgresql_where=sa.text(_RUNNING)
        )
        batch_op.drop_index(batch_op.f("ix_run_job_territory_id"))
    op.drop_table("run_job")
