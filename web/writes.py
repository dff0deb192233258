"""SQLite: a request that may write takes the database's write lock before it reads anything.

SQLite lets a transaction wait for another writer only if it has not read yet; a portal write that
read first (the signed-in account, the proposal) would fail at once while a run holds the lock. So
every POST, PUT, PATCH and DELETE on SQLite starts with :func:`exchange.workflow.wait_for_write_lock`,
waiting up to ``SQLITE_WRITE_WAIT_SECONDS``; past that it answers 503 with the reason in French and a
``Retry-After``. Views marked :func:`own_write_lock` are left alone: their service handles SQLite's
lock itself (starting a run reads first, to answer « déjà en cours » at once). Nothing is done on
PostgreSQL, whose row locks queue writers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from werkzeug.exceptions import ServiceUnavailable

from exchange import workflow
from web.db import get_engine, get_session

RETRY_AFTER_S = 120

_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
_OWN = "_takes_its_own_write_lock"

F = TypeVar("F", bound=Callable[..., Any])


def own_write_lock(view: F) -> F:
    """Mark a view whose service takes SQLite's write lock itself (no wait before the view)."""
    setattr(view, _OWN, True)
    return view


def _wait_for_write_lock() -> None:
    if request.method in _SAFE or get_engine().dialect.name != "sqlite":
        return
    if getattr(current_app.view_functions.get(request.endpoint or ""), _OWN, False):
        return
    try:
        workflow.wait_for_write_lock(
            get_session(), seconds=float(current_app.config["SQLITE_WRITE_WAIT_SECONDS"])
        )
    except workflow.Busy as exc:
        get_session().rollback()
        message = str(exc)
        raise ServiceUnavailable(message[0].upper() + message[1:] + ".", retry_after=RETRY_AFTER_S) from exc


def init_app(app: Flask) -> None:
    """Install the hook (after the CSRF check: a refused form does not wait for the lock)."""
    app.before_request(_wait_for_write_lock)
