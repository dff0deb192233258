"""Sign-in failures, portal sessions and API tokens in the database (SQLite and PostgreSQL, migrated)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from exchange import accounts, portal_sessions, throttle
from exchange.models.account import PortalSession, SignInFailure

NOW = datetime(2026, 12, 8, 10, 0)
LIFETIMES = portal_sessions.Lifetimes(idle=timedelta(hours=2), lifetime=timedelta(hours=12))


@pytest.fixture
def account(session, territory):
    return accounts.create_user(
        session, login="agent", password="secret-2026", role="admin", territory=territory
    )


def test_failures_back_off_then_clear(session):
    per_key = throttle.Throttle(free=2, base_s=30, cap_s=100)
    bucket = [throttle.Bucket("adresse-compte:203.0.113.9|agent", per_key)]
    waits = [throttle.record_failure(session, bucket, NOW) for _ in range(6)]
    assert waits == [0, 0, 30, 60, 100, 100]
    assert throttle.wait_for(session, bucket, NOW) == 100
    assert throttle.wait_for(session, bucket, NOW + timedelta(seconds=100)) == 0
    other = [throttle.Bucket("adresse-compte:198.51.100.7|agent", per_key)]
    assert throttle.wait_for(session, other, NOW) == 0
    stored = session.scalars(select(SignInFailure.key_hash)).one()
    assert len(stored) == 64 and "agent" not in stored  # the key is hashed
    throttle.clear(session, [bucket[0].key])
    assert throttle.wait_for(session, bucket, NOW) == 0
    assert throttle.record_failure(session, bucket, NOW) == 0


def test_failures_are_forgotten_after_a_quiet_day(session):
    bucket = [throttle.Bucket("compte:agent", throttle.Throttle(free=1, base_s=60, cap_s=60))]
    throttle.record_failure(session, bucket, NOW)
    assert throttle.record_failure(session, bucket, NOW) == 60
    later = NOW + throttle.RESET_AFTER + timedelta(seconds=1)
    assert throttle.record_failure(session, bucket, later) == 0  # counted from zero again
    throttle.forget_stale(session, later + throttle.RESET_AFTER + timedelta(seconds=1))
    assert session.scalar(select(func.count()).select_from(SignInFailure)) == 0


def test_a_throttle_refuses_nonsense():
    with pytest.raises(ValueError, match="throttle"):
        throttle.Throttle(free=1, base_s=60, cap_s=30)


def test_a_session_ends_on_sign_out_idle_or_age(session, account):
    first = portal_sessions.open_session(session, account.id, NOW)
    second = portal_sessions.open_session(session, account.id, NOW)
    assert portal_sessions.find_session(session, first, NOW, LIFETIMES) == portal_sessions.LiveSession(
        account.id, needs_touch=False
    )
    assert portal_sessions.find_session(session, first, NOW + timedelta(minutes=6), LIFETIMES).needs_touch
    assert (
        portal_sessions.find_session(session, first, NOW + timedelta(hours=2, seconds=1), LIFETIMES) is None
    )
    assert portal_sessions.touch(session, first, NOW + timedelta(hours=1, minutes=50))
    assert portal_sessions.find_session(session, first, NOW + timedelta(hours=3), LIFETIMES) is not None
    assert (
        portal_sessions.find_session(session, first, NOW + timedelta(hours=12, seconds=1), LIFETIMES) is None
    )
    portal_sessions.end_session(session, second, NOW)
    assert portal_sessions.find_session(session, second, NOW, LIFETIMES) is None
    assert portal_sessions.find_session(session, "inconnue", NOW, LIFETIMES) is None
    assert session.scalars(select(PortalSession.id_hash)).all().count(first) == 0  # only its hash is kept


def test_a_new_password_ends_the_other_sessions(session, account):
    mine = portal_sessions.open_session(session, account.id, NOW)
    others = [portal_sessions.open_session(session, account.id, NOW) for _ in range(2)]
    portal_sessions.end_other_sessions(session, account.id, mine, NOW)
    assert portal_sessions.find_session(session, mine, NOW, LIFETIMES) is not None
    assert all(portal_sessions.find_session(session, s, NOW, LIFETIMES) is None for s in others)
    portal_sessions.forget_ended(session, NOW, LIFETIMES)
    assert session.scalar(select(func.count()).select_from(PortalSession)) == 1


def test_a_token_works_until_it_expires_or_is_revoked(session, account):
    issued = accounts.issue_api_token(session, account.id, lifetime=timedelta(days=30), now=NOW)
    assert issued.expires_at == NOW + timedelta(days=30)
    assert accounts.account_for_token(session, issued.token, now=NOW).login == "agent"
    assert accounts.account_for_token(session, issued.token, now=issued.expires_at) is None
    assert accounts.revoke_api_token(session, issued.token)
    assert accounts.account_for_token(session, issued.token, now=NOW) is None
    assert not accounts.revoke_api_token(session, issued.token)
    with pytest.raises(ValueError, match="lifetime"):
        accounts.issue_api_token(session, account.id, lifetime=timedelta(0))


def test_a_new_token_replaces_the_previous_one(session, account):
    old = accounts.issue_api_token(session, account.id, now=NOW)
    new = accounts.issue_api_token(session, account.id, now=NOW)
    assert accounts.account_for_token(session, old.token, now=NOW) is None
    assert accounts.account_for_token(session, new.token, now=NOW) is not None
