"""Schema, migrations and the invariants the database itself enforces (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from factories import make_document
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from exchange import db
from exchange.cli import cli
from exchange.interchange import import_document
from exchange.models import (
    Base,
    Dwelling,
    Exclusion,
    Household,
    HouseholdMember,
    Request,
    Territory,
    UserAccount,
)


def test_migrations_give_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        tables = set(inspect(conn).get_table_names())
    assert diff == []
    assert set(Base.metadata.tables) <= tables


def test_named_constraints(engine: Engine) -> None:
    inspector = inspect(engine)
    uniques = {u["name"] for u in inspector.get_unique_constraints("household")}
    assert {"uq_household_territory_id_ref", "uq_household_dwelling_id"} <= uniques
    indexes = {i["name"]: i for i in inspector.get_indexes("mutation_request")}
    assert indexes["uq_mutation_request_open_household"]["unique"]
    checks = {c["name"] for c in inspector.get_check_constraints("dwelling")}
    assert {"ck_dwelling_rooms_min", "ck_dwelling_accessibility"} <= checks


@pytest.fixture
def tst(session: Session) -> Session:
    import_document(session, make_document())
    session.flush()
    return session


def _id(session: Session, model: Any, ref: str) -> int:
    found: int = session.scalars(select(model.id).where(model.ref == ref)).one()
    return found


def _territory_id(session: Session) -> int:
    found: int = session.scalars(select(Territory.id).where(Territory.code == "TST")).one()
    return found


def _second_open_request(s: Session) -> None:
    s.add(
        Request(
            territory_id=_territory_id(s),
            household_id=_id(s, Household, "H1"),
            filed_on=date(2026, 1, 2),
            max_cost=500.0,
            communes=[],
            status="open",
        )
    )


def _two_households_one_dwelling(s: Session) -> None:
    s.add(
        Household(
            territory_id=_territory_id(s),
            ref="H9",
            dwelling_id=_id(s, Dwelling, "D1"),
            monthly_resources=900.0,
        )
    )


def _duplicate_ref(s: Session) -> None:
    s.add(Household(territory_id=_territory_id(s), ref="H1", monthly_resources=900.0))


def _duplicate_exclusion(s: Session) -> None:
    s.add(
        Exclusion(
            territory_id=_territory_id(s),
            household_id=_id(s, Household, "H1"),
            dwelling_id=_id(s, Dwelling, "D3"),
            reason="refused",
        )
    )


def _bad_enum(s: Session) -> None:
    s.execute(text("UPDATE dwelling SET accessibility = 'ramp' WHERE ref = 'D1'"))


def _rooms_zero(s: Session) -> None:
    s.execute(text("UPDATE dwelling SET rooms = 0 WHERE ref = 'D2'"))


def _age_out_of_range(s: Session) -> None:
    s.execute(text("UPDATE household_member SET age = 200"))


def _closed_without_date(s: Session) -> None:
    s.execute(text("UPDATE mutation_request SET status = 'closed'"))


def _rooms_order(s: Session) -> None:
    s.execute(text("UPDATE mutation_request SET min_rooms = 4, max_rooms = 2"))


def _half_workplace(s: Session) -> None:
    s.execute(text("UPDATE household SET workplace_lon = NULL WHERE ref = 'H1'"))


def _dangling_dwelling(s: Session) -> None:
    s.execute(text("UPDATE household SET dwelling_id = 999999 WHERE ref = 'H3'"))


def _tenant_without_household(s: Session) -> None:
    s.add(UserAccount(login="x@example.org", password_hash="x", role="tenant", territory_id=_territory_id(s)))


def _admin_with_household(s: Session) -> None:
    s.add(
        UserAccount(
            login="a@example.org",
            password_hash="x",
            role="admin",
            territory_id=_territory_id(s),
            household_id=_id(s, Household, "H1"),
        )
    )


def _unknown_role(s: Session) -> None:
    s.add(UserAccount(login="r@example.org", password_hash="x", role="root", territory_id=_territory_id(s)))


VIOLATIONS: list[Callable[[Session], None]] = [
    _second_open_request,
    _two_households_one_dwelling,
    _duplicate_ref,
    _duplicate_exclusion,
    _bad_enum,
    _rooms_zero,
    _age_out_of_range,
    _closed_without_date,
    _rooms_order,
    _half_workplace,
    _dangling_dwelling,
    _tenant_without_household,
    _admin_with_household,
    _unknown_role,
]


@pytest.mark.parametrize("violate", VIOLATIONS, ids=[v.__name__.lstrip("_") for v in VIOLATIONS])
def test_the_database_refuses(tst: Session, violate: Callable[[Session], None]) -> None:
    with pytest.raises(IntegrityError), tst.begin_nested():
        violate(tst)
        tst.flush()


def test_a_closed_or_paused_request_does_not_block_a_new_open_one(tst: Session) -> None:
    h1 = _id(tst, Household, "H1")
    tst.execute(text("UPDATE mutation_request SET status = 'closed', closed_on = '2026-01-01'"))
    tst.add(
        Request(
            territory_id=_territory_id(tst),
            household_id=h1,
            filed_on=date(2026, 2, 1),
            max_cost=1.0,
            communes=[],
            status="paused",
        )
    )
    tst.add(
        Request(
            territory_id=_territory_id(tst),
            household_id=h1,
            filed_on=date(2026, 2, 1),
            max_cost=1.0,
            communes=[],
        )
    )
    tst.flush()
    statuses = tst.scalars(
        select(Request.status).where(Request.household_id == h1).order_by(Request.id)
    ).all()
    assert statuses == ["closed", "paused", "open"]


def test_deleting_a_household_deletes_its_members_and_requests(tst: Session) -> None:
    tst.execute(text("DELETE FROM household WHERE ref = 'H2'"))
    tst.flush()
    assert tst.scalars(select(HouseholdMember.age).where(HouseholdMember.age == 70)).all() == []
    assert len(tst.scalars(select(Request)).all()) == 1


def test_staff_and_tenant_accounts(tst: Session) -> None:
    from exchange.models import Landlord

    landlord = tst.scalars(select(Landlord.id).where(Landlord.code == "OYAP")).one()
    tst.add_all(
        [
            UserAccount(
                login="agent@oyap.fr",
                password_hash="x",
                role="staff",
                territory_id=_territory_id(tst),
                landlord_id=landlord,
            ),
            UserAccount(
                login="h1@example.org",
                password_hash="x",
                role="tenant",
                territory_id=_territory_id(tst),
                household_id=_id(tst, Household, "H1"),
            ),
        ]
    )
    tst.flush()
    tenant = tst.scalars(select(UserAccount).where(UserAccount.email == "h1@example.org")).one()
    assert tenant.household is not None and tenant.household.ref == "H1" and tenant.active


# ---------------------------------------------------------------- engine set-up and init-db


def test_default_url_is_instance_exchange_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXCHANGE_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert db.database_url() == f"sqlite:///{tmp_path / 'instance' / 'exchange.db'}"
    assert (tmp_path / "instance").is_dir()
    monkeypatch.setenv("EXCHANGE_DATABASE_URL", "postgresql+psycopg://u@h/x")
    assert db.database_url() == "postgresql+psycopg://u@h/x"


def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'sub' / 'x.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()


def test_session_scope_commits_or_rolls_back(fresh_db_url: str) -> None:
    with db.session_scope() as session:
        session.add(Territory(code="A", name="A", as_of=date(2026, 1, 1)))
    with pytest.raises(RuntimeError), db.session_scope() as session:
        session.add(Territory(code="B", name="B", as_of=date(2026, 1, 1)))
        session.flush()
        raise RuntimeError("annulé")
    with db.session_scope() as session:
        assert session.scalars(select(Territory.code)).all() == ["A"]
        assert session.scalars(select(Territory.policy)).one() == {}


def test_init_db_from_an_empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXCHANGE_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["init-db"])
    assert result.exit_code == 0, result.output
    assert f"Base de données à jour : sqlite:///{tmp_path / 'instance' / 'exchange.db'}" in result.output
    assert runner.invoke(cli, ["init-db"]).exit_code == 0  # already at head: nothing to do
    engine = db.get_engine()
    with engine.connect() as conn:
        assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    from alembic.script import ScriptDirectory

    assert version == ScriptDirectory.from_config(db.alembic_config()).get_current_head()
    engine.dispose()
