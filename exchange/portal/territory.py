"""The territory's services (administration du territoire): key figures, import, policy and runs.

An admin account acts on its own territory only. The services that write say so (« Writes: … »);
none commits, the caller does. The statistics page is :mod:`.figures`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exchange import csv_import, csv_mapping, glossary, interchange, runs, wording
from exchange import models as m
from exchange.cache import territory_cache
from exchange.errors import InvalidTerritory, NotFound
from exchange.glossary import OBJECTIVE_UNITS, OBJECTIVES, chance_label, objective_points
from exchange.models.workflow import Proposal, Run
from exchange.portal.staff_views import ProposalRow, RunReport, RunRow, TerritoryInfo
from exchange.settings import (
    YearSettings,
    policy_config,
    run_settings,
    set_year_settings,
    update_policy,
    update_run_settings,
    year_settings,
)
from matching.config import RANGES, PolicyConfig

__all__ = [
    "import_territory_csv",
    "import_territory_document",
    "list_runs",
    "policy_bounds",
    "policy_defaults",
    "policy_settings",
    "run_choices",
    "run_report",
    "save_policy",
    "save_run_choices",
    "save_year_settings",
    "territory_overview",
    "territory_year",
]


def _count(session: Session, model: Any, *where: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def territory_overview(session: Session, account: Any) -> TerritoryInfo:
    """Counts of the admin's territory."""
    tid = account.territory_id
    territory = session.get(m.Territory, tid)
    if territory is None:
        raise NotFound("territoire inconnu")
    last = session.scalars(
        select(Run).where(Run.territory_id == tid).order_by(Run.id.desc()).limit(1)
    ).first()
    return TerritoryInfo(
        code=territory.code,
        name=territory.name,
        landlords=_count(session, m.Landlord, m.Landlord.territory_id == tid),
        dwellings=_count(session, m.Dwelling, m.Dwelling.territory_id == tid),
        households=_count(session, m.Household, m.Household.territory_id == tid),
        open_requests=_count(session, m.Request, m.Request.territory_id == tid, m.Request.status == "open"),
        offers=_count(session, m.Dwelling, m.Dwelling.territory_id == tid, m.Dwelling.offered.is_(True)),
        live_proposals=_count(
            session,
            Proposal,
            Proposal.territory_id == tid,
            Proposal.status.in_(("proposed", "deciding", "confirmed")),
        ),
        last_run_id=None if last is None else last.id,
        last_run_at=None if last is None else last.finished_at,
    )


def import_territory_document(session: Session, account: Any, document: Any) -> str:
    """Import a territory document of the admin's own territory (all or nothing); its French summary line.

    Raises :class:`InvalidTerritory` (messages by field path) before anything is written.
    Writes: the territory's rows (``interchange.import_document``); the caller commits.
    """
    if not isinstance(document, dict):
        raise InvalidTerritory({"(document)": ["un objet JSON est attendu"]})
    territory = document.get("territory")
    code = territory.get("code") if isinstance(territory, dict) else None
    if code != account.territory_code:
        raise InvalidTerritory(
            {
                "territory.code": [
                    f"le document concerne le territoire {code!r}, "
                    f"vous administrez {account.territory_code!r}"
                ]
            }
        )
    return interchange.import_document(session, document).line()


def import_territory_csv(
    session: Session,
    account: Any,
    mapping: csv_import.CsvFile,
    *,
    dwellings: csv_import.CsvFile | None = None,
    households: csv_import.CsvFile | None = None,
    requests: csv_import.CsvFile | None = None,
) -> str:
    """Import CSV files (RPLS dwellings, the demand register) into the admin's territory; the summary line.

    Raises :class:`InvalidTerritory` (by file, line and column; the mapping file's by key) before
    anything is written. Writes: the territory's rows (``csv_import.import_csv``); the caller commits.
    """
    rules = csv_mapping.parse_mapping(mapping.data, mapping.name)
    summary = csv_import.import_csv(
        session, account.territory_code, rules, dwellings=dwellings, households=households, requests=requests
    )
    return summary.line()


def territory_year(session: Session, account: Any, year: int) -> YearSettings:
    """The admin's territory's settings for ``year``: first-quartile threshold, landlords' attributions."""
    return year_settings(session, account.territory_code, year)


def save_year_settings(
    session: Session,
    account: Any,
    year: int,
    *,
    first_quartile_eur: float | None,
    attributions: Mapping[str, int],
) -> YearSettings:
    """Store the year's threshold and attributions of the admin's territory (None, absent: kept).

    Raises :class:`~exchange.errors.InvalidArgument` (French messages by field). Writes:
    ``territory_year``, ``landlord_year``; the caller commits.
    """
    return set_year_settings(
        session,
        account.territory_code,
        year,
        first_quartile_eur=first_quartile_eur,
        attributions=attributions,
    )


_FIXED = frozenset({"earth_radius_km"})  # a constant of the distance computation, not a policy choice
_MAX_SETTING = 100_000


def policy_defaults() -> dict[str, Any]:
    """POLICY.md's default settings a territory may change (the earth's radius is not one)."""
    return {name: value for name, value in PolicyConfig().to_dict().items() if name not in _FIXED}


