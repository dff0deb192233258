"""The test databases: which backends to run on, and scratch databases made and dropped for a test.

SQLite always; PostgreSQL too when ``EXCHANGE_TEST_DATABASE_URL`` is set. A PostgreSQL scratch
database is created through an AUTOCOMMIT connection to that URL's server (never touching the
database it names), either empty or as a copy of a template (``CREATE DATABASE ... TEMPLATE``, a file
copy on the server, much faster than writing the rows again), and dropped when its block ends.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ENV = "EXCHANGE_TEST_DATABASE_URL"


def backends() -> list[object]:
    """``sqlite``, and ``postgresql`` (marked ``postgres``) when :data:`PG_ENV` is set: pytest params."""
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(PG_ENV):
        params.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return params


@contextmanager
def scratch_database(backend: str, directory: Path, *, template: str | None = None) -> Iterator[str]:
    """The URL of a new database of ``backend``, dropped (PostgreSQL) when the block ends.

    ``template`` (PostgreSQL only): the URL of a database to copy, which nobody may be connected to.
    """
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'exchange_{uuid.uuid4().hex[:8]}.db'}"
        return
    server = make_url(os.environ[PG_ENV])
    name = f"exchange_t_{uuid.uuid4().hex}"
    copy = "" if template is None else f' TEMPLATE "{make_url(template).database}"'
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def on_every_backend(fixture: str = "web_backend") -> pytest.MarkDecorator:
    """Run a test (or a module, as ``pytestmark``) once per backend, through the fixture ``fixture``."""
    return pytest.mark.parametrize(fixture, backends(), indirect=True)
