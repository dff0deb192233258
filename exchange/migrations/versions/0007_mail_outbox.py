"""E-mail notifications: each account's address and muted kinds, the territory's reminder lead, the outbox

``user_account.email`` is where an account's notifications go (accounts whose login is an e-mail
address get it as their address); ``user_account.mail_muted`` lists the kinds of notification the
account turned off. ``territory_workflow.reminder_days`` is how many days before an answer deadline
a household that has not answered is reminded (0: never). ``mail_outbox`` holds one row per message,
written in the transaction of the event it tells and delivered by ``exchange send-mail``.

Revision ID: 0007_mail_outbox
Revises: 0006_failure_aware
Create Date: 2026-12-05 08:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007_mail_outbox"
down_revision: str | Sequence[str] | None = "0006_failure_aware"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = ("proposal", "reminder", "lapsed", "changed", "decision", "repaired", "paused", "digest")
_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    """Add the address, the muted kinds and the reminder lead; create the outbox."""
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(
            sa.Column("mail_muted", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )
    account = sa.table("user_account", sa.column("login", sa.String), sa.column("email", sa.String))
    op.execute(account.update().where(account.c.login.like("%@%")).values(email=account.c.login))
    with op.batch_alter_table("territory_workflow", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminder_days", sa.Integer(), server_default="3", nullable=False))
        batch_op.create_check_constraint(
            op.f("ck_territory_workflow_reminder_days_min"), "reminder_days >= 0"
        )
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dedup_key", sa.String(length=120), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_mail_outbox_attempts_min")),
        sa.CheckConstraint(_in("kind", _KINDS), name=op.f("ck_mail_outbox_kind")),
        sa.CheckConstraint(_in("status", _STATUSES), name=op.f("ck_mail_outbox_status")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["user_account.id"],
            name=op.f("fk_mail_outbox_account_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["territory_id"],
            ["territory.id"],
            name=op.f("fk_mail_outbox_territory_id_territory"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("dedup_key", name=op.f("uq_mail_outbox_dedup_key")),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_mail_outbox_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_outbox_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_mail_outbox_territory_id"), ["territory_id"], unique=False)


def downgrade() -> None:
    """Drop the outbox, the reminder lead, the muted kinds and the addresses."""
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_outbox_territory_id"))
        batch_op.drop_index(batch_op.f("ix_mail_outbox_account_id"))
        batch_op.drop_index("ix_mail_outbox_due")
    op.drop_table("mail_outbox")
    with op.batch_alter_table("territory_workflow", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_territory_workflow_reminder_days_min"), type_="check")
        batch_op.drop_column("reminder_days")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("mail_muted")
        batch_op.drop_column("email")
