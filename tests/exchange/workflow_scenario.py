"""A small hand-made territory for the run and workflow tests, with its optimum worked out by hand.

Landlords ALPHA and BETA; three communes, each its own little market (requests wish one commune):

- Xville: H1 (single, 70, in D1: 4 rooms, ALPHA, QPV sector) under-occupies; H2 (couple + two
  children, in D2: 2 rooms, BETA, not QPV) is overcrowded. Only move pair: the swap H1 ↔ H2
  (H1 → D2 leaves a QPV, H2 → D1 enters one).
- Yville: H5 (family of four in D5: 2 rooms, BETA) is overcrowded; H4 (single in D4: 4 rooms, ALPHA)
  and H6 (single in D6: 4 rooms, BETA) under-occupy. Only one 2-room dwelling (D5): the swap is
  H4 ↔ H5 or H6 ↔ H5. H4's request is older (more seniority points), so the optimum takes H4 ↔ H5.
- Zville: vacancy D9 (3 rooms, BETA) is offered; H3 (family of four in D3: 2 rooms, ALPHA)
  is overcrowded: the chain H3 → D9.

Run on 2026-01-05: three proposals (H1 ↔ H2, H4 ↔ H5, chain H3 → D9), 5 moves.
"""

from __future__ import annotations

from typing import Any

AS_OF = "2026-01-05"


def _dwelling(ref: str, landlord: str, sector: str, rooms: int, rent: float) -> dict[str, Any]:
    return {
        "ref": ref,
        "bailleur": landlord,
        "sector": sector,
        "rooms": rooms,
        "surface_m2": 20.0 * rooms + 10,
        "floor": 0,
        "elevator": False,
        "accessibility": "none",
        "rent": rent,
        "charges": 50.0,
        "lat": 4.93,
        "lon": -52.33,
    }


def _single(ref: str, dwelling: str) -> dict[str, Any]:
    return {
        "ref": ref,
        "dwelling": dwelling,
        "members": [{"role": "head", "age": 70}],
        "monthly_resources": 1100.0,
        "mobility": "none",
        "priority": [],
        "workplace": None,
    }


def _family(ref: str, dwelling: str | None) -> dict[str, Any]:
    members = [
        {"role": "head", "age": 40},
        {"role": "partner", "age": 38},
        {"role": "child", "age": 10},
        {"role": "child", "age": 8},
    ]
    return {
        "ref": ref,
        "dwelling": dwelling,
        "members": members,
        "monthly_resources": 2100.0,
        "mobility": "none",
        "priority": [],
        "workplace": None,
    }


def _request(household: str, filed_on: str, commune: str) -> dict[str, Any]:
    return {
        "household": household,
        "filed_on": filed_on,
        "max_cost": 900.0,
        "communes": [commune],
        "accept_qpv": True,
        "min_rooms": None,
        "max_rooms": None,
    }


def document(code: str = "TWF") -> dict[str, Any]:
    """The territory document (FORMAT.md)."""
    return {
        "format": "bourse-echange/1",
        "as_of": AS_OF,
        "territory": {"code": code, "name": "Territoire du suivi", "job_distance_km": 30},
        "bailleurs": [{"code": "ALPHA", "name": "Alpha Habitat"}, {"code": "BETA", "name": "Beta Logement"}],
        "sectors": [
            {"code": "X-Q", "commune": "Xville", "name": "Xville quartier prioritaire", "qpv": True},
            {"code": "X-C", "commune": "Xville", "name": "Xville centre", "qpv": False},
            {"code": "Y-C", "commune": "Yville", "name": "Yville centre", "qpv": False},
            {"code": "Z-C", "commune": "Zville", "name": "Zville centre", "qpv": False},
        ],
        "dwellings": [
            _dwelling("D1", "ALPHA", "X-Q", 4, 500.0),
            _dwelling("D2", "BETA", "X-C", 2, 350.0),
            _dwelling("D3", "ALPHA", "Z-C", 2, 350.0),
            _dwelling("D4", "ALPHA", "Y-C", 4, 500.0),
            _dwelling("D5", "BETA", "Y-C", 2, 350.0),
            _dwelling("D6", "BETA", "Y-C", 4, 500.0),
            _dwelling("D9", "BETA", "Z-C", 3, 420.0),
        ],
        "households": [
            _single("H1", "D1"),
            _family("H2", "D2"),
            _family("H3", "D3"),
            _single("H4", "D4"),
            _family("H5", "D5"),
            _single("H6", "D6"),
        ],
        "requests": [
            _request("H1", "2025-03-01", "Xville"),
            _request("H2", "2025-06-15", "Xville"),
            _request("H3", "2025-09-01", "Zville"),
            _request("H4", "2024-01-10", "Yville"),
            _request("H5", "2025-10-01", "Yville"),
            _request("H6", "2025-11-20", "Yville"),
        ],
        "offers": [{"dwelling": "D9"}],
        "exclusions": [],
    }


# Database helpers ---------------------------------------------------------------------------------


def load(session: Any, code: str = "TWF") -> Any:
    """Import the scenario through the real import service; returns the territory row."""
    from sqlalchemy import select

    from exchange import interchange
    from exchange.models import Territory

    interchange.import_document(session, document(code))
    session.flush()
    return session.scalars(select(Territory).where(Territory.code == code)).one()


def ids(session: Any, territory_id: int, model: Any) -> dict[str, int]:
    """ref (or code) → id for the territory's households, dwellings or landlords."""
    from sqlalchemy import select

    key = model.code if hasattr(model, "code") else model.ref
    return dict(session.execute(select(key, model.id).where(model.territory_id == territory_id)).all())


def users(session: Any, territory: Any) -> dict[str, Any]:
    """One tenant account per household (``tenant-H1``…), one staff per landlord, one admin."""
    from exchange.models import Household, Landlord, UserAccount

    code = territory.code.lower()
    made: dict[str, Any] = {}
    for ref, household_id in ids(session, territory.id, Household).items():
        made[ref] = UserAccount(
            login=f"{code}-tenant-{ref.lower()}",
            password_hash="x",
            role="tenant",
            territory_id=territory.id,
            household_id=household_id,
        )
    for landlord, landlord_id in ids(session, territory.id, Landlord).items():
        made[landlord] = UserAccount(
            login=f"{code}-staff-{landlord.lower()}",
            password_hash="x",
            role="staff",
            territory_id=territory.id,
            landlord_id=landlord_id,
        )
    made["admin"] = UserAccount(
        login=f"{code}-admin", password_hash="x", role="admin", territory_id=territory.id
    )
    session.add_all(made.values())
    session.flush()
    return made


def scratch_database(backend: str, directory: Any) -> Any:
    """``tests/conftest.py``'s ``scratch_database`` (a new database URL, dropped afterwards).

    Loaded by path: ``tests/web`` has a ``conftest`` module too, and ``from conftest import`` gets
    whichever was imported last.
    """
    import importlib.util
    import sys
    from pathlib import Path

    name = "_exchange_tests_root_conftest"
    module = sys.modules.get(name)
    if module is None:
        path = Path(__file__).resolve().parent.parent / "conftest.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module.scratch_database(backend, directory)
