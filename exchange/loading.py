"""Loading a territory into the plain matching types (chargement), from its document or the database.

The one place where data becomes :mod:`matching.territory`'s frozen types:

* a FORMAT.md document: :func:`territory_from_document`, :func:`read_document` (with its policy);
* the database: :func:`load_territory` (the whole territory, as a matching run reads it) and
  :func:`plain_dwelling`, :func:`plain_household`, :func:`plain_request` (one ORM row each, for the
  portal's pages). Both go through the same row converters, so a territory reads the same either way.

:func:`territory_rows` reads the territory's tables in a few queries; the export reuses it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exchange import records
from exchange.models import (
    Dwelling,
    Exclusion,
    Household,
    HouseholdMember,
    Landlord,
    Request,
    Sector,
    Territory,
)
from exchange.schemas import validate_territory_document
from exchange.settings import first_quartile_threshold, validate_policy
from matching import territory as plain
from matching.config import PolicyConfig

__all__ = [
    "TerritoryRows",
    "document_policy",
    "load_territory",
    "plain_dwelling",
    "plain_household",
    "plain_request",
    "read_document",
    "territory_from_document",
    "territory_rows",
]


# ---------------------------------------------------------------- document -> plain territory


def territory_from_document(doc: Any) -> plain.Territory:
    """The plain territory of a FORMAT.md document; raises :class:`~exchange.errors.InvalidTerritory`."""
    return _plain_from_loaded(validate_territory_document(doc))


def read_document(doc: Any) -> tuple[plain.Territory, PolicyConfig]:
    """The plain territory of a document and its policy, without the database.

    The policy is POLICY.md's defaults with the document's ``territory.policy`` settings and
    ``territory.job_distance_km`` applied. Raises :class:`~exchange.errors.InvalidTerritory`.
    """
    data = validate_territory_document(doc)
    return _plain_from_loaded(data), document_policy(data["territory"], PolicyConfig())


def document_policy(info: dict[str, Any], config: PolicyConfig) -> PolicyConfig:
    """``config`` (the stored policy) with the settings of a validated ``territory`` object applied.

    ``policy`` present: it sets every number but the job distance (missing ones: POLICY.md's);
    absent: the stored settings stay (a document from another system knows nothing of them).
    """
    if info["policy"] is not None:
        config = validate_policy({**info["policy"], "job_distance_km": config.job_distance_km})
    if info["job_distance_km"] is not None:
        config = validate_policy({"job_distance_km": info["job_distance_km"]}, config)
    return config


def _plain_from_loaded(data: dict[str, Any]) -> plain.Territory:
    sectors = {s["code"]: s for s in data["sectors"]}
    dwellings = tuple(
        _dwelling(
            d,
            landlord=d["bailleur"],
            sector=d["sector"],
            commune=sectors[d["sector"]]["commune"],
            qpv=sectors[d["sector"]]["qpv"],
        )
        for d in data["dwellings"]
    )
    households = tuple(
        _household(
            h,
            dwelling=h["dwelling"],
            members=((m["role"], m["age"]) for m in h["members"]),
            priority=h["priority"],
            workplace=None if h["workplace"] is None else (h["workplace"]["lat"], h["workplace"]["lon"]),
        )
        for h in data["households"]
    )
    requests = tuple(_request(r, r["household"]) for r in data["requests"])
    return plain.Territory(
        code=data["territory"]["code"],
        as_of=data["as_of"],
        dwellings=dwellings,
        households=households,
        requests=requests,
        offers=tuple(o["dwelling"] for o in data["offers"]),
        exclusions=frozenset((e["household"], e["dwelling"]) for e in data["exclusions"]),
    )


# ---------------------------------------------------------------- one record -> plain type
# A record is a validated document item (a dict: read with the item getters) or a database row (with
# the attribute getters); each getter returns the fields in the order the plain type declares them.

_DWELLING_FIELDS = (
    *("ref", "rooms", "surface_m2", "floor", "elevator", "accessibility"),
    *("rent", "charges", "lat", "lon"),
)
_REQUEST_FIELDS = ("filed_on", "max_cost", "communes", "accept_qpv", "min_rooms", "max_rooms")
_HOUSEHOLD_FIELDS = ("ref", "monthly_resources", "mobility")
_ITEMS = {
    "dwelling": itemgetter(*_DWELLING_FIELDS),
    "request": itemgetter(*_REQUEST_FIELDS),
    "household": itemgetter(*_HOUSEHOLD_FIELDS),
}
_ATTRS = {
    "dwelling": attrgetter(*_DWELLING_FIELDS),
    "request": attrgetter(*_REQUEST_FIELDS),
    "household": attrgetter(*_HOUSEHOLD_FIELDS),
}


def _values(kind: str, record: Any) -> tuple[Any, ...]:
    getter = _ITEMS[kind] if isinstance(record, dict) else _ATTRS[kind]
    return tuple(getter(record))


def _dwelling(record: Any, *, landlord: str, sector: str, commune: str, qpv: bool) -> plain.Dwelling:
    ref, *rest = _values("dwelling", record)
    return plain.Dwelling(ref, landlord, sector, commune, qpv, *rest)


def _household(
    record: Any,
    *,
    dwelling: str | None,
    members: Iterable[tuple[str, int]],
    priority: Iterable[str],
    workplace: tuple[float, float] | None,
) -> plain.Household:
    ref, resources, mobility = _values("household", record)
    return plain.Household(
        ref=ref,
        dwelling=dwelling,
        members=tuple(plain.Member(role, age) for role, age in members),  # type: ignore[arg-type]
        monthly_resources=resources,
        mobility=mobility,
        priority=frozenset(priority),  # type: ignore[arg-type]
        workplace=None if workplace is None else plain.Point(*workplace),
    )


def _request(record: Any, household_ref: str) -> plain.Request:
    filed_on, max_cost, communes, accept_qpv, min_rooms, max_rooms = _values("request", record)
    return plain.Request(
        household_ref, filed_on, max_cost, frozenset(communes or ()), accept_qpv, min_rooms, max_rooms
    )


def _row_priority(row: Any) -> list[str]:
    return [flag for flag in plain.PRIORITIES if getattr(row, f"priority_{flag}")]


def _row_workplace(row: Any) -> tuple[float, float] | None:
    return None if row.workplace_lat is None else (row.workplace_lat, row.workplace_lon)


def plain_dwelling(row: Dwelling) -> plain.Dwelling:
    """The plain dwelling of an ORM row (its sector and landlord loaded)."""
    sector = row.sector
    return _dwelling(
        row, landlord=row.landlord.code, sector=sector.code, commune=sector.commune, qpv=sector.qpv
    )


def plain_household(row: Household) -> plain.Household:
    """The plain household of an ORM row (its dwelling and members loaded)."""
    return _household(
        row,
        dwelling=row.dwelling.ref if row.dwelling is not None else None,
        members=((mb.role, mb.age) for mb in sorted(row.members, key=lambda mb: mb.position)),
        priority=_row_priority(row),
        workplace=_row_workplace(row),
    )


def plain_request(row: Request, household_ref: str) -> plain.Request:
    """The plain request of an ORM row, for the household ``household_ref``."""
    return _request(row, household_ref)


# ---------------------------------------------------------------- database -> plain territory


@dataclass(frozen=True, slots=True)
class TerritoryRows:
    """A territory's tables read in a few queries (rows, not ORM objects); loading and export share it."""

    territory: Territory
    landlords: list[Any]  # (id, code, name)
    sectors: list[Any]  # (id, code, commune, name, qpv)
    dwellings: list[Any]
    households: list[Any]
    members: dict[int, list[tuple[str, int]]]  # household id -> (role, age) in order
    requests: list[Any]  # the open ones
    exclusions: list[Any]  # (household ref, dwelling ref)


def territory_rows(session: Session, code: str) -> TerritoryRows:
    """Read the territory ``code``'s tables; raises :class:`~exchange.errors.NotFound`."""
    territory = records.territory(session, code)
    tid = territory.id
    landlords = list(
        session.execute(
            select(Landlord.id, Landlord.code, Landlord.name).where(Landlord.territory_id == tid)
        ).all()
    )
    sectors = list(
        session.execute(
            select(Sector.id, Sector.code, Sector.commune, Sector.name, Sector.qpv).where(
                Sector.territory_id == tid
            )
        ).all()
    )
    dwellings = list(session.execute(select(Dwelling.__table__).where(Dwelling.territory_id == tid)).all())
    households = list(session.execute(select(Household.__table__).where(Household.territory_id == tid)).all())
    members: dict[int, list[tuple[str, int]]] = {}
    for hid, role, age in session.execute(
        select(HouseholdMember.household_id, HouseholdMember.role, HouseholdMember.age)
        .join(Household, Household.id == HouseholdMember.household_id)
        .where(Household.territory_id == tid)
        .order_by(HouseholdMember.household_id, HouseholdMember.position)
    ):
        members.setdefault(hid, []).append((role, age))
    requests = list(
        session.execute(
            select(Request.__table__).where(Request.territory_id == tid, Request.status == "open")
        ).all()
    )
    exclusions = list(
        session.execute(
            select(Household.ref, Dwelling.ref)
            .select_from(Exclusion)
            .join(Household, Household.id == Exclusion.household_id)
            .join(Dwelling, Dwelling.id == Exclusion.dwelling_id)
            .where(Exclusion.territory_id == tid)
        ).all()
    )
    return TerritoryRows(territory, landlords, sectors, dwellings, households, members, requests, exclusions)


def load_territory(session: Session, code: str, *, as_of: date | None = None) -> plain.Territory:
    """The territory ``code`` as the matching run reads it (``as_of`` defaults to the stored date).

    Requests: the open ones. Offers: dwellings flagged ``offered`` that no household lives in.
    Exclusions: every stored pair (imported, refused, rejected). Raises :class:`~exchange.errors.NotFound`.
    """
    rows = territory_rows(session, code)
    landlord_code = {lid: c for lid, c, _ in rows.landlords}
    sector = {sid: (c, commune, qpv) for sid, c, commune, _, qpv in rows.sectors}
    dwelling_ref = {d.id: d.ref for d in rows.dwellings}
    household_ref = {h.id: h.ref for h in rows.households}
    occupied = {h.dwelling_id for h in rows.households if h.dwelling_id is not None}
    dwellings = tuple(
        _dwelling(
            d,
            landlord=landlord_code[d.landlord_id],
            sector=sector[d.sector_id][0],
            commune=sector[d.sector_id][1],
            qpv=sector[d.sector_id][2],
        )
        for d in sorted(rows.dwellings, key=lambda d: d.ref)
    )
    households = tuple(
        _household(
            h,
            dwelling=None if h.dwelling_id is None else dwelling_ref[h.dwelling_id],
            members=rows.members.get(h.id, ()),
            priority=_row_priority(h),
            workplace=_row_workplace(h),
        )
        for h in sorted(rows.households, key=lambda h: h.ref)
    )
    requests = tuple(
        _request(r, household_ref[r.household_id])
        for r in sorted(rows.requests, key=lambda r: household_ref[r.household_id])
    )
    offers = tuple(sorted(d.ref for d in rows.dwellings if d.offered and d.id not in occupied))
    day = as_of or rows.territory.as_of
    return plain.Territory(
        code=rows.territory.code,
        as_of=day,
        dwellings=dwellings,
        households=households,
        requests=requests,
        offers=offers,
        exclusions=frozenset((h, d) for h, d in rows.exclusions),
        first_quartile_eur=first_quartile_threshold(session, code, day.year),
    )
