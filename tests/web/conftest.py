"""Fixtures of the portal tests: an app on a fresh database holding the scenario territory.

The database is a copy of a template written once per worker: a SQLite file copy, or on PostgreSQL
(``EXCHANGE_TEST_DATABASE_URL`` set) ``CREATE DATABASE ... TEMPLATE``. Tests run on SQLite unless
their module asks for every backend with ``pytestmark = on_every_backend()`` (tests/databases.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import portal_scenario as scenario
import pytest
from databases import scratch_database
from portal_helpers import ACCOUNTS, PASSWORD
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from exchange import accounts
from exchange.db import make_engine
from exchange.models import Base

# This file holds no doctest: with --doctest-modules pytest would import it a second time as the module
# ``conftest``, a name tests/web/browser/conftest.py (collected first) already holds.
collect_ignore = ["conftest.py"]


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing() -> Iterator[Any]:
    """Cheap argon2id parameters for the tests (the portal's default costs 64 MiB and ~0.1 s a hash)."""
    from argon2 import PasswordHasher

    saved = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield saved
    accounts._hasher = saved


def _write_template(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        scenario.write_document(session, scenario.document())
        for login, role, extra in ACCOUNTS:
            accounts.create_user(
                session, login=login, password=PASSWORD, role=role, territory="TWEB", **extra
            )


@pytest.fixture(scope="session")
def template_db(fast_password_hashing: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario territory and its accounts, written once per worker (argon2 is slow by design)."""
    path = tmp_path_factory.mktemp("portal") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        _write_template(engine)
    finally:
        engine.dispose()
    return path


@pytest.fixture(scope="session")
def template_pg(fast_password_hashing: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same template on PostgreSQL: a database of this worker, copied for each test."""
    with scratch_database("postgresql", tmp_path_factory.mktemp("portal-pg")) as url:
        engine = make_engine(url)
        try:
            _write_template(engine)
        finally:
            engine.dispose()  # CREATE DATABASE ... TEMPLATE needs nobody connected to the template
        yield url


@pytest.fixture
def web_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite``, or the backend ``on_every_backend()`` gives."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def engine(web_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """A fresh copy of the template database for one test."""
    if web_backend == "sqlite":
        path = tmp_path / "portal.db"
        shutil.copyfile(request.getfixturevalue("template_db"), path)
        engine = make_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
        yield engine
        engine.dispose()
        return
    with scratch_database(web_backend, tmp_path, template=request.getfixturevalue("template_pg")) as url:
        engine = make_engine(url, pool_size=5, max_overflow=10)
        yield engine
        engine.dispose()


@pytest.fixture
def app(engine: Any) -> Any:
    from exchange import portal
    from web import create_app

    portal.clear_cache()
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "ENGINE": engine,
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "RUNS_IN_BACKGROUND": False,  # solve within the request (test_portal_runs.py tests the thread)
        }
    )


@pytest.fixture
def api_conformance(app: Any) -> Iterator[list[str]]:
    """Check every /api/v1/ answer of the test against the served OpenAPI document (status and schema)."""
    import re

    from flask import request
    from jsonschema import Draft202012Validator

    from web.openapi import openapi_document

    doc = openapi_document(app)
    problems: list[str] = []
    checked: list[str] = []

    @app.after_request
    def _check(response: Any) -> Any:
        rule = request.url_rule
        if rule is None or not rule.rule.startswith("/api/v1/"):
            return response
        path = re.sub(r"<(?:int:)?([a-z_]+)>", r"{\1}", rule.rule[len("/api/v1") :])
        where = f"{request.method} {path} -> {response.status_code}"
        declared = doc["paths"][path][request.method.lower()]["responses"].get(str(response.status_code))
        if declared is None:
            problems.append(f"{where}: statut non décrit")
            return response
        schema = declared.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            validator = Draft202012Validator({**schema, "components": doc["components"]})
            for error in validator.iter_errors(response.get_json()):
                problems.append(f"{where}: {list(error.absolute_path)} {error.message}")
        checked.append(where)
        return response

    yield checked
    assert not problems, "\n".join(problems)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def db(engine: Any) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


def pytest_collection_modifyitems(items: list[Any]) -> None:
    # exchange.interchange still calls Result.tuples() (deprecated in SQLAlchemy 2.1); not ours to fix here.
    for item in items:
        item.add_marker(pytest.mark.filterwarnings("ignore:The Result.tuples:DeprecationWarning"))
