"""Portal sessions (sessions du portail): one row per signed-in browser, ended on the server.

The session cookie carries a random id; the table ``portal_session`` keeps its SHA-256 only. A
session ends when its holder signs out, when the account's password changes (its other sessions),
after ``idle`` without a request or ``lifetime`` after sign-in, or when the account is deactivated,
whatever the cookie says. ``last_seen_at`` is written at most every :data:`TOUCH_EVERY`, not on
every request. Services take the session and never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from exchange.errors import is_database_busy
from exchange.models.account import PortalSession

__all__ = [
    "TOUCH_EVERY",
    "Lifetimes",
    "LiveSession",
    "end_other_sessions",
    "end_session",
    "find_session",
    "forget_ended",
    "open_session",
    "touch",
]

TOUCH_EVERY = timedelta(minutes=5)
"""How stale ``last_seen_at`` may get before a request writes it again."""


@dataclass(frozen=True, slots=True)
class Lifetimes:
    """How long a session lives without a request (``idle``) and at most after sign-in (``lifetime``)."""

    idle: timedelta
    lifetime: timedelta

    def __post_init__(self) -> None:
        if self.idle <= timedelta(0) or self.lifetime <= timedelta(0):
            raise ValueError(f"durées de session positives attendues ({self})")


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A session still open: its account, and whether ``last_seen_at`` is due for a write."""

    account_id: int
    needs_touch: bool


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(session: Session, account_id: int, now: datetime) -> str:
    """Record a new session of the account; returns the random id for the cookie (never stored)."""
    session_id = secrets.token_urlsafe(32)
    session.add(
        PortalSession(id_hash=_digest(session_id), account_id=account_id, created_at=now, last_seen_at=now)
    )
    session.flush()
    return session_id


def find_session(
    session: Session, session_id: str, now: datetime, lifetimes: Lifetimes
) -> LiveSession | None:
    """The open session with this id, or None (unknown, ended, idle too long or too old)."""
    if not session_id:
        return None
    row = session.scalars(
        select(PortalSession).where(PortalSession.id_hash == _digest(session_id))
    ).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    if now - row.last_seen_at > lifetimes.idle or now - row.created_at > lifetimes.lifetime:
        return None
    return LiveSession(row.account_id, needs_touch=now - row.last_seen_at >= TOUCH_EVERY)


def touch(session: Session, session_id: str, now: datetime) -> bool:
    """Record a request of the session now (keeps it from going idle); False when the database is busy.

    On SQLite a transaction that has read cannot write while a run holds the write lock: the time is
    then left for a later request rather than failing this one.
    """
    try:
        with session.begin_nested():
            session.execute(
                update(PortalSession)
                .where(PortalSession.id_hash == _digest(session_id))
                .values(last_seen_at=now)
            )
    except OperationalError as exc:
        if not is_database_busy(exc):
            raise
        return False
    return True


def end_session(session: Session, session_id: str, now: datetime) -> None:
    """End this session (sign-out): its cookie no longer opens anything."""
    session.execute(
        update(PortalSession)
        .where(PortalSession.id_hash == _digest(session_id), PortalSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def end_other_sessions(session: Session, account_id: int, keep: str | None, now: datetime) -> None:
    """End every session of the account but ``keep`` (a new password)."""
    query = update(PortalSession).where(
        PortalSession.account_id == account_id, PortalSession.revoked_at.is_(None)
    )
    if keep:
        query = query.where(PortalSession.id_hash != _digest(keep))
    session.execute(query.values(revoked_at=now))


def forget_ended(session: Session, now: datetime, lifetimes: Lifetimes) -> None:
    """Delete the rows of sessions that can no longer open anything (ended, idle or too old)."""
    session.execute(
        delete(PortalSession).where(
            (PortalSession.revoked_at.is_not(None))
            | (PortalSession.last_seen_at < now - lifetimes.idle)
            | (PortalSession.created_at < now - lifetimes.lifetime)
        )
    )
