"""Accounts: argon2 hashes, sign-in, ``exchange create-user`` and ``exchange demo-accounts``."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from portal_helpers import PASSWORD, login, run_scenario
from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import accounts
from exchange.cli import cli
from exchange.models import UserAccount


def test_passwords_are_argon2id_hashes(db):
    row = db.scalars(select(UserAccount).where(UserAccount.login == "h1")).one()
    assert row.password_hash.startswith("$argon2id$") and PASSWORD not in row.password_hash
    assert accounts.authenticate(db, "H1 ", PASSWORD).login == "h1"  # logins are trimmed and lower-cased
    assert accounts.authenticate(db, "h1", "mauvais-mot-de-passe") is None
    assert accounts.authenticate(db, "personne", PASSWORD) is None
    with pytest.raises(ValueError, match="8 caractères"):
        accounts.hash_password("court")


def test_the_portal_hashes_with_argon2id_default_costs(fast_password_hashing):
    from argon2 import Type

    production = fast_password_hashing  # the tests swap in cheaper parameters
    assert production.type is Type.ID and production.memory_cost >= 64 * 1024 and production.time_cost >= 2
    assert production.hash("un-mot-de-passe").startswith("$argon2id$v=19$m=65536")


def test_inactive_account_cannot_sign_in(client, db):
    db.scalars(select(UserAccount).where(UserAccount.login == "h1")).one().active = False
    db.commit()
    page = login(client, "h1").get_data(as_text=True)
    assert "Identifiant ou mot de passe incorrect." in page
    assert client.get("/locataire/").status_code == 302


def test_create_user_checks_role_links(db):
    with pytest.raises(ValueError, match="household"):
        accounts.create_user(db, login="x", password=PASSWORD, role="tenant", territory="TWEB")
    with pytest.raises(ValueError, match="landlord"):
        accounts.create_user(
            db, login="x", password=PASSWORD, role="admin", territory="TWEB", landlord="ALPHA"
        )
    with pytest.raises(accounts.AccountExists):
        accounts.create_user(
            db, login="H1", password=PASSWORD, role="tenant", territory="TWEB", household="H2"
        )


def _cli(engine, *args):
    runner = CliRunner()
    return runner.invoke(
        cli, list(args), env={"EXCHANGE_DATABASE_URL": str(engine.url)}, catch_exceptions=False
    )


def test_demo_accounts_print_a_playable_journey(engine, client):
    run_scenario(engine)
    result = _cli(engine, "demo-accounts", "TWEB")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Comptes de démonstration du territoire TWEB :"
    found = {
        m.group(1): m.group(2)
        for m in (re.match(r"\s+(\S+)\s+mot de passe : (\S+)", x) for x in lines[1:])
        if m
    }
    assert set(found) == {
        "locataire.tweb",
        "locataire2.tweb",
        "caleol.alpha.tweb",
        "caleol.beta.tweb",
        "admin.tweb",
    }
    # The swap H1 <-> H2 goes into ALPHA's and BETA's dwellings: both CALEOLs must decide.
    assert "décident : caleol.alpha.tweb, caleol.beta.tweb" in result.output
    for name, password in found.items():
        response = login(client, name, password)
        assert response.status_code == 302, name
        client.post("/deconnexion")
    with Session(engine) as session:
        tenant = accounts.authenticate(session, "locataire.tweb", found["locataire.tweb"])
        other = accounts.authenticate(session, "locataire2.tweb", found["locataire2.tweb"])
        assert {tenant.household_ref, other.household_ref} == {"H1", "H2"}
    again = _cli(engine, "demo-accounts", "TWEB")  # idempotent
    assert again.exit_code == 0 and again.output == result.output
    with Session(engine) as session:
        assert session.scalar(select(UserAccount.id).where(UserAccount.login == "locataire.tweb")) is not None
        assert len(session.scalars(select(UserAccount)).all()) == 8 + 5


def test_demo_accounts_without_run_and_unknown_territory(engine):
    result = _cli(engine, "demo-accounts", "TWEB")
    assert result.exit_code == 0
    assert "locataire du ménage H1, demande ouverte, pas encore de proposition" in result.output
    unknown = CliRunner().invoke(
        cli, ["demo-accounts", "NULLE"], env={"EXCHANGE_DATABASE_URL": str(engine.url)}
    )
    assert unknown.exit_code == 1 and "territoire inconnu : NULLE" in unknown.output


def test_create_user_command(engine, client):
    result = _cli(
        engine,
        "create-user",
        "agent@alpha.example",
        "--role",
        "staff",
        "--territory",
        "TWEB",
        "--landlord",
        "ALPHA",
        "--password",
        "un-mot-de-passe",
    )
    assert result.exit_code == 0 and "Compte créé : agent@alpha.example" in result.output
    assert login(client, "agent@alpha.example", "un-mot-de-passe").headers["Location"] == "/caleol/"
