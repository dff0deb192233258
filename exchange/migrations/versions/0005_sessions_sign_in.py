"""Portal sessions that end, API tokens that expire, failed sign-ins counted in the database

``portal_session`` holds one row per signed-in browser (the SHA-256 of the id its cookie carries):
signing out or a new password revokes it. ``user_account.api_token_expires_at`` is when the
account's API token stops working; tokens issued before this revision get 30 days from the upgrade.
``sign_in_failure`` counts failed sign-ins per key (hashed), shared by every web worker.

Revision ID: 0005_sessions_sign_in
Revises: 0004_pause_after_silences
Create Date: 2026-12-08 10:00:00.000000

"""

from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005_sessions_sign_in"
down_revision: str | Sequence[str] | None = "0004_pause_after_silences"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the two tables and the token expiry; existing tokens expire in 30 days."""
    op.create_table(
        "portal_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["user_account.id"],
            name=op.f("fk_portal_session_account_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id_hash", name=op.f("pk_portal_session")),
    )
    with op.batch_alter_table("portal_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_portal_session_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_portal_session_last_seen_at"), ["last_seen_at"], unique=False)
    op.create_table(
        "sign_in_failure",
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_sign_in_failure_failures_min")),
        sa.PrimaryKeyConstraint("key_hash", name=op.f("pk_sign_in_failure")),
    )
    with op.batch_alter_table("sign_in_failure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_failure_last_failure_at"), ["last_failure_at"], unique=False
        )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("api_token_expires_at", sa.DateTime(), nullable=True))
    account = sa.table(
        "user_account", sa.column("api_token_hash", sa.String), sa.column("api_token_expires_at", sa.DateTime)
    )
    expiry = datetime.now().replace(microsecond=0) + timedelta(days=30)
    op.execute(
        account.update().where(account.c.api_token_hash.is_not(None)).values(api_token_expires_at=expiry)
    )


def downgrade() -> None:
    """Drop them (tokens then never expire again)."""
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("api_token_expires_at")
    with op.batch_alter_table("sign_in_failure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_failure_last_failure_at"))
    op.drop_table("sign_in_failure")
    with op.batch_alter_table("portal_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_session_last_seen_at"))
        batch_op.drop_index(batch_op.f("ix_portal_session_account_id"))
    op.drop_table("portal_session")
