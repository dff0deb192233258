"""The exchange's attributions of one year, broken down for the bilan (DOMAIN.md §3).

An attribution here is one move of a completed proposal, counted on its move date (the lease). Each is
read once from the database as an :class:`Attribution` (aggregates only leave this module): the
destination's landlord, commune, typology and QPV; whether the household was in the first quartile
(L.441-1 CCH, with the threshold in force that year), DALO or another priority; its motive; its wait.
Then :func:`breakdown`, :func:`mixity`, :func:`priority_shares`, :func:`mutation_share` and
:func:`waits_by_typology` count them. Household data are as stored today, not at the move.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import extract, select
from sqlalchemy.orm import Session, aliased

from exchange import records
from exchange.loading import plain_household
from exchange.models import Dwelling, Household, Landlord, Request, Sector
from exchange.models.workflow import Proposal, ProposalMove
from matching import policy

__all__ = [
    "DIMENSIONS",
    "MIXITY_GOALS",
    "Attribution",
    "breakdown",
    "load_attributions",
    "mixity",
    "mutation_share",
    "percent",
    "priority_shares",
    "requests_by",
    "waits_by_typology",
]

DIMENSIONS = ("landlord", "commune", "typology", "qpv")
"""What every breakdown is by: the destination's landlord, commune, typology (T1…), inside/outside QPV."""
MIXITY_GOALS = {"outside_qpv_first_quartile_pct": 25.0, "in_qpv_not_first_quartile_pct": 50.0}
"""L.441-1's goals: 25 % of attributions outside QPV to the first quartile, 50 % in QPV to the others."""


@dataclass(frozen=True, slots=True)
class Attribution:
    """One completed move of the year, as the bilan counts it (no personal data)."""

    year: int  # of the move
    landlord: str
    from_landlord: str
    commune: str
    typology: str  # "T3"
    qpv: bool
    from_qpv: bool
    first_quartile: bool | None  # None: no threshold set for the year
    dalo: bool
    priority: bool  # another priority flag (L.441-1), DALO excluded
    motives: tuple[str, ...]  # active criteria before the move, or ("convenience",)
    wait_days: int | None  # from the request's filing to the move


def typology(rooms: int) -> str:
    """The French typology of a dwelling of ``rooms`` rooms.

    >>> typology(3), typology(7)
    ('T3', 'T6+')
    """
    return f"T{rooms}" if rooms < 6 else "T6+"