def policy_bounds() -> dict[str, tuple[int, int]]:
    """The allowed range (both ends included) of each setting of :func:`policy_defaults`."""
    return {name: RANGES.get(name, (0, _MAX_SETTING)) for name in policy_defaults()}


def policy_settings(session: Session, account: Any) -> dict[str, Any]:
    """The admin's territory's current settings (every key of :func:`policy_defaults`)."""
    current = policy_config(session, account.territory_code).to_dict()
    return {name: value for name, value in current.items() if name not in _FIXED}


def save_policy(session: Session, account: Any, values: Mapping[str, Any]) -> None:
    """Validate and store settings; raises :class:`exchange.settings.InvalidPolicy` (messages per setting).

    Writes: the territory's policy (``policy.update_policy``); the caller commits.
    """
    update_policy(session, account.territory_code, dict(values))
    territory_cache.invalidate(account.territory_code)


def run_choices(session: Session, account: Any) -> dict[str, Any]:
    """The territory's run settings as form data: ``objective``, ``repair`` and ``priority_floor_pct``."""
    current = run_settings(session, account.territory_code)
    return {
        "objective": current.objective,
        "repair": current.repair,
        "priority_floor_pct": current.priority_floor_pct,
    }


def save_run_choices(
    session: Session, account: Any, *, objective: str, repair: bool, priority_floor_pct: int | None = None
) -> None:
    """Store the territory's objective, repair and priority floor settings (the floor unchanged when None);
    raises :class:`InvalidPolicy` for a bad one.

    Writes: the territory's workflow settings (``settings.update_run_settings``); the caller commits.
    """
    update_run_settings(
        session,
        account.territory_code,
        objective=objective,
        repair=repair,
        priority_floor_pct=priority_floor_pct,
    )
    territory_cache.invalidate(account.territory_code)


def list_runs(session: Session, account: Any) -> list[RunRow]:
    """The territory's latest runs."""
    return [
        RunRow(
            r.id,
            r.as_of,
            r.status,
            r.proposal_count,
            r.move_count,
            objective_points((r.params or {}).get("objective", "points"), r.objective),
        )
        for r in runs.list_runs(session, account.territory_id)
    ]


def _run_notes(unit: str) -> tuple[tuple[str, str], ...]:
    """Plain-French notes under the run report's figures (their labels carry the objective's unit)."""
    return (
        (
            "Mouvements possibles",
            "Nombre de couples (ménage, logement) que la politique autorise : le calcul choisit parmi eux.",
        ),
        (
            f"Total atteint ({unit})",
            f"Somme des {unit} de tous les mouvements proposés : le calcul cherche le plus grand total.",
        ),
        (
            f"Meilleur total possible ({unit})",
            "Total qu'aucune combinaison de propositions ne peut dépasser, selon le calcul ; "
            "égal au total atteint quand la solution est la meilleure possible.",
        ),
    )


def _floor_fact(params: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The priority floor a run under ``expected`` applied, as its page states it (older runs: none)."""
    if "priority_floor_pct" not in params:
        return ()
    label = glossary.heading(glossary.RUN_SETTINGS["priority_floor_pct"])
    return ((label, f"{wording.number(params['priority_floor_pct'])} %"),)


def run_report(session: Session, account: Any, run_id: int) -> RunReport:
    """One run of the admin's territory; :class:`NotFound` otherwise."""
    run = session.get(Run, run_id)
    if run is None or run.territory_id != account.territory_id:
        raise NotFound(f"calcul inconnu : {run_id}")
    objective = (run.params or {}).get("objective", "points")
    unit = OBJECTIVE_UNITS.get(objective, "points")
    seconds = sum(
        v for k, v in (run.timings or {}).items() if k.endswith("_s") and not k.startswith("solver_")
    )
    facts = (
        ("Date de référence", wording.long_date(run.as_of)),
        ("Statut du solveur", glossary.RUN_STATUSES.get(run.status, run.status)),
        ("Demandes examinées", wording.number(run.requests)),
        ("Logements vacants proposés", wording.number(run.vacancies)),
        ("Mouvements possibles", wording.number(run.arcs)),
        ("Ménages laissés de côté (déjà dans une proposition)", wording.number(run.skipped_households)),
        ("Propositions", wording.number(run.proposal_count)),
        ("Mouvements proposés", wording.number(run.move_count)),
        ("Objectif du calcul", OBJECTIVES.get(objective, "")),
        *_floor_fact(run.params or {}),
        (f"Total atteint ({unit})", objective_points(objective, run.objective)),
        (f"Meilleur total possible ({unit})", objective_points(objective, run.bound)),
        ("Durée", f"{wording.number(seconds)} s"),
    )
    proposals = tuple(
        ProposalRow(
            p.id,
            glossary.heading(glossary.PROPOSAL_KINDS.get(p.kind, p.kind)),
            len(p.moves),
            p.points,
            glossary.PROPOSAL_STATUSES.get(p.status, p.status),
            chance_label(p.chance),
            p.repairs_id,
        )
        for p in run.proposals
    )
    return RunReport(run.id, facts, proposals, _run_notes(unit))
