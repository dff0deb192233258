"""Shared database fixtures: ``db_url``, ``engine`` (migrated), ``session`` (rolled back), ``territory``.

Every database test runs on SQLite (a temporary file) and, when ``EXCHANGE_TEST_DATABASE_URL`` is
set (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``), on PostgreSQL too. PostgreSQL
tests never touch the database of that URL: each test session (each xdist worker) creates its own
database ``exchange_t_<uuid>`` through an AUTOCOMMIT connection and drops it at the end
(``tests/databases.py``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from databases import PG_ENV, backends, scratch_database
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from exchange.db import make_engine, upgrade_to_head

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say when the PostgreSQL half of the database tests did not run."""
    if not os.environ.get(PG_ENV):
        terminalreporter.write_line(
            f"PostgreSQL: not tested ({PG_ENV} is unset; the database tests ran on SQLite only; "
            ".ci/run sets it to postgresql+psycopg://postgres@127.0.0.1:5432/test)",
            yellow=True,
        )


@pytest.fixture(scope="session", params=backends())
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own for this test session (SQLite file, or a fresh PostgreSQL database)."""
    with scratch_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on ``db_url``, migrated to the latest Alembic revision."""
    eng = make_engine(db_url)
    upgrade_to_head(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside one outer transaction, rolled back after the test (commits become savepoints)."""
    connection = engine.connect()
    outer = connection.begin()
    db_session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db_session
    finally:
        db_session.close()
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture
def territory(session: Session) -> str:
    """The code of ``fixtures/tiny.json``, imported through the real import service."""
    from exchange.interchange import import_document

    doc = json.loads((FIXTURES / "tiny.json").read_text(encoding="utf-8"))
    summary = import_document(session, doc)
    session.flush()
    return summary.territory


@pytest.fixture(params=backends())
def fresh_db_url(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """A new migrated database for one test, also set as ``EXCHANGE_DATABASE_URL``.

    For commands and services that commit (the CLI): ``session``'s rollback cannot undo them.
    """
    from exchange.db import get_engine

    with scratch_database(request.param, tmp_path) as url:
        eng = get_engine(url)
        upgrade_to_head(eng)
        monkeypatch.setenv("EXCHANGE_DATABASE_URL", url)
        try:
            yield url
        finally:
            eng.dispose()