def percent(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole``, one decimal (None when ``whole`` is 0).

    >>> percent(1, 3), percent(0, 0)
    (33.3, None)
    """
    return None if whole == 0 else round(100.0 * part / whole, 1)


def load_attributions(
    session: Session, territory_id: int, year: int | None, threshold_eur: float | None
) -> list[Attribution]:
    """The completed moves of ``year`` (every year when None), one :class:`Attribution` each."""
    origin, target = aliased(Dwelling), aliased(Dwelling)
    origin_sector, target_sector = aliased(Sector), aliased(Sector)
    origin_landlord, target_landlord = aliased(Landlord), aliased(Landlord)
    query = (
        select(
            ProposalMove.household_id,
            ProposalMove.criteria_before,
            Proposal.move_date,
            Proposal.notified_on,
            origin_landlord.code.label("from_landlord"),
            target_landlord.code.label("to_landlord"),
            target_sector.commune,
            target.rooms,
            origin_sector.qpv.label("from_qpv"),
            target_sector.qpv.label("to_qpv"),
        )
        .join(Proposal, Proposal.id == ProposalMove.proposal_id)
        .join(origin, origin.id == ProposalMove.from_dwelling_id)
        .join(target, target.id == ProposalMove.to_dwelling_id)
        .join(origin_sector, origin_sector.id == origin.sector_id)
        .join(target_sector, target_sector.id == target.sector_id)
        .join(origin_landlord, origin_landlord.id == origin.landlord_id)
        .join(target_landlord, target_landlord.id == target.landlord_id)
        .where(Proposal.territory_id == territory_id, Proposal.status == "completed")
        .order_by(ProposalMove.id)
    )
    if year is not None:
        query = query.where(extract("year", Proposal.move_date) == year)
    result = []
    for r in session.execute(query).all():
        household = plain_household(session.get_one(Household, r.household_id))
        filed = records.request_filed_on(session, r.household_id, before=r.notified_on)
        wait = None if filed is None or r.move_date is None else (r.move_date - filed).days
        result.append(
            Attribution(
                year=r.move_date.year if r.move_date is not None else 0,
                landlord=r.to_landlord,
                from_landlord=r.from_landlord,
                commune=r.commune,
                typology=typology(r.rooms),
                qpv=bool(r.to_qpv),
                from_qpv=bool(r.from_qpv),
                first_quartile=policy.in_first_quartile(household, threshold_eur),
                dalo="dalo" in household.priority,
                priority=bool(household.priority - {"dalo"}),
                motives=tuple(sorted(r.criteria_before)) or ("convenience",),
                wait_days=wait,
            )
        )
    return result


def _key(a: Attribution, dimension: str) -> str:
    if dimension == "qpv":
        return "en QPV" if a.qpv else "hors QPV"
    return str(getattr(a, dimension))


def breakdown(attributions: Iterable[Attribution], dimension: str) -> dict[str, dict[str, int]]:
    """Attributions by ``dimension`` (one of :data:`DIMENSIONS`, or ``year``): how many, and to whom."""
    if dimension not in (*DIMENSIONS, "year"):
        raise ValueError(f"dimension: one of {DIMENSIONS} or year, got {dimension!r}")
    table: dict[str, dict[str, int]] = {}
    for a in attributions:
        entry = table.setdefault(
            _key(a, dimension), {"attributions": 0, "first_quartile": 0, "dalo": 0, "priority": 0}
        )
        entry["attributions"] += 1
        entry["first_quartile"] += a.first_quartile is True
        entry["dalo"] += a.dalo
        entry["priority"] += a.priority
    return dict(sorted(table.items()))


def mixity(attributions: Iterable[Attribution], threshold_eur: float | None) -> dict[str, float | int | None]:
    """L.441-1's mixity shares: outside QPV to the first quartile, in QPV to households outside it."""
    rows = list(attributions)
    outside = [a for a in rows if not a.qpv]
    inside = [a for a in rows if a.qpv]
    outside_q1 = sum(1 for a in outside if a.first_quartile is True)
    inside_other = sum(1 for a in inside if a.first_quartile is False)
    known = threshold_eur is not None
    return {
        "first_quartile_eur": threshold_eur,
        "outside_qpv": len(outside),
        "outside_qpv_first_quartile": outside_q1 if known else None,
        "outside_qpv_first_quartile_pct": percent(outside_q1, len(outside)) if known else None,
        "in_qpv": len(inside),
        "in_qpv_not_first_quartile": inside_other if known else None,
        "in_qpv_not_first_quartile_pct": percent(inside_other, len(inside)) if known else None,
    }


def priority_shares(attributions: Iterable[Attribution]) -> dict[str, float | int | None]:
    """Attributions to DALO households, then to other priority households (L.441-1), and their shares."""
    rows = list(attributions)
    dalo = sum(a.dalo for a in rows)
    other = sum(a.priority and not a.dalo for a in rows)
    return {
        "attributions": len(rows),
        "dalo": dalo,
        "dalo_pct": percent(dalo, len(rows)),
        "priority": other,
        "priority_pct": percent(other, len(rows)),
        "dalo_or_priority_pct": percent(dalo + other, len(rows)),
    }


def mutation_share(
    attributions: Iterable[Attribution], totals: Mapping[str, int | None]
) -> dict[str, dict[str, float | int | None]]:
    """Per landlord (and ``total``): the exchange's attributions among all the landlord's attributions
    of the year, as the territory entered them (None where not entered)."""
    counts = Counter(a.landlord for a in attributions)
    table: dict[str, dict[str, float | int | None]] = {}
    for code in sorted(set(totals) | set(counts)):
        whole = totals.get(code)
        table[code] = {
            "mutations": counts[code],
            "all_attributions": whole,
            "mutations_pct": None if whole is None else percent(counts[code], whole),
        }
    entered = [c for c in table if totals.get(c) is not None]
    whole_sum = sum(int(totals[c] or 0) for c in entered)
    part = sum(counts[c] for c in entered)
    table["total"] = {
        "mutations": sum(counts.values()),
        "all_attributions": whole_sum if entered else None,
        "mutations_pct": percent(part, whole_sum) if entered else None,
    }
    return table


def waits_by_typology(attributions: Iterable[Attribution]) -> dict[str, float | None]:
    """The average wait in days, from filing to the move, of the attributions of each typology."""
    waits: dict[str, list[int]] = {}
    for a in attributions:
        if a.wait_days is not None:
            waits.setdefault(a.typology, []).append(a.wait_days)
    return {t: round(statistics.fmean(w), 1) for t, w in sorted(waits.items())}


def requests_by(session: Session, territory_id: int, year: int | None) -> dict[str, dict[str, int]]:
    """Requests filed in ``year`` by the landlord, commune, typology and QPV of the current dwelling."""
    query = (
        select(Landlord.code, Sector.commune, Dwelling.rooms, Sector.qpv)
        .select_from(Request)
        .join(Household, Household.id == Request.household_id)
        .join(Dwelling, Dwelling.id == Household.dwelling_id)
        .join(Sector, Sector.id == Dwelling.sector_id)
        .join(Landlord, Landlord.id == Dwelling.landlord_id)
        .where(Request.territory_id == territory_id)
    )
    if year is not None:
        query = query.where(Request.filed_on >= date(year, 1, 1), Request.filed_on <= date(year, 12, 31))
    table: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
    for landlord, commune, rooms, qpv in session.execute(query).all():
        table["landlord"][landlord] += 1
        table["commune"][commune] += 1
        table["typology"][typology(rooms)] += 1
        table["qpv"]["en QPV" if qpv else "hors QPV"] += 1
    return {d: dict(sorted(c.items())) for d, c in table.items()}
