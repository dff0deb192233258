"""Builders of small, valid territory documents (FORMAT.md); a test overrides only what matters to it."""

from __future__ import annotations

import copy
from typing import Any


def make_dwelling(ref: str = "D1", **overrides: Any) -> dict[str, Any]:
    """A valid dwelling: three rooms, 64.5 m², OYAP, sector CAY-01."""
    dwelling: dict[str, Any] = {
        "ref": ref,
        "bailleur": "OYAP",
        "sector": "CAY-01",
        "rooms": 3,
        "surface_m2": 64.5,
        "floor": 2,
        "elevator": False,
        "accessibility": "none",
        "rent": 348.0,
        "charges": 62.0,
        "lat": 4.9372,
        "lon": -52.326,
    }
    dwelling.update(overrides)
    return dwelling


def make_member(role: str = "head", age: int = 41) -> dict[str, Any]:
    """One member of a household."""
    return {"role": role, "age": age}


def make_household(ref: str = "H1", dwelling: str | None = "D1", **overrides: Any) -> dict[str, Any]:
    """A valid household: a couple with one child, living in ``dwelling``."""
    household: dict[str, Any] = {
        "ref": ref,
        "dwelling": dwelling,
        "members": [make_member("head", 41), make_member("partner", 39), make_member("child", 12)],
        "monthly_resources": 1830.0,
        "mobility": "none",
        "priority": [],
        "workplace": None,
    }
    household.update(overrides)
    return household


def make_request(household: str = "H1", **overrides: Any) -> dict[str, Any]:
    """A valid open request of ``household``."""
    request: dict[str, Any] = {
        "household": household,
        "filed_on": "2025-06-03",
        "max_cost": 520.0,
        "communes": ["Cayenne", "Matoury"],
        "accept_qpv": True,
        "min_rooms": None,
        "max_rooms": None,
    }
    request.update(overrides)
    return request


def make_document(**overrides: Any) -> dict[str, Any]:
    """A valid territory document: 2 landlords, 2 sectors, 4 dwellings (D4 vacant and offered),
    3 households (H3 without a request), 2 requests, 1 exclusion. Top-level keys can be overridden."""
    doc: dict[str, Any] = {
        "format": "bourse-echange/1",
        "as_of": "2026-11-22",
        "territory": {"code": "TST", "name": "Territoire de test", "job_distance_km": 30},
        "bailleurs": [{"code": "OYAP", "name": "OYAP"}, {"code": "SOLA", "name": "SOLA"}],
        "sectors": [
            {"code": "CAY-01", "commune": "Cayenne", "name": "Centre", "qpv": True},
            {"code": "MAT-01", "commune": "Matoury", "name": "Bourg", "qpv": False},
        ],
        "dwellings": [
            make_dwelling("D1"),
            make_dwelling("D2", bailleur="SOLA", sector="MAT-01", rooms=2, surface_m2=45.0),
            make_dwelling("D3", rooms=5, surface_m2=96.0, elevator=True, accessibility="accessible"),
            make_dwelling("D4", bailleur="SOLA", sector="MAT-01", rooms=4, surface_m2=80.0, floor=0),
        ],
        "households": [
            make_household("H1", "D1", priority=["violence"], workplace={"lat": 5.159, "lon": -52.65}),
            make_household(
                "H2",
                "D2",
                members=[make_member("head", 70)],
                monthly_resources=1100.0,
                mobility="reduced",
            ),
            make_household("H3", "D3", priority=["dalo", "handicap"]),
        ],
        "requests": [
            make_request("H1"),
            make_request("H2", filed_on="2024-01-31", communes=["Matoury"], min_rooms=1, max_rooms=2),
        ],
        "offers": [{"dwelling": "D4"}],
        "exclusions": [{"household": "H1", "dwelling": "D3"}],
    }
    doc.update(copy.deepcopy(overrides))
    return doc
