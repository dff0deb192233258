"""Visits with contact reveal: the ``visit`` table, and the « visit » kind of notification

``visit`` holds at most one row per move of a proposal: the household of the move (the visitor) asked to
visit the dwelling it is offered; its occupant (the host) accepts or declines; the agreed date and the
outcome follow. ``mail_outbox.kind`` accepts ``visit`` (the other household asked or answered).

Revision ID: 0010_visits
Revises: 0009_yearly_settings
Create Date: 2026-12-05 09:15:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010_visits"
down_revision: str | Sequence[str] | None = "0009_yearly_settings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_KINDS = ("proposal", "reminder", "lapsed", "changed", "decision", "repaired", "paused", "digest")
_NEW_KINDS = (*_OLD_KINDS, "visit")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _kinds(kinds: tuple[str, ...]) -> None:
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_mail_outbox_kind"), type_="check")
        batch_op.create_check_constraint(op.f("ck_mail_outbox_kind"), _in("kind", kinds))


def upgrade() -> None:
    """Create the visits; accept the new kind of message."""
    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("move_id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sa.Integer(), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("visitor_phone", sa.String(length=20), nullable=True),
        sa.Column("host_phone", sa.String(length=20), nullable=True),
        sa.Column("visit_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.CheckConstraint("status IN ('asked', 'accepted', 'declined')", name=op.f("ck_visit_status")),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('done', 'missed', 'cancelled')", name=op.f("ck_visit_outcome")
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR status = 'accepted'", name=op.f("ck_visit_outcome_if_accepted")
        ),
        sa.ForeignKeyConstraint(
            ["host_id"], ["household.id"], name=op.f("fk_visit_host_id_household"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["move_id"], ["proposal_move.id"], name=op.f("fk_visit_move_id_proposal_move"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_visit_proposal_id_proposal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["visitor_id"], ["household.id"], name=op.f("fk_visit_visitor_id_household"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
        sa.UniqueConstraint("move_id", name=op.f("uq_visit_move_id")),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_proposal_id"), ["proposal_id"], unique=False)
    _kinds(_NEW_KINDS)


def downgrade() -> None:
    """Drop the visits and their messages; the old kinds only."""
    op.execute("DELETE FROM mail_outbox WHERE kind = 'visit'")
    _kinds(_OLD_KINDS)
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_proposal_id"))
    op.drop_table("visit")
