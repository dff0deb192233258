"""Territory of the web tests (copy of the workflow scenario, kept here so the web tests stand alone).

Landlords ALPHA and BETA. Run on 2026-01-05 gives three proposals: the swap H1 ↔ H2 (D1 of ALPHA,
D2 of BETA: two landlords' CALEOLs must attribute), the swap H4 ↔ H5, and the chain H3 → D9.
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


def _household(ref: str, dwelling: str, family: bool) -> dict[str, Any]:
    members = (
        [
            {"role": "head", "age": 40},
            {"role": "partner", "age": 38},
            {"role": "child", "age": 10},
            {"role": "child", "age": 8},
        ]
        if family
        else [{"role": "head", "age": 70}]
    )
    return {
        "ref": ref,
        "dwelling": dwelling,
        "members": members,
        "monthly_resources": 2100.0 if family else 1100.0,
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


def document(code: str = "TWEB") -> dict[str, Any]:
    """The territory document (FORMAT.md)."""
    return {
        "format": "bourse-echange/1",
        "as_of": AS_OF,
        "territory": {"code": code, "name": "Territoire du portail", "job_distance_km": 30},
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
            _household("H1", "D1", False),
            _household("H2", "D2", True),
            _household("H3", "D3", True),
            _household("H4", "D4", False),
            _household("H5", "D5", True),
            _household("H6", "D6", False),
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


def write_document(session: Any, doc: dict[str, Any]) -> None:
    """Write the document with the ORM (the web tests do not depend on the import service)."""
    from datetime import date

    from exchange import models as m

    t = m.Territory(
        code=doc["territory"]["code"],
        name=doc["territory"]["name"],
        as_of=date.fromisoformat(doc["as_of"]),
        policy={},
    )
    session.add(t)
    session.flush()
    landlords = {}
    for b in doc["bailleurs"]:
        landlords[b["code"]] = m.Landlord(territory_id=t.id, code=b["code"], name=b["name"])
    sectors = {}
    for s in doc["sectors"]:
        sectors[s["code"]] = m.Sector(
            territory_id=t.id, code=s["code"], commune=s["commune"], name=s["name"], qpv=s["qpv"]
        )
    session.add_all([*landlords.values(), *sectors.values()])
    session.flush()
    offered = {o["dwelling"] for o in doc["offers"]}
    dwellings = {}
    for d in doc["dwellings"]:
        fields = {k: v for k, v in d.items() if k not in ("bailleur", "sector")}
        dwellings[d["ref"]] = m.Dwelling(
            territory_id=t.id,
            landlord_id=landlords[d["bailleur"]].id,
            sector_id=sectors[d["sector"]].id,
            offered=d["ref"] in offered,
            **fields,
        )
    session.add_all(dwellings.values())
    session.flush()
    households = {}
    for h in doc["households"]:
        row = m.Household(
            territory_id=t.id,
            ref=h["ref"],
            dwelling_id=dwellings[h["dwelling"]].id,
            monthly_resources=h["monthly_resources"],
            mobility=h["mobility"],
            **{f"priority_{p}": True for p in h["priority"]},
            workplace_lat=(h["workplace"] or {}).get("lat"),
            workplace_lon=(h["workplace"] or {}).get("lon"),
        )
        row.members = [
            m.HouseholdMember(position=i, role=mb["role"], age=mb["age"]) for i, mb in enumerate(h["members"])
        ]
        households[h["ref"]] = row
    session.add_all(households.values())
    session.flush()
    for r in doc["requests"]:
        session.add(
            m.Request(
                territory_id=t.id,
                household_id=households[r["household"]].id,
                filed_on=date.fromisoformat(r["filed_on"]),
                max_cost=r["max_cost"],
                communes=r["communes"],
                accept_qpv=r["accept_qpv"],
                min_rooms=r["min_rooms"],
                max_rooms=r["max_rooms"],
                status="open",
            )
        )
    session.flush()
