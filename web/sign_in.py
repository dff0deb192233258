"""Sign-in throttle and known devices, for the sign-in page and ``POST /api/v1/tokens``.

An attempt is counted under the client address with the login (or, from a *known device*, under the
device with the account), the address alone and, for unknown browsers, the login alone
(:mod:`exchange.throttle`). A known device is a browser that already signed in to the account: a
successful sign-in leaves it a long-lived cookie signed with the app's secret, listing the accounts
it signed in to. A stranger's failures never count under the owner's device, so they cannot keep the
owner out of a browser the owner uses.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from flask import Response, current_app, g, make_response, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.exceptions import TooManyRequests

from exchange import accounts, throttle
from web.db import get_session

DEVICE_COOKIE = "appareil_connu"
_DEVICE_SALT = "appareil-connu"
_DEVICE_ACCOUNTS_MAX = 20  # a shared computer: the most recent accounts are kept


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_DEVICE_SALT)


def _device() -> tuple[str, list[int]]:
    """This browser's device mark: its random id and the accounts it signed in to (empty if none)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if raw:
        max_age = int(timedelta(days=current_app.config["KNOWN_DEVICE_DAYS"]).total_seconds())
        try:
            data = _serializer().loads(raw, max_age=max_age)
        except BadSignature:
            data = None
        if isinstance(data, dict) and isinstance(data.get("d"), str) and isinstance(data.get("a"), list):
            return data["d"], [a for a in data["a"] if isinstance(a, int)]
    return "", []


def _throttles() -> tuple[throttle.Throttle, throttle.Throttle, throttle.Throttle]:
    config = current_app.config
    base, cap = int(config["LOGIN_BACKOFF_SECONDS"]), int(config["LOGIN_BACKOFF_MAX_SECONDS"])
    return (
        throttle.Throttle(int(config["LOGIN_FREE_FAILURES"]), base, cap),
        throttle.Throttle(int(config["LOGIN_ADDRESS_FREE_FAILURES"]), base, cap),
        throttle.Throttle(int(config["LOGIN_ACCOUNT_FREE_FAILURES"]), base, cap),
    )


def buckets(login: str) -> list[throttle.Bucket]:
    """The keys an attempt to sign in as ``login`` from this request is counted under."""
    login = login.strip().lower()
    per_key, per_address, per_account = _throttles()
    device, known = _device()
    account_id = accounts.account_id_for_login(get_session(), login) if known else None
    if device and account_id is not None and account_id in known:
        return [throttle.Bucket(f"appareil:{device}:{account_id}", per_key)]
    address = request.remote_addr or "?"
    return [
        throttle.Bucket(f"adresse-compte:{address}|{login}", per_key),
        throttle.Bucket(f"adresse:{address}", per_address),
        throttle.Bucket(f"compte:{login}", per_account),
    ]


def _enabled() -> bool:
    return bool(current_app.config["RATELIMIT_ENABLED"])


def refuse_if_throttled(attempt: list[throttle.Bucket], now: datetime) -> None:
    """Answer 429 with the wait (French message, ``Retry-After``) when a key must still wait."""
    wait = throttle.wait_for(get_session(), attempt, now) if _enabled() else 0
    if wait:
        raise TooManyRequests(
            f"Trop de tentatives : réessayez dans {throttle.wait_label(wait)}.", retry_after=wait
        )


def record_failure(attempt: list[throttle.Bucket], now: datetime) -> None:
    """Count a failed sign-in (the caller commits)."""
    if _enabled():
        throttle.record_failure(get_session(), attempt, now)


def record_success(attempt: list[throttle.Bucket], account_id: int, now: datetime) -> None:
    """Clear the failures of this address (or device) and login; mark the browser as a known device."""
    session = get_session()
    throttle.clear(session, [attempt[0].key])
    throttle.forget_stale(session, now)
    device, known = _device()
    known = [account_id] + [a for a in known if a != account_id]
    g.known_device = (device or secrets.token_urlsafe(16), known[:_DEVICE_ACCOUNTS_MAX])


def set_device_cookie(response: Response) -> Response:
    """After a successful browser sign-in: (re)write the known-device cookie."""
    mark: tuple[str, list[int]] | None = g.pop("known_device", None)
    if mark is not None:
        response.set_cookie(
            DEVICE_COOKIE,
            _serializer().dumps({"d": mark[0], "a": mark[1]}),
            max_age=int(timedelta(days=current_app.config["KNOWN_DEVICE_DAYS"]).total_seconds()),
            secure=current_app.config["COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
    return response


def with_device_cookie(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a sign-in view so that its response carries the known-device cookie when earned."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return set_device_cookie(make_response(view(*args, **kwargs)))

    return wrapped


def sign_in(login: str, password: str) -> accounts.Account | None:
    """Check a sign-in under the throttle: 429 while it must wait, else the account or None (counted).

    Shared by the sign-in page and ``POST /api/v1/tokens``; the caller commits.
    """
    now = datetime.now()
    attempt = buckets(login)
    refuse_if_throttled(attempt, now)
    account = accounts.authenticate(get_session(), login, password)  # a rehashed password is saved
    if account is None:
        record_failure(attempt, now)
    else:
        record_success(attempt, account.id, now)
    return account
