"""Engine and session set-up, and the Alembic upgrade run by ``exchange init-db``.

The database URL comes from ``EXCHANGE_DATABASE_URL``; the default is the SQLite file
``instance/exchange.db`` relative to the current directory (the folder is created).
SQLite connections get foreign keys on, WAL journaling and a busy timeout, so that the CLI,
the nightly run and the web portal can share the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "DEFAULT_SQLITE_PATH",
    "alembic_config",
    "database_url",
    "get_engine",
    "init_db",
    "make_engine",
    "session_scope",
    "upgrade_to_head",
]

DEFAULT_SQLITE_PATH = Path("instance") / "exchange.db"
_BUSY_TIMEOUT_MS = 30_000


def database_url() -> str:
    """``EXCHANGE_DATABASE_URL``, or the SQLite file ``instance/exchange.db`` (folder created)."""
    url = os.environ.get("EXCHANGE_DATABASE_URL", "").strip()
    if url:
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH.resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINTs: let SQLAlchemy emit BEGIN (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A new engine for ``url``; SQLite files get foreign keys, WAL and a busy timeout.

    >>> make_engine("sqlite://").dialect.name
    'sqlite'
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {}).setdefault("timeout", _BUSY_TIMEOUT_MS / 1000)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


@cache
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine of ``url`` (default :func:`database_url`), created once."""
    return _engine_for(url or database_url())


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session in one transaction: committed when the block ends, rolled back on an exception."""
    factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


def alembic_config(url: str | None = None) -> Any:
    """The Alembic configuration of the package (``exchange/alembic.ini``, ``exchange/migrations``)."""
    from alembic.config import Config

    ini = files("exchange").joinpath("alembic.ini")
    config = Config(str(ini))
    config.set_main_option("script_location", str(files("exchange").joinpath("migrations")))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(bind: Engine | Connection, revision: str = "head") -> None:
    """Run every Alembic migration up to ``revision`` on ``bind`` (an engine or a connection)."""
    from alembic import command

    config = alembic_config()
    if isinstance(bind, Connection):
        config.attributes["connection"] = bind
        command.upgrade(config, revision)
        return
    with bind.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def init_db(url: str | None = None) -> Engine:
    """Create or upgrade the database at ``url`` (default :func:`database_url`) to the latest schema."""
    engine = get_engine(url)
    upgrade_to_head(engine)
    return engine
