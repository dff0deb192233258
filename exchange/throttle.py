"""Sign-in throttle (limitation des tentatives de connexion): failures only, back-off, no lockout.

Failed sign-ins are counted in the database (table ``sign_in_failure``), so every web worker sees
the same counts. Each attempt is heard under several keys: the client address with the login, or
the browser's known-device mark with the login; the address alone; the login alone for browsers
that are not known devices. Under each key the first ``free`` failures cost nothing; then every
further failure makes the key wait, ``base`` first, doubling up to ``cap``. A successful sign-in
clears the keys of its address (or device) and login, and successful sign-ins never count.

A stranger's failures thus never block the owner signing in from a browser that already signed in
(its own device key), nor from another address until the generous per-login ceiling is reached.
Services take the session and never commit.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exchange.models.account import SignInFailure

__all__ = ["Bucket", "Throttle", "clear", "forget_stale", "record_failure", "wait_for", "wait_label"]

RESET_AFTER = timedelta(days=1)
"""A key with no failure for this long starts again from zero."""


@dataclass(frozen=True, slots=True)
class Throttle:
    """How many failures a key gets free, then the first wait and its cap (seconds)."""

    free: int
    base_s: int
    cap_s: int

    def __post_init__(self) -> None:
        if self.free < 0 or self.base_s < 1 or self.cap_s < self.base_s:
            raise ValueError(f"throttle: free >= 0, 1 <= base_s <= cap_s attendus ({self})")

    def wait_after(self, failures: int) -> int:
        """Seconds to wait after ``failures`` failures under one key.

        >>> [Throttle(free=2, base_s=30, cap_s=200).wait_after(n) for n in range(1, 7)]
        [0, 0, 30, 60, 120, 200]
        """
        extra = failures - self.free
        if extra <= 0:
            return 0
        return min(self.cap_s, self.base_s * (1 << min(extra - 1, 30)))


@dataclass(frozen=True, slots=True)
class Bucket:
    """One key an attempt is counted under, with its throttle (``key`` is hashed before storage)."""

    key: str
    throttle: Throttle


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def wait_for(session: Session, buckets: Iterable[Bucket], now: datetime) -> int:
    """Seconds before an attempt under ``buckets`` is heard again (0: now)."""
    digests = [_digest(b.key) for b in buckets]
    until = session.scalars(
        select(SignInFailure.blocked_until).where(
            SignInFailure.key_hash.in_(digests), SignInFailure.blocked_until > now
        )
    ).all()
    return max((math.ceil((u - now).total_seconds()) for u in until if u is not None), default=0)


def record_failure(session: Session, buckets: Iterable[Bucket], now: datetime) -> int:
    """Count one failure under each bucket; returns the longest wait it now imposes (seconds)."""
    longest = 0
    for bucket in buckets:
        digest = _digest(bucket.key)
        row = session.get(SignInFailure, digest, with_for_update=True)
        if row is None:
            try:
                with session.begin_nested():
                    session.add(SignInFailure(key_hash=digest, failures=0, last_failure_at=now))
            except IntegrityError:  # another worker counted the first failure under this key meanwhile
                pass
            row = session.get(SignInFailure, digest, with_for_update=True, populate_existing=True)
            assert row is not None
        if now - row.last_failure_at > RESET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        wait = bucket.throttle.wait_after(row.failures)
        row.blocked_until = now + timedelta(seconds=wait) if wait else None
        longest = max(longest, wait)
    session.flush()
    return longest


def clear(session: Session, keys: Iterable[str]) -> None:
    """Forget the failures under ``keys`` (after a successful sign-in)."""
    session.execute(delete(SignInFailure).where(SignInFailure.key_hash.in_([_digest(k) for k in keys])))


def forget_stale(session: Session, now: datetime) -> None:
    """Delete the keys with no failure since :data:`RESET_AFTER` and no wait left."""
    session.execute(
        delete(SignInFailure).where(
            SignInFailure.last_failure_at < now - RESET_AFTER,
            (SignInFailure.blocked_until.is_(None)) | (SignInFailure.blocked_until < now),
        )
    )


def wait_label(seconds: int) -> str:
    """The wait in French words, rounded up to the minute past one minute.

    >>> [wait_label(s) for s in (1, 45, 60, 61, 120, 3600)]
    ['1 seconde', '45 secondes', '1 minute', '2 minutes', '2 minutes', '60 minutes']
    """
    if seconds < 60:
        return f"{seconds} seconde{'s' if seconds > 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"
