"""One SQLAlchemy session per request, kept on ``g`` and closed in teardown.

The engine is built once per app from ``DATABASE_URL`` (``EXCHANGE_DATABASE_URL`` in the
environment). Views never write SQL: they pass :func:`get_session` to the services.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


def _make_engine(url: str) -> Engine:
    from exchange.db import make_engine

    if url.startswith("sqlite"):
        return make_engine(url, connect_args={"check_same_thread": False})
    return make_engine(url, pool_size=20, max_overflow=10)


def init_app(app: Flask) -> None:
    """Create the engine and session factory of ``app``; close the request session in teardown."""
    engine = app.config.get("ENGINE") or _make_engine(app.config["DATABASE_URL"])
    app.extensions["exchange_engine"] = engine
    app.extensions["exchange_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    """The engine of the current app."""
    engine: Engine = current_app.extensions["exchange_engine"]
    return engine


def get_session() -> Session:
    """The session of the current request (opened on first use)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["exchange_sessionmaker"]()
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def refusal_sentence(exc: Exception) -> str:
    """A refusal of the workflow as a sentence of the page: « la proposition n° 2 n'attend plus de
    réponse » becomes « La proposition n° 2 n'attend plus de réponse. » (the CLI prints it after
    « Erreur : »).

    >>> refusal_sentence(ValueError("déjà fait"))
    'Déjà fait.'
    """
    text = str(exc).strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?", "»")) else text + "."


def write_form(form: Any, action: Callable[[Session], T]) -> tuple[bool, T | None]:
    """Run the write behind a submitted form in the request session: ``(True, result)`` once committed,
    or ``(False, None)`` after a rollback, each French error attached to its field (or flashed)."""
    from flask import flash

    from exchange.errors import ExchangeError, InvalidInput
    from web.forms import attach_errors

    session = get_session()
    try:
        result = action(session)
    except InvalidInput as exc:
        session.rollback()
        for message in attach_errors(form, exc.messages):
            flash(message, "error")
    except ExchangeError as exc:
        session.rollback()
        flash(refusal_sentence(exc), "error")
    else:
        session.commit()
        return True, result
    return False, None


def write_and_flash(action: Callable[[Session], object], done: str) -> None:
    """Run one portal write in the request session: commit and flash ``done``, or roll back and flash
    each French error; a missing object is a 404."""
    from flask import abort, flash

    from exchange.errors import ExchangeError, InvalidInput, NotFound

    session = get_session()
    try:
        action(session)
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        session.rollback()
        for messages in exc.messages.values():
            for message in messages:
                flash(message, "error")
    except ExchangeError as exc:
        session.rollback()
        flash(refusal_sentence(exc), "error")
    else:
        session.commit()
        flash(done, "success")
