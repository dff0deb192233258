"""What the territory sees of its outbox: counts by status, the messages that failed for good, a retry.

``exchange mail-status CODE`` and the territory's « Courriels » page read it. A failed message shows
its kind, its account's login, when it was written, its attempts and the server's last answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange import records
from exchange.errors import NotFound
from exchange.models import UserAccount
from exchange.models.notification import MAIL_STATUSES, OutboxMessage

__all__ = ["FailedMessage", "OutboxStatus", "outbox_status", "retry_message"]


@dataclass(frozen=True, slots=True)
class FailedMessage:
    """A message that will not go out unless retried."""

    id: int
    kind: str
    login: str | None
    recipient: str
    created_at: datetime
    attempts: int
    last_error: str


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """A territory's outbox: how many messages per status, and the failed ones (newest first)."""

    counts: dict[str, int]
    failed: list[FailedMessage]
    oldest_pending: datetime | None


def outbox_status(session: Session, code: str, *, limit: int = 100) -> OutboxStatus:
    """The outbox of territory ``code``; raises :class:`NotFound`."""
    territory = records.territory(session, code)
    counts = {status: 0 for status in MAIL_STATUSES}
    counts.update(
        dict(
            session.execute(
                select(OutboxMessage.status, func.count())
                .where(OutboxMessage.territory_id == territory.id)
                .group_by(OutboxMessage.status)
            ).all()
        )
    )
    rows = session.execute(
        select(OutboxMessage, UserAccount.login)
        .outerjoin(UserAccount, UserAccount.id == OutboxMessage.account_id)
        .where(OutboxMessage.territory_id == territory.id, OutboxMessage.status == "failed")
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    failed = [
        FailedMessage(m.id, m.kind, login, m.recipient, m.created_at, m.attempts, m.last_error or "")
        for m, login in rows
    ]
    oldest = session.scalar(
        select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.territory_id == territory.id, OutboxMessage.status.in_(("pending", "sending"))
        )
    )
    return OutboxStatus(counts, failed, oldest)


def retry_message(session: Session, code: str, message_id: int, *, now: datetime | None = None) -> None:
    """Put a failed message of territory ``code`` back in the queue (new attempts, due now)."""
    territory = records.territory(session, code)
    row = session.get(OutboxMessage, message_id)
    if row is None or row.territory_id != territory.id or row.status != "failed":
        raise NotFound(f"aucun courriel en échec n° {message_id} dans le territoire {code}")
    row.status, row.attempts, row.next_attempt_at = (
        "pending",
        0,
        (now or datetime.now()).replace(microsecond=0),
    )
    session.flush()
