"""The mail outbox (file d'envoi des courriels), written in the same transaction as the event it tells.

One row per message to one account: the event's transaction adds it (a run storing proposals, an
answer, a CALEOL decision, a lapsed deadline, a paused request, a reminder, a digest), so a rolled
back event leaves no message behind and a committed one always has its message. ``exchange
send-mail`` then claims rows one at a time (``sending``, ``claimed_at``, ``attempts``), hands each to
the SMTP server and marks it ``sent`` in its own short transaction; see :mod:`exchange.mailer`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from exchange.models.base import Base

__all__ = ["MAIL_KINDS", "MAIL_STATUSES", "OutboxMessage"]

MAIL_KINDS = (
    "proposal",
    "reminder",
    "lapsed",
    "changed",
    "decision",
    "repaired",
    "paused",
    "digest",
    "visit",
)
"""proposal: a new proposal and its deadline; reminder: the deadline is near; lapsed: the deadline
passed without an answer; changed: another party's answer (or a CALEOL) changed the proposal;
decision: the CALEOL decided the household's move; repaired: the proposal was repaired; paused: the
request is paused; digest: a staff member's daily list of moves to decide; visit: the other household
asked for a visit, or answered one."""

MAIL_STATUSES = ("pending", "sending", "sent", "failed", "cancelled")
"""pending: waiting (``next_attempt_at``); sending: claimed by a sender (since ``claimed_at``); sent:
accepted by the SMTP server; failed: refused for good or out of attempts; cancelled: the account
unsubscribed, or lost its address, before it went out."""


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class OutboxMessage(Base):
    """One message of the outbox; ``context`` holds what its templates need (no personal data)."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint(_in("kind", MAIL_KINDS), name="kind"),
        CheckConstraint(_in("status", MAIL_STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts_min"),
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_id: Mapped[int] = mapped_column(ForeignKey("territory.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    # Said once per event and account (e.g. "proposal:12:account:7"): a second notify is a no-op.
    dedup_key: Mapped[str] = mapped_column(String(120), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))  # the address when the event happened
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=lambda: "pending")
    attempts: Mapped[int] = mapped_column(Integer, default=lambda: 0)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
